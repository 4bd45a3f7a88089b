-- Outcome counts and rates per local start date, location, provider and appointment type, for every
-- combination with at least one non-excluded appointment. Rates are NULL when kept + missed is 0.
with

appointments as (

    select
        start_date,
        week_start,
        month,
        weekday,
        location_id,
        provider_id,
        appointment_type,
        outcome
    from core.appointments
    where outcome <> 'excluded'

),

counted as (

    select
        start_date as date,
        week_start,
        month,
        weekday,
        location_id,
        provider_id,
        appointment_type,
        count(*) as appointments,
        count(*) filter (where outcome = 'completed') as completed,
        count(*) filter (where outcome = 'no_show') as no_show,
        count(*) filter (where outcome = 'late_cancel') as late_cancel,
        count(*) filter (where outcome = 'early_cancel') as early_cancel,
        count(*) filter (where outcome = 'clinic_cancel') as clinic_cancel,
        count(*) filter (where outcome = 'upcoming') as upcoming,
        count(*) filter (where outcome = 'unresolved') as unresolved
    from appointments
    group by start_date, week_start, month, weekday, location_id, provider_id, appointment_type

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
        appointments,
        completed,
        no_show,
        late_cancel,
        early_cancel,
        clinic_cancel,
        upcoming,
        unresolved,
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
    appointments,
    completed,
    no_show,
    late_cancel,
    early_cancel,
    clinic_cancel,
    upcoming,
    unresolved,
    kept_and_missed,
    no_show_rate,
    late_cancel_rate,
    missed_rate
from final
