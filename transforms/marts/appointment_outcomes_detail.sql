-- Outcome counts per local start date, location, provider, appointment type, lead-time bucket and new vs
-- returning patient: the no-show page's breakdowns under the dashboard's location and provider filters.
-- The one place outcomes are counted: marts.appointment_outcomes_daily sums these counts and divides.
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
        completed + no_show + late_cancel as kept_and_missed
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
    kept_and_missed
from final
