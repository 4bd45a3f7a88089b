-- One row per patient with at least one non-excluded appointment: first-touch referral source, first
-- booking, first visit (cohort), first completed infusion, infusions completed, series completion and the
-- PHQ-9 trend. The one place the referral and series rules of metrics.md live.
with

appointments as (

    select
        appointment_id,
        patient_key,
        location_id,
        start_at,
        start_date,
        created_at,
        is_first_visit,
        is_completed_infusion
    from core.appointments
    where outcome <> 'excluded' and patient_key is not null

),

booking_texts as (

    -- the reader keeps a referral answer's text only where it matched a configured word; any answer given
    -- has a phrase key, so an unmatched one still counts (as other)
    select
        appointment_id,
        referral_source_raw,
        referral_phrase_key
    from staging.stg_bookings

),

sessions as (

    select
        patient_key,
        session_id,
        chair_in_at,
        phq9_pre
    from core.infusion_sessions

),

referral_variants as (

    select
        variant_key,
        referral_source
    from config.referral_variants

),

settings as (

    select
        series_size,
        series_window_days
    from config.settings

),

referral_texts as (

    select
        appointments.patient_key,
        appointments.appointment_id,
        appointments.created_at,
        trim(regexp_replace(lower(booking_texts.referral_source_raw), '[^a-z0-9]+', ' ', 'g'))
            as referral_source_raw_normalised,
        regexp_replace(lower(booking_texts.referral_source_raw), '[^a-z0-9]', '', 'g') as variant_key
    from appointments
    inner join booking_texts
        on appointments.appointment_id = booking_texts.appointment_id
    -- an answer is given when it has a letter or digit (or a phrase key); anything else is an empty value
    where regexp_replace(lower(booking_texts.referral_source_raw), '[^a-z0-9]', '', 'g') <> ''
        or booking_texts.referral_phrase_key is not null

),

first_touch as (

    select
        referral_texts.patient_key,
        case
            when referral_variants.referral_source is not null then referral_texts.referral_source_raw_normalised
        end as referral_source_raw_normalised,
        coalesce(referral_variants.referral_source, 'other') as referral_source
    from referral_texts
    left join referral_variants
        on referral_texts.variant_key = referral_variants.variant_key
    qualify row_number() over (
        partition by referral_texts.patient_key
        order by referral_texts.created_at nulls last, referral_texts.appointment_id
    ) = 1

),

visits as (

    select
        patient_key,
        min(created_at) as first_booking_at,
        count(*) as appointments,
        min(start_date) filter (where is_first_visit) as first_visit_date,
        min(location_id) filter (where is_first_visit) as first_visit_location_id,
        min(start_date) filter (where is_completed_infusion) as first_infusion_date
    from appointments
    group by patient_key

),

infusions as (

    select
        appointments.patient_key,
        count(*) as infusions_completed,
        count(*) filter (
            where appointments.start_date <= visits.first_infusion_date + settings.series_window_days::integer
        ) as infusions_in_window
    from appointments
    inner join visits
        on appointments.patient_key = visits.patient_key
    cross join settings
    where appointments.is_completed_infusion
    group by appointments.patient_key

),

phq9_scores as (

    select
        patient_key,
        arg_min(phq9_pre, chair_in_at) as phq9_first_pre,
        arg_max(phq9_pre, chair_in_at) as phq9_latest_pre,
        count(*) as scored_sessions
    from sessions
    where phq9_pre is not null
    group by patient_key

),

final as (

    select
        visits.patient_key,
        coalesce(first_touch.referral_source, 'unknown') as referral_source,
        first_touch.referral_source_raw_normalised,
        visits.first_booking_at,
        visits.first_booking_at::date as first_booking_date,
        date_trunc('month', visits.first_booking_at::date)::date as first_booking_month,
        visits.appointments,
        visits.first_visit_date,
        date_trunc('month', visits.first_visit_date)::date as cohort_month,
        visits.first_visit_location_id,
        visits.first_infusion_date,
        visits.first_infusion_date - visits.first_booking_at::date as days_to_first_infusion,
        coalesce(infusions.infusions_completed, 0) as infusions_completed,
        coalesce(infusions.infusions_in_window, 0) as infusions_in_series_window,
        coalesce(infusions.infusions_in_window, 0) >= settings.series_size as series_completed,
        phq9_scores.phq9_first_pre,
        phq9_scores.phq9_latest_pre,
        case
            when phq9_scores.scored_sessions >= 2 then phq9_scores.phq9_latest_pre - phq9_scores.phq9_first_pre
        end as phq9_change
    from visits
    cross join settings
    left join first_touch
        on visits.patient_key = first_touch.patient_key
    left join infusions
        on visits.patient_key = infusions.patient_key
    left join phq9_scores
        on visits.patient_key = phq9_scores.patient_key

)

select
    patient_key,
    referral_source,
    referral_source_raw_normalised,
    first_booking_at,
    first_booking_date,
    first_booking_month,
    appointments,
    first_visit_date,
    cohort_month,
    first_visit_location_id,
    first_infusion_date,
    days_to_first_infusion,
    infusions_completed,
    infusions_in_series_window,
    series_completed,
    phq9_first_pre,
    phq9_latest_pre,
    phq9_change
from final
