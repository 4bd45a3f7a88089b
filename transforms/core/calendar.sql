-- Every local date from the earliest to the latest start date of a non-excluded appointment, for every
-- configured location, with its opening minutes (0 on a closure date or a weekday without hours).
with

appointments as (

    select start_date
    from core.appointments
    where outcome <> 'excluded' and start_date is not null

),

locations as (

    select location_id
    from config.locations

),

location_hours as (

    select
        location_id,
        weekday,
        open_minutes
    from config.location_hours

),

closures as (

    select
        location_id,
        closure_date
    from config.closures

),

date_range as (

    select
        min(start_date) as first_date,
        max(start_date) as last_date
    from appointments

),

dates as (

    select unnest(generate_series(date_range.first_date, date_range.last_date, interval 1 day))::date as date
    from date_range
    where date_range.first_date is not null

),

location_days as (

    select
        dates.date,
        locations.location_id,
        isodow(dates.date) as weekday,
        coalesce(location_hours.open_minutes, 0) as weekday_open_minutes,
        closures.closure_date is not null as is_closure_day
    from dates
    cross join locations
    left join location_hours
        on locations.location_id = location_hours.location_id
        and isodow(dates.date) = location_hours.weekday
    left join closures
        on locations.location_id = closures.location_id
        and dates.date = closures.closure_date

),

final as (

    select
        date,
        location_id,
        date_trunc('week', date)::date as week_start,
        date_trunc('month', date)::date as month,
        weekday,
        strftime(date, '%a') as weekday_name,
        is_closure_day,
        is_closure_day or weekday_open_minutes = 0 as is_closed,
        case when is_closure_day then 0 else weekday_open_minutes end as open_minutes
    from location_days

)

select
    date,
    location_id,
    week_start,
    month,
    weekday,
    weekday_name,
    is_closure_day,
    is_closed,
    open_minutes
from final
