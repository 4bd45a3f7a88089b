-- Outcome counts per local start date, location, provider, appointment type, lead-time bucket and new vs
-- returning patient: the no-show page's breakdowns under the dashboard's location and provider filters.
-- Sums of these counts give the same figures as marts.appointment_outcomes_daily.
with

appointments as (

    select
        date,
        week_start,
        month,
        weekday,
        location_id,
        provider_id,
        appointment_type,
        lead_time_bucket,
        patient_visit,
        outcome,
        is_first_visit
    from marts.appointment_patients

),

counted as (

    select
        date,
        week_start,
        month,
        weekday,
        location_id,
        provider_id,
        appointment_type,
        lead_time_bucket,
        patient_visit,
        count(*) as appointments,
        count(*) filter (where outcome = 'completed') as completed,
        count(*) filter (where outcome = 'no_show') as no_show,
        count(*) filter (where outcome = 'late_cancel') as late_cancel,
        count(*) filter (where outcome = 'early_cancel') as early_cancel,
        count(*) filter (where outcome = 'clinic_cancel') as clinic_cancel,
        count(*) filter (where outcome = 'upcoming') as upcoming,
        count(*) filter (where outcome = 'unresolved') as unresolved,
        count(*) filter (where is_first_visit) as first_visits
    from appointments
    group by date, week_start, month, weekday, location_id, provider_id, appointment_type, lead_time_bucket,
        patient_visit

),

final as (

    select
        date,
        week_start,
        month,
        weekday,
        location_id,
        provider_id,
        appointment_type,
        lead_time_bucket,
        patient_visit,
        appointments,
        completed,
        no_show,
        late_cancel,
        early_cancel,
        clinic_cancel,
        upcoming,
        unresolved,
        first_visits,
        completed + no_show + late_cancel as kept_and_missed,
        no_show / nullif(completed + no_show + late_cancel, 0)::double as no_show_rate,
        late_cancel / nullif(completed + no_show + late_cancel, 0)::double as late_cancel_rate,
        (no_show + late_cancel) / nullif(completed + no_show + late_cancel, 0)::double as missed_rate
    from counted

)

select
    date,
    week_start,
    month,
    weekday,
    location_id,
    provider_id,
    appointment_type,
    lead_time_bucket,
    patient_visit,
    appointments,
    completed,
    no_show,
    late_cancel,
    early_cancel,
    clinic_cancel,
    upcoming,
    unresolved,
    first_visits,
    kept_and_missed,
    no_show_rate,
    late_cancel_rate,
    missed_rate
from final
