-- No-shows and late cancellations by month of the local start date, lead-time bucket and appointment type.
-- Appointments without a known created_at (no lead time) are left out.
with

appointments as (

    select
        month,
        lead_time_bucket,
        appointment_type,
        outcome
    from core.appointments
    where outcome <> 'excluded' and lead_time_bucket is not null

),

counted as (

    select
        month,
        lead_time_bucket,
        appointment_type,
        count(*) as appointments,
        count(*) filter (where outcome in ('completed', 'no_show', 'late_cancel')) as kept_and_missed,
        count(*) filter (where outcome = 'no_show') as no_show,
        count(*) filter (where outcome = 'late_cancel') as late_cancel
    from appointments
    group by month, lead_time_bucket, appointment_type

),

final as (

    select
        month,
        lead_time_bucket,
        appointment_type,
        appointments,
        kept_and_missed,
        no_show,
        late_cancel,
        no_show / nullif(kept_and_missed, 0)::double as no_show_rate,
        late_cancel / nullif(kept_and_missed, 0)::double as late_cancel_rate,
        (no_show + late_cancel) / nullif(kept_and_missed, 0)::double as missed_rate
    from counted

)

select
    month,
    lead_time_bucket,
    appointment_type,
    appointments,
    kept_and_missed,
    no_show,
    late_cancel,
    no_show_rate,
    late_cancel_rate,
    missed_rate
from final
