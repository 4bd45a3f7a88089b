-- One row per review (site, review_id), latest version, with its local publication date.
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
        updated_at
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
        updated_at
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
    updated_at
from final
