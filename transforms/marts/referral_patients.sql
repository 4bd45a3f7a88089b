-- One row per patient (core.patients) with the referral page's dimensions: first-touch source, first-booking
-- month, the location the patient is counted at (that of the first completed visit, else of the earliest
-- booking) and the funnel's steps as flags. Summing the flags under the dashboard's filters gives the
-- funnel; its rows are patients, so they are also the count behind small-cell suppression.
with

patients as (

    select
        patient_key,
        referral_source,
        first_booking_month,
        first_visit_date,
        cohort_month,
        first_visit_location_id,
        first_infusion_date,
        days_to_first_infusion,
        series_completed
    from core.patients

),

first_bookings as (

    select
        patient_key,
        location_id
    from core.appointments
    where outcome <> 'excluded' and patient_key is not null
    qualify row_number() over (
        partition by patient_key
        order by created_at nulls last, start_at, appointment_id
    ) = 1

),

final as (

    select
        patients.patient_key,
        patients.referral_source,
        patients.first_booking_month,
        coalesce(patients.first_visit_location_id, first_bookings.location_id) as location_id,
        patients.cohort_month,
        patients.first_visit_date,
        patients.first_infusion_date,
        patients.first_visit_date is not null as first_visit_completed,
        patients.first_infusion_date is not null as infusion_started,
        patients.series_completed,
        patients.days_to_first_infusion
    from patients
    left join first_bookings
        on patients.patient_key = first_bookings.patient_key

)

select
    patient_key,
    referral_source,
    first_booking_month,
    location_id,
    cohort_month,
    first_visit_date,
    first_infusion_date,
    first_visit_completed,
    infusion_started,
    series_completed,
    days_to_first_infusion
from final
