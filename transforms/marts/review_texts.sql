-- The reviews we hold, newest first on the dashboard: site, location, date, rating and the text where it
-- was kept (masked in core.reviews). Reviewers are never named.
with

reviews as (

    select
        site,
        review_id,
        location_id,
        published_at,
        published_date,
        rating,
        text
    from core.reviews

)

select
    site,
    review_id,
    location_id,
    published_at,
    published_date,
    rating,
    text
from reviews
