-- New patients per cohort month (month of the first completed visit), referral source and location of
-- that first visit.
with

patients as (

    select
        patient_key,
        referral_source,
        cohort_month,
        first_visit_location_id
    from core.patients
    where cohort_month is not null

),

final as (

    select
        cohort_month as month,
        referral_source,
        first_visit_location_id as location_id,
        count(*) as new_patients
    from patients
    group by cohort_month, referral_source, first_visit_location_id

)

select
    month,
    referral_source,
    location_id,
    new_patients
from final
