-- The latest version of every review, identified by (site, review_id). Where a location has a Google
-- Business Profile entry in the config, Google Places data for that location is not used: the Business
-- Profile holds the full history of the same reviews. Contact details a reviewer typed into a review's text
-- (e-mail addresses, phone numbers) are masked.
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

final as (

    select
        site,
        review_id,
        location_id,
        rating,
        published_at,
        published_at::date as published_date,
        regexp_replace(
            regexp_replace(
                nullif(trim(text), ''),
                '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}', '[removed]', 'g'
            ),
            '\(?\b\d{3}\)?[-. ]\d{3}[-. ]\d{4}\b', '[removed]', 'g'
        ) as text,
        updated_at,
        origin
    from latest_versions

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
    origin
from final
