-- The latest version of every review, identified by (site, review_id), with the date it was last seen and
-- whether the site has removed it. Where a location has a Google Business Profile entry in the config,
-- Google Places data for that location is not used: the Business Profile holds the full history of the same
-- reviews. Contact details a reviewer typed into a review's text (e-mail addresses, phone numbers) are
-- masked.
--
-- Changes: the version with the latest updated_at wins (Business Profile: its updateTime; Yelp and Places:
-- the fetch date; ties: the file ingested later, then the later row), so a changed rating or text replaces
-- the old one. Removal: only a response that lists EVERY review of a location can show that a review is
-- gone, i.e. a Business Profile list without nextPageToken (is_complete_list on its snapshot). A
-- Business Profile review is removed when the newest such list of its location (by fetch date, then
-- ingest order) is newer than the newest response that listed the review. Yelp (3 excerpts), Places (5)
-- and CSVs list a few reviews only, so their reviews are never marked removed.
with

lake_reviews as (

    select
        site,
        review_id,
        location_id,
        rating,
        published_at,
        text,
        updated_at,
        origin,
        -- lake rows written before seen_date existed (and CSV rows): the local date the file was ingested
        coalesce(seen_date, _ingested_at::date) as seen_date,
        _file_seq,
        _row_number
    from raw.reviews
    where site is not null and review_id is not null

),

business_profile_locations as (

    select location_id
    from config.review_locations
    where site = 'google_business_profile'

),

usable_reviews as (

    select
        lake_reviews.site,
        lake_reviews.review_id,
        lake_reviews.location_id,
        lake_reviews.rating,
        lake_reviews.published_at,
        lake_reviews.text,
        lake_reviews.updated_at,
        lake_reviews.origin,
        lake_reviews.seen_date,
        lake_reviews._file_seq,
        lake_reviews._row_number
    from lake_reviews
    where not (
        lake_reviews.origin in ('google_places', 'google_places_new')
        and lake_reviews.location_id in (select business_profile_locations.location_id from business_profile_locations)
    )

),

latest_versions as (

    select
        site,
        review_id,
        location_id,
        rating,
        published_at,
        text,
        updated_at,
        origin
    from usable_reviews
    qualify row_number() over (
        partition by site, review_id
        order by updated_at desc nulls last, _file_seq desc nulls last, _row_number desc nulls last
    ) = 1

),

last_sightings as (

    select
        site,
        review_id,
        seen_date as last_seen_date,
        _file_seq as last_seen_file_seq
    from usable_reviews
    qualify row_number() over (
        partition by site, review_id
        order by seen_date desc nulls last, _file_seq desc nulls last
    ) = 1

),

full_lists as (

    select
        location_id,
        snapshot_date as listed_date,
        _file_seq as listed_file_seq
    from raw.review_snapshots
    where origin = 'google_business_profile'
        and is_complete_list
        and location_id is not null
        and snapshot_date is not null
    qualify row_number() over (
        partition by location_id
        order by snapshot_date desc, _file_seq desc nulls last
    ) = 1

),

final as (

    select
        latest_versions.site,
        latest_versions.review_id,
        latest_versions.location_id,
        latest_versions.rating,
        latest_versions.published_at,
        latest_versions.published_at::date as published_date,
        regexp_replace(
            regexp_replace(
                nullif(trim(latest_versions.text), ''),
                '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}', '[removed]', 'g'
            ),
            '\(?\b\d{3}\)?[-. ]\d{3}[-. ]\d{4}\b', '[removed]', 'g'
        ) as text,
        latest_versions.updated_at,
        latest_versions.origin,
        last_sightings.last_seen_date,
        coalesce(
            latest_versions.origin = 'google_business_profile'
            and (
                full_lists.listed_date > last_sightings.last_seen_date
                or (
                    full_lists.listed_date = last_sightings.last_seen_date
                    and full_lists.listed_file_seq > last_sightings.last_seen_file_seq
                )
            ),
            false
        ) as is_removed
    from latest_versions
    inner join last_sightings
        on latest_versions.site = last_sightings.site
        and latest_versions.review_id = last_sightings.review_id
    left join full_lists
        on latest_versions.location_id = full_lists.location_id

)

select
    site,
    review_id,
    location_id,
    rating,
    published_at,
    published_date,
    text,
    updated_at,
    origin,
    last_seen_date,
    is_removed
from final
