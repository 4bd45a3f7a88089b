-- Every nightly run in the history; a run recorded twice keeps its latest record (latest finished_at).
with

run_records as (

    select
        run_id,
        started_at,
        finished_at,
        status,
        exit_code,
        as_of,
        files_rejected,
        message
    from raw.ops_runs
    where run_id is not null

),

final as (

    select
        run_id,
        started_at,
        finished_at,
        status,
        exit_code,
        as_of,
        coalesce(files_rejected, 0) as files_rejected,
        message
    from run_records
    qualify row_number() over (
        partition by run_id
        order by finished_at desc nulls last, started_at desc nulls last, status, message
    ) = 1

)

select
    run_id,
    started_at,
    finished_at,
    status,
    exit_code,
    as_of,
    files_rejected,
    message
from final
