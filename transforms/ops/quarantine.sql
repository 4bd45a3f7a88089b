-- Every row set aside by validation (history), with its raw values (PHI columns blanked).
with

quarantined as (

    select
        run_id,
        source,
        file,
        file_sha256,
        row_number,
        rule,
        column_name,
        message,
        raw_values
    from raw.ops_quarantine
    where run_id is not null

),

final as (

    select
        run_id,
        source,
        file,
        file_sha256,
        row_number,
        rule,
        column_name,
        message,
        raw_values
    from quarantined
    qualify row_number() over (
        partition by run_id, source, file_sha256, row_number, rule, column_name
        order by file, message, raw_values
    ) = 1

)

select
    run_id,
    source,
    file,
    file_sha256,
    row_number,
    rule,
    column_name,
    message,
    raw_values
from final
