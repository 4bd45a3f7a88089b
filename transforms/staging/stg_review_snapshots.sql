-- One reported rating and review count per site, location and fetch date. Google Places snapshots of a
-- location with a Business Profile entry are not used; among several snapshots of the same day the one from
-- the file ingested last wins.
with

lake_snapshots as (

    select
        site,
        location_id,
        snapshot_date,
        reported_rating,
        reported_review_count,
        origin,
        _file_seq,
        _row_number
    from raw.review_snapshots
    where site is not null and snapshot_date is not null

),

business_profile_locations as (

    select location_id
    from config.review_locations
    where site = 'google_business_profile'

),

usable_snapshots as (

    select
        lake_snapshots.site,
        lake_snapshots.location_id,
        lake_snapshots.snapshot_date,
        lake_snapshots.reported_rating,
        lake_snapshots.reported_review_count,
        lake_snapshots.origin,
        lake_snapshots._file_seq,
        lake_snapshots._row_number
    from lake_snapshots
    where not (
        lake_snapshots.origin in ('google_places', 'google_places_new')
        and lake_snapshots.location_id in (
            select business_profile_locations.location_id from business_profile_locations
        )
    )

),

final as (

    select
        site,
        location_id,
        snapshot_date,
        reported_rating,
        reported_review_count,
        origin
    from usable_snapshots
    qualify row_number() over (
        partition by site, location_id, snapshot_date
        order by _file_seq desc nulls last, _row_number desc nulls last
    ) = 1

)

select
    site,
    location_id,
    snapshot_date,
    reported_rating,
    reported_review_count,
    origin
from final
