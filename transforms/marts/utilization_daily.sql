-- Available, scheduled and completed minutes per day for every configured chair, room and provider, over
-- every date of core.calendar (a day with nothing booked still has its row). The one place the
-- utilization rules of metrics.md live.
with

calendar as (

    select
        date,
        location_id,
        week_start,
        month,
        weekday,
        is_closure_day,
        open_minutes
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

provider_availability as (

    select
        provider_id,
        weekday,
        available_minutes
    from config.provider_availability

),

held_appointments as (

    select
        resource_id,
        provider_id,
        start_date,
        duration_minutes,
        outcome
    from core.appointments
    where outcome in ('completed', 'no_show', 'late_cancel', 'upcoming', 'unresolved')

),

sessions as (

    select
        chair_id,
        session_date,
        chair_minutes
    from core.infusion_sessions

),

resource_days as (

    select
        calendar.date,
        calendar.week_start,
        calendar.month,
        calendar.location_id,
        resources.resource_kind,
        resources.resource_id,
        calendar.open_minutes as available_minutes
    from calendar
    inner join resources
        on calendar.location_id = resources.location_id

),

provider_days as (

    select
        calendar.date,
        calendar.week_start,
        calendar.month,
        calendar.location_id,
        'provider' as resource_kind,
        providers.provider_id as resource_id,
        case
            when calendar.is_closure_day then 0
            else coalesce(provider_availability.available_minutes, 0)
        end as available_minutes
    from calendar
    inner join providers
        on calendar.location_id = providers.location_id
    left join provider_availability
        on providers.provider_id = provider_availability.provider_id
        and calendar.weekday = provider_availability.weekday

),

resource_minutes as (

    select
        resource_id,
        start_date,
        sum(duration_minutes) as scheduled_minutes,
        sum(duration_minutes) filter (where outcome = 'completed') as completed_minutes
    from held_appointments
    where resource_id is not null
    group by resource_id, start_date

),

provider_minutes as (

    select
        provider_id,
        start_date,
        sum(duration_minutes) as scheduled_minutes,
        sum(duration_minutes) filter (where outcome = 'completed') as completed_minutes
    from held_appointments
    where provider_id is not null
    group by provider_id, start_date

),

chair_minutes as (

    select
        chair_id,
        session_date,
        sum(chair_minutes) as chair_minutes
    from sessions
    where chair_id is not null
    group by chair_id, session_date

),

resource_rows as (

    select
        resource_days.date,
        resource_days.week_start,
        resource_days.month,
        resource_days.location_id,
        resource_days.resource_kind,
        resource_days.resource_id,
        resource_days.available_minutes,
        coalesce(resource_minutes.scheduled_minutes, 0) as scheduled_minutes,
        coalesce(resource_minutes.completed_minutes, 0) as completed_minutes,
        case
            when resource_days.resource_kind = 'chair' then coalesce(chair_minutes.chair_minutes, 0)
        end as chair_minutes
    from resource_days
    left join resource_minutes
        on resource_days.resource_id = resource_minutes.resource_id
        and resource_days.date = resource_minutes.start_date
    left join chair_minutes
        on resource_days.resource_id = chair_minutes.chair_id
        and resource_days.date = chair_minutes.session_date

),

provider_rows as (

    select
        provider_days.date,
        provider_days.week_start,
        provider_days.month,
        provider_days.location_id,
        provider_days.resource_kind,
        provider_days.resource_id,
        provider_days.available_minutes,
        coalesce(provider_minutes.scheduled_minutes, 0) as scheduled_minutes,
        coalesce(provider_minutes.completed_minutes, 0) as completed_minutes,
        null::bigint as chair_minutes
    from provider_days
    left join provider_minutes
        on provider_days.resource_id = provider_minutes.provider_id
        and provider_days.date = provider_minutes.start_date

),

unioned as (

    select
        date,
        week_start,
        month,
        location_id,
        resource_kind,
        resource_id,
        available_minutes,
        scheduled_minutes,
        completed_minutes,
        chair_minutes
    from resource_rows
    union all
    select
        date,
        week_start,
        month,
        location_id,
        resource_kind,
        resource_id,
        available_minutes,
        scheduled_minutes,
        completed_minutes,
        chair_minutes
    from provider_rows

),

final as (

    select
        date,
        week_start,
        month,
        location_id,
        resource_kind,
        resource_id,
        available_minutes::bigint as available_minutes,
        scheduled_minutes::bigint as scheduled_minutes,
        completed_minutes::bigint as completed_minutes,
        chair_minutes::bigint as chair_minutes,
        completed_minutes / nullif(available_minutes, 0)::double as utilization,
        scheduled_minutes / nullif(available_minutes, 0)::double as scheduled_utilization
    from unioned

)

select
    date,
    week_start,
    month,
    location_id,
    resource_kind,
    resource_id,
    available_minutes,
    scheduled_minutes,
    completed_minutes,
    chair_minutes,
    utilization,
    scheduled_utilization
from final
