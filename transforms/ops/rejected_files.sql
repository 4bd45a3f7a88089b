-- Every file rejected whole (history), with the reason.
with

rejected as (

    select
        run_id,
        source,
        file,
        file_sha256,
        reason
    from raw.ops_rejected_files
    where run_id is not null

),

final as (

    select
        run_id,
        source,
        file,
        file_sha256,
        reason
    from rejected
    qualify row_number() over (
        partition by run_id, source, file, file_sha256
        order by reason
    ) = 1

)

select
    run_id,
    source,
    file,
    file_sha256,
    reason
from final
