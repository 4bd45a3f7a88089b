-- Per run and source: files and rows read, accepted and quarantined. A pair recorded twice keeps the
-- record that read the most rows.
with

source_records as (

    select
        run_id,
        source,
        files_read,
        files_skipped,
        files_rejected,
        rows_read,
        rows_accepted,
        rows_quarantined,
        status,
        message
    from raw.ops_run_sources
    where run_id is not null and source is not null

),

final as (

    select
        run_id,
        source,
        coalesce(files_read, 0) as files_read,
        coalesce(files_skipped, 0) as files_skipped,
        coalesce(files_rejected, 0) as files_rejected,
        coalesce(rows_read, 0) as rows_read,
        coalesce(rows_accepted, 0) as rows_accepted,
        coalesce(rows_quarantined, 0) as rows_quarantined,
        status,
        message
    from source_records
    qualify row_number() over (
        partition by run_id, source
        order by rows_read desc nulls last, files_read desc nulls last, status, message
    ) = 1

)

select
    run_id,
    source,
    files_read,
    files_skipped,
    files_rejected,
    rows_read,
    rows_accepted,
    rows_quarantined,
    status,
    message
from final
