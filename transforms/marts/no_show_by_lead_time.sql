-- No-shows and late cancellations by month of the local start date, lead-time bucket and appointment type.
-- Appointments without a known created_at (no lead time) are left out. The counts are sums of
-- marts.appointment_outcomes_detail, where outcomes are counted.
with

detail as (

    select
        month,
        lead_time_bucket,
        appointment_type,
        appointments,
        kept_and_missed,
        no_show,
        late_cancel
    from marts.appointment_outcomes_detail
    where lead_time_bucket is not null

),

counted as (

    select
        month,
        lead_time_bucket,
        appointment_type,
        sum(appointments)::bigint as appointments,
        sum(kept_and_missed)::bigint as kept_and_missed,
        sum(no_show)::bigint as no_show,
        sum(late_cancel)::bigint as late_cancel
    from detail
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
