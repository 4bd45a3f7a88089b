-- Review ratings per month, site and location, from the first month with a review or snapshot of that
-- site and location through the month of as_of: the month's new reviews and their average, the
-- cumulative average of every review up to the month's end, and the site's own reported figures from the
-- newest snapshot on or before the month's end.
with

reviews as (

    select
        site,
        location_id,
        published_month,
        rating
    from core.reviews
    where published_month is not null

),

snapshots as (

    select
        site,
        location_id,
        snapshot_date,
        reported_rating,
        reported_review_count
    from core.review_snapshots

),

settings as (

    select date_trunc('month', as_of::date)::date as as_of_month
    from config.settings

),

first_months as (

    select
        site,
        location_id,
        min(month) as first_month
    from (
        select
            site,
            location_id,
            published_month as month
        from reviews
        union all
        select
            site,
            location_id,
            date_trunc('month', snapshot_date)::date as month
        from snapshots
    ) as months
    group by site, location_id

),

spine as (

    select
        first_months.site,
        first_months.location_id,
        unnest(generate_series(first_months.first_month, settings.as_of_month, interval 1 month))::date as month
    from first_months
    cross join settings

),

monthly_reviews as (

    select
        site,
        location_id,
        published_month as month,
        count(*) as new_reviews,
        sum(rating) as rating_sum,
        avg(rating) as avg_rating
    from reviews
    group by site, location_id, published_month

),

accumulated as (

    select
        spine.site,
        spine.location_id,
        spine.month,
        last_day(spine.month) as month_end,
        coalesce(monthly_reviews.new_reviews, 0) as new_reviews,
        monthly_reviews.avg_rating,
        sum(coalesce(monthly_reviews.new_reviews, 0)) over site_months as cumulative_reviews,
        sum(coalesce(monthly_reviews.rating_sum, 0)) over site_months as cumulative_rating_sum
    from spine
    left join monthly_reviews
        on spine.site = monthly_reviews.site
        and spine.location_id is not distinct from monthly_reviews.location_id
        and spine.month = monthly_reviews.month
    window site_months as (
        partition by spine.site, spine.location_id
        order by spine.month
        rows between unbounded preceding and current row
    )

),

with_snapshot as (

    select
        accumulated.site,
        accumulated.location_id,
        accumulated.month,
        accumulated.new_reviews,
        accumulated.avg_rating,
        accumulated.cumulative_reviews,
        accumulated.cumulative_rating_sum,
        snapshots.snapshot_date,
        snapshots.reported_rating,
        snapshots.reported_review_count
    from accumulated
    asof left join snapshots
        on accumulated.site = snapshots.site
        and accumulated.location_id = snapshots.location_id
        and accumulated.month_end >= snapshots.snapshot_date

),

final as (

    select
        month,
        site,
        location_id,
        new_reviews::bigint as new_reviews,
        avg_rating::double as avg_rating,
        cumulative_reviews::bigint as cumulative_reviews,
        cumulative_rating_sum / nullif(cumulative_reviews, 0)::double as cumulative_avg_rating,
        reported_rating,
        reported_review_count,
        snapshot_date as reported_snapshot_date
    from with_snapshot

)

select
    month,
    site,
    location_id,
    new_reviews,
    avg_rating,
    cumulative_reviews,
    cumulative_avg_rating,
    reported_rating,
    reported_review_count,
    reported_snapshot_date
from final
