-- Available, scheduled and completed minutes per local date and hour of the day for every configured
-- chair, room and provider: the utilization heat map (weekday x hour). The hour's available minutes are
-- the overlap of the location's opening spans (a provider's availability spans) with that hour, 0 on a
-- closure date; an appointment's minutes count in every hour its booked time overlaps. Appointments with a
-- date-only start (no time) are left out, and an appointment's minutes stop at local midnight. Hours with
-- neither available nor scheduled minutes have no row.
with

hours as (

    select unnest(range(24)) as hour

),

calendar as (

    select
        date,
        location_id,
        weekday,
        is_closure_day
    from core.calendar

),

resources as (

    select
        location_id,
        resource_id,
        resource_kind
    from config.resources

),

providers as (

    select
        provider_id,
        location_id
    from config.providers

),

location_hours as (

    select
        location_spans.location_id,
        location_spans.weekday,
        hours.hour,
        sum(greatest(0, least(location_spans.end_minute, hours.hour * 60 + 60)
            - greatest(location_spans.start_minute, hours.hour * 60))) as open_minutes
    from config.location_spans
    cross join hours
    group by location_spans.location_id, location_spans.weekday, hours.hour

),

provider_hours as (

    select
        provider_spans.provider_id,
        provider_spans.weekday,
        hours.hour,
        sum(greatest(0, least(provider_spans.end_minute, hours.hour * 60 + 60)
            - greatest(provider_spans.start_minute, hours.hour * 60))) as open_minutes
    from config.provider_spans
    cross join hours
    group by provider_spans.provider_id, provider_spans.weekday, hours.hour

),

held_hours as (

    select
        appointment_patients.date,
        appointment_patients.resource_id,
        appointment_patients.provider_id,
        hours.hour,
        least(appointment_patients.end_minute, hours.hour * 60 + 60)
        - greatest(appointment_patients.start_minute, hours.hour * 60) as minutes,
        appointment_patients.outcome
    from marts.appointment_patients
    inner join hours
        on appointment_patients.start_minute < hours.hour * 60 + 60
        and appointment_patients.end_minute > hours.hour * 60
    where appointment_patients.holds_slot and appointment_patients.start_minute is not null

),

resource_minutes as (

    select
        date,
        resource_id,
        hour,
        sum(minutes) as scheduled_minutes,
        coalesce(sum(minutes) filter (where outcome = 'completed'), 0) as completed_minutes
    from held_hours
    where resource_id is not null
    group by date, resource_id, hour

),

provider_minutes as (

    select
        date,
        provider_id,
        hour,
        sum(minutes) as scheduled_minutes,
        coalesce(sum(minutes) filter (where outcome = 'completed'), 0) as completed_minutes
    from held_hours
    where provider_id is not null
    group by date, provider_id, hour

),

resource_rows as (

    select
        calendar.date,
        calendar.weekday,
        hours.hour,
        calendar.location_id,
        resources.resource_kind,
        resources.resource_id,
        case when calendar.is_closure_day then 0 else coalesce(location_hours.open_minutes, 0) end
            as available_minutes,
        coalesce(resource_minutes.scheduled_minutes, 0) as scheduled_minutes,
        coalesce(resource_minutes.completed_minutes, 0) as completed_minutes
    from calendar
    inner join resources
        on calendar.location_id = resources.location_id
    cross join hours
    left join location_hours
        on calendar.location_id = location_hours.location_id
        and calendar.weekday = location_hours.weekday
        and hours.hour = location_hours.hour
    left join resource_minutes
        on resources.resource_id = resource_minutes.resource_id
        and calendar.date = resource_minutes.date
        and hours.hour = resource_minutes.hour

),

provider_rows as (

    select
        calendar.date,
        calendar.weekday,
        hours.hour,
        calendar.location_id,
        'provider' as resource_kind,
        providers.provider_id as resource_id,
        case when calendar.is_closure_day then 0 else coalesce(provider_hours.open_minutes, 0) end
            as available_minutes,
        coalesce(provider_minutes.scheduled_minutes, 0) as scheduled_minutes,
        coalesce(provider_minutes.completed_minutes, 0) as completed_minutes
    from calendar
    inner join providers
        on calendar.location_id = providers.location_id
    cross join hours
    left join provider_hours
        on providers.provider_id = provider_hours.provider_id
        and calendar.weekday = provider_hours.weekday
        and hours.hour = provider_hours.hour
    left join provider_minutes
        on providers.provider_id = provider_minutes.provider_id
        and calendar.date = provider_minutes.date
        and hours.hour = provider_minutes.hour

),

unioned as (

    select
        date,
        weekday,
        hour,
        location_id,
        resource_kind,
        resource_id,
        available_minutes,
        scheduled_minutes,
        completed_minutes
    from resource_rows
    union all
    select
        date,
        weekday,
        hour,
        location_id,
        resource_kind,
        resource_id,
        available_minutes,
        scheduled_minutes,
        completed_minutes
    from provider_rows

),

final as (

    select
        date,
        weekday,
        hour::bigint as hour,
        location_id,
        resource_kind,
        resource_id,
        available_minutes::bigint as available_minutes,
        scheduled_minutes::bigint as scheduled_minutes,
        completed_minutes::bigint as completed_minutes,
        completed_minutes / nullif(available_minutes, 0)::double as utilization,
        scheduled_minutes / nullif(available_minutes, 0)::double as scheduled_utilization
    from unioned
    where available_minutes > 0 or scheduled_minutes > 0

)

select
    date,
    weekday,
    hour,
    location_id,
    resource_kind,
    resource_id,
    available_minutes,
    scheduled_minutes,
    completed_minutes,
    utilization,
    scheduled_utilization
from final
