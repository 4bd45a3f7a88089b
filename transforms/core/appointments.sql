-- One row per appointment (latest version) with its outcome: the one place the outcome rules of
-- metrics.md live. "Started" means start_at at or before as_of; for a date-only start, a local date
-- before the local date of as_of.
with

bookings as (

    select
        appointment_id,
        patient_key,
        location_id,
        provider_id,
        resource_id,
        appointment_type,
        start_at,
        start_date,
        start_is_date_only,
        duration_minutes,
        status,
        status_says_late,
        created_at,
        created_date,
        cancelled_at,
        cancelled_by,
        updated_at,
        age_band,
        source_format
    from staging.stg_bookings

),

settings as (

    select
        as_of,
        as_of::date as as_of_date,
        late_cancel_hours
    from config.settings

),

sessions as (

    select
        appointment_id,
        aborted
    from core.infusion_sessions
    where appointment_id is not null

),

aborted_appointments as (

    select distinct appointment_id
    from sessions
    where aborted

),

timed as (

    select
        bookings.appointment_id,
        bookings.patient_key,
        bookings.location_id,
        bookings.provider_id,
        bookings.resource_id,
        bookings.appointment_type,
        bookings.start_at,
        bookings.start_date,
        bookings.start_is_date_only,
        bookings.duration_minutes,
        bookings.status,
        bookings.status_says_late,
        bookings.created_at,
        bookings.created_date,
        bookings.cancelled_at,
        case when bookings.status = 'cancelled' then coalesce(bookings.cancelled_by, 'patient') end as cancelled_by,
        bookings.updated_at,
        bookings.age_band,
        bookings.source_format,
        case
            when bookings.start_is_date_only then bookings.start_date < settings.as_of_date
            else bookings.start_at <= settings.as_of
        end as has_started,
        -- negative when cancelled after the start
        (epoch_us(bookings.start_at) - epoch_us(bookings.cancelled_at)) / 3600e6 as cancel_notice_hours,
        settings.late_cancel_hours
    from bookings
    cross join settings

),

with_outcome as (

    select
        appointment_id,
        patient_key,
        location_id,
        provider_id,
        resource_id,
        appointment_type,
        start_at,
        start_date,
        start_is_date_only,
        duration_minutes,
        status,
        status_says_late,
        created_at,
        created_date,
        cancelled_at,
        cancelled_by,
        cancel_notice_hours,
        updated_at,
        age_band,
        source_format,
        case
            when status is null or status in ('entered-in-error', 'proposed', 'pending', 'waitlist') then 'excluded'
            when status = 'fulfilled' then 'completed'
            when status in ('arrived', 'checked-in') and has_started then 'completed'
            when status = 'noshow' then 'no_show'
            when status = 'cancelled' and cancelled_by = 'clinic' then 'clinic_cancel'
            when status = 'cancelled' and (status_says_late or cancel_notice_hours < late_cancel_hours) then 'late_cancel'
            when status = 'cancelled' then 'early_cancel'
            when status in ('booked', 'arrived', 'checked-in') and not has_started then 'upcoming'
            when status = 'booked' and has_started then 'unresolved'
            else 'excluded'
        end as outcome
    from timed

),

flagged as (

    select
        with_outcome.appointment_id,
        with_outcome.patient_key,
        with_outcome.location_id,
        with_outcome.provider_id,
        with_outcome.resource_id,
        with_outcome.appointment_type,
        with_outcome.start_at,
        with_outcome.start_date,
        with_outcome.start_is_date_only,
        with_outcome.duration_minutes,
        with_outcome.status,
        with_outcome.status_says_late,
        with_outcome.outcome,
        with_outcome.created_at,
        with_outcome.created_date,
        with_outcome.cancelled_at,
        with_outcome.cancelled_by,
        with_outcome.cancel_notice_hours,
        with_outcome.updated_at,
        with_outcome.age_band,
        with_outcome.source_format,
        with_outcome.outcome = 'completed'
        and with_outcome.appointment_type in ('ketamine_infusion', 'booster_infusion', 'esketamine_session')
        and aborted_appointments.appointment_id is null as is_completed_infusion,
        case
            when with_outcome.outcome = 'completed'
                then row_number() over (
                    partition by with_outcome.patient_key, with_outcome.outcome = 'completed'
                    order by with_outcome.start_at, with_outcome.appointment_id
                ) = 1
            else false
        end as is_first_visit
    from with_outcome
    left join aborted_appointments
        on with_outcome.appointment_id = aborted_appointments.appointment_id

),

final as (

    select
        appointment_id,
        patient_key,
        location_id,
        provider_id,
        resource_id,
        appointment_type,
        start_at,
        start_date,
        start_is_date_only,
        case when not start_is_date_only then hour(start_at) end as start_hour,
        isodow(start_date) as weekday,
        date_trunc('week', start_date)::date as week_start,
        date_trunc('month', start_date)::date as month,
        duration_minutes,
        status,
        status_says_late,
        outcome,
        created_at,
        created_date,
        start_date - created_date as lead_time_days,
        case
            when start_date - created_date <= 0 then 'same_day'
            when start_date - created_date <= 7 then '1-7'
            when start_date - created_date <= 14 then '8-14'
            when start_date - created_date <= 30 then '15-30'
            when start_date - created_date > 30 then '31+'
        end as lead_time_bucket,
        cancelled_at,
        cancelled_by,
        cancel_notice_hours,
        is_first_visit,
        is_completed_infusion,
        age_band,
        updated_at,
        source_format
    from flagged

)

select
    appointment_id,
    patient_key,
    location_id,
    provider_id,
    resource_id,
    appointment_type,
    start_at,
    start_date,
    start_is_date_only,
    start_hour,
    weekday,
    week_start,
    month,
    duration_minutes,
    status,
    status_says_late,
    outcome,
    created_at,
    created_date,
    lead_time_days,
    lead_time_bucket,
    cancelled_at,
    cancelled_by,
    cancel_notice_hours,
    is_first_visit,
    is_completed_infusion,
    age_band,
    updated_at,
    source_format
from final
