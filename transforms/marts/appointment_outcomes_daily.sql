-- Outcome counts and rates per local start date, location, provider and appointment type, for every
-- combination with at least one non-excluded appointment. The counts are the sums of
-- marts.appointment_outcomes_detail (where outcomes are counted); the rates are defined here, once, and are
-- NULL when kept + missed is 0.
with

detail as (

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
        kept_and_missed
    from marts.appointment_outcomes_detail

),

summed as (

    select
        date,
        week_start,
        month,
        weekday,
        location_id,
        provider_id,
        appointment_type,
        sum(appointments)::bigint as appointments,
        sum(completed)::bigint as completed,
        sum(no_show)::bigint as no_show,
        sum(late_cancel)::bigint as late_cancel,
        sum(early_cancel)::bigint as early_cancel,
        sum(clinic_cancel)::bigint as clinic_cancel,
        sum(upcoming)::bigint as upcoming,
        sum(unresolved)::bigint as unresolved,
        sum(kept_and_missed)::bigint as kept_and_missed
    from detail
    group by date, week_start, month, weekday, location_id, provider_id, appointment_type

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
        kept_and_missed,
        no_show / nullif(kept_and_missed, 0)::double as no_show_rate,
        late_cancel / nullif(kept_and_missed, 0)::double as late_cancel_rate,
        (no_show + late_cancel) / nullif(kept_and_missed, 0)::double as missed_rate
    from summed

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
