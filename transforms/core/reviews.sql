-- One row per review (site, review_id), latest version, with its local publication date, the date it was
-- last seen and whether the site has removed it (a removed review is kept: staging decides removal).
with

reviews as (

    select
        site,
        review_id,
        location_id,
        rating,
        published_at,
        published_date,
        text,
        origin,
        updated_at,
        last_seen_date,
        is_removed
    from staging.stg_reviews

),

final as (

    select
        site,
        review_id,
        location_id,
        rating,
        published_at,
        published_date,
        date_trunc('month', published_date)::date as published_month,
        text,
        origin,
        updated_at,
        last_seen_date,
        is_removed
    from reviews

)

select
    site,
    review_id,
    location_id,
    rating,
    published_at,
    published_date,
    published_month,
    text,
    origin,
    updated_at,
    last_seen_date,
    is_removed
from final
