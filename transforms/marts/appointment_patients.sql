-- One row per non-excluded appointment, carrying the pseudonymous patient_key and every dimension the
-- dashboard filters or groups by. It exists so the dashboard can count the distinct patients behind any
-- figure under the same filters (small-cell suppression): distinct patients are not additive across the
-- rows of the aggregated marts. The flags restate nothing: they are core.appointments' outcome read once
-- here, so the dashboard never spells a rule in Python.
with

appointments as (

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
        weekday,
        week_start,
        month,
        duration_minutes,
        outcome,
        lead_time_bucket,
        is_first_visit,
        is_completed_infusion
    from core.appointments
    where outcome <> 'excluded'

),

resources as (

    select
        resource_id,
        resource_kind
    from config.resources

),

first_visits as (

    select
        patient_key,
        min(start_at) as first_visit_at
    from appointments
    where is_first_visit
    group by patient_key

),

final as (

    select
        appointments.appointment_id,
        appointments.patient_key,
        appointments.start_date as date,
        appointments.week_start,
        appointments.month,
        appointments.weekday,
        appointments.location_id,
        appointments.provider_id,
        appointments.resource_id,
        resources.resource_kind,
        appointments.appointment_type,
        appointments.start_at,
        case
            when not appointments.start_is_date_only
                then hour(appointments.start_at) * 60 + minute(appointments.start_at)
        end as start_minute,
        case
            when not appointments.start_is_date_only
                then least(1440, hour(appointments.start_at) * 60 + minute(appointments.start_at)
                    + appointments.duration_minutes)
        end as end_minute,
        appointments.duration_minutes,
        appointments.outcome,
        coalesce(appointments.lead_time_bucket, 'unknown') as lead_time_bucket,
        case
            when first_visits.first_visit_at is null or appointments.start_at <= first_visits.first_visit_at
                then 'new'
            else 'returning'
        end as patient_visit,
        appointments.outcome in ('completed', 'no_show', 'late_cancel') as is_kept_or_missed,
        appointments.outcome in ('completed', 'no_show', 'late_cancel', 'upcoming', 'unresolved') as holds_slot,
        appointments.is_first_visit,
        appointments.is_completed_infusion
    from appointments
    left join resources
        on appointments.resource_id = resources.resource_id
    left join first_visits
        on appointments.patient_key = first_visits.patient_key

)

select
    appointment_id,
    patient_key,
    date,
    week_start,
    month,
    weekday,
    location_id,
    provider_id,
    resource_id,
    resource_kind,
    appointment_type,
    start_at,
    start_minute,
    end_minute,
    duration_minutes,
    outcome,
    lead_time_bucket,
    patient_visit,
    is_kept_or_missed,
    holds_slot,
    is_first_visit,
    is_completed_infusion
from final
