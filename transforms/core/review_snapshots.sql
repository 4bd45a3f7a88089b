-- The site's own reported rating and review count per location and fetch date.
with

final as (

    select
        site,
        location_id,
        snapshot_date,
        reported_rating,
        reported_review_count,
        origin
    from staging.stg_review_snapshots

)

select
    site,
    location_id,
    snapshot_date,
    reported_rating,
    reported_review_count,
    origin
from final
