-- The referral funnel per first-booking month and referral source: patients booked -> first visit
-- completed -> first infusion completed -> series completed, with the conversion of each step.
with

patients as (

    select
        patient_key,
        referral_source,
        first_booking_month,
        first_visit_date,
        first_infusion_date,
        days_to_first_infusion,
        series_completed
    from core.patients

),

counted as (

    select
        first_booking_month as month,
        referral_source,
        count(*) as patients_booked,
        count(*) filter (where first_visit_date is not null) as first_visits_completed,
        count(*) filter (where first_infusion_date is not null) as infusions_started,
        count(*) filter (where series_completed) as series_completed,
        median(days_to_first_infusion::double) as median_days_to_first_infusion
    from patients
    group by first_booking_month, referral_source

),

final as (

    select
        month,
        referral_source,
        patients_booked,
        first_visits_completed,
        infusions_started,
        series_completed,
        first_visits_completed / nullif(patients_booked, 0)::double as visit_rate,
        infusions_started / nullif(first_visits_completed, 0)::double as infusion_rate,
        series_completed / nullif(infusions_started, 0)::double as series_rate,
        median_days_to_first_infusion
    from counted

)

select
    month,
    referral_source,
    patients_booked,
    first_visits_completed,
    infusions_started,
    series_completed,
    visit_rate,
    infusion_rate,
    series_rate,
    median_days_to_first_infusion
from final
