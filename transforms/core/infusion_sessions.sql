-- One row per infusion session (latest version), with its durations, dose per kg and flags.
-- A session logged without an appointment id is matched to the booking on the same chair, patient and local
-- day (of chair_in and of the start) when exactly one such booking exists; bookings that were cancelled or
-- entered in error held no chair and are no candidates. Otherwise the session is flagged is_unmatched.
with

sessions as (

    select
        session_id,
        appointment_id,
        patient_key,
        location_id,
        chair_id,
        provider_id,
        chair_in_at,
        infusion_start_at,
        infusion_end_at,
        chair_out_at,
        medication,
        route,
        dose_mg,
        weight_kg,
        infusion_number,
        bp_systolic_pre,
        bp_diastolic_pre,
        bp_systolic_max,
        heart_rate_max,
        spo2_min,
        phq9_pre,
        phq9_post,
        gad7_pre,
        adverse_events,
        aborted
    from staging.stg_sessions

),

candidate_bookings as (

    select
        appointment_id,
        patient_key,
        resource_id,
        start_date
    from staging.stg_bookings
    where
        status is not null
        and status not in ('cancelled', 'entered-in-error')
        and resource_id is not null
        and patient_key is not null

),

day_matches as (

    select
        sessions.session_id,
        count(*) as candidates,
        min(candidate_bookings.appointment_id) as matched_appointment_id
    from sessions
    inner join candidate_bookings
        on
            sessions.patient_key = candidate_bookings.patient_key
            and sessions.chair_id = candidate_bookings.resource_id
            and sessions.chair_in_at::date = candidate_bookings.start_date
    where sessions.appointment_id is null
    group by sessions.session_id

),

matched as (

    select
        sessions.session_id,
        sessions.patient_key,
        sessions.location_id,
        sessions.chair_id,
        sessions.provider_id,
        sessions.chair_in_at,
        sessions.infusion_start_at,
        sessions.infusion_end_at,
        sessions.chair_out_at,
        sessions.medication,
        sessions.route,
        sessions.dose_mg,
        sessions.weight_kg,
        sessions.infusion_number,
        sessions.bp_systolic_pre,
        sessions.bp_diastolic_pre,
        sessions.bp_systolic_max,
        sessions.heart_rate_max,
        sessions.spo2_min,
        sessions.phq9_pre,
        sessions.phq9_post,
        sessions.gad7_pre,
        sessions.adverse_events,
        sessions.aborted,
        case
            when sessions.appointment_id is not null then sessions.appointment_id
            when day_matches.candidates = 1 then day_matches.matched_appointment_id
        end as appointment_id,
        case
            when sessions.appointment_id is not null then 'logged'
            when day_matches.candidates = 1 then 'matched'
            when day_matches.candidates > 1 then 'ambiguous'
            else 'none'
        end as appointment_match
    from sessions
    left join day_matches
        on sessions.session_id = day_matches.session_id

),

final as (

    select
        session_id,
        appointment_id,
        patient_key,
        location_id,
        chair_id,
        provider_id,
        chair_in_at,
        infusion_start_at,
        infusion_end_at,
        chair_out_at,
        chair_in_at::date as session_date,
        -- elapsed time between two instants, so a session across a DST change counts its real minutes
        round(epoch(chair_out_at - chair_in_at) / 60)::bigint as chair_minutes,
        round(epoch(infusion_end_at - infusion_start_at) / 60)::bigint as infusion_minutes,
        medication,
        route,
        dose_mg,
        weight_kg,
        dose_mg / nullif(weight_kg, 0) as dose_mg_per_kg,
        infusion_number,
        bp_systolic_pre,
        bp_diastolic_pre,
        bp_systolic_max,
        heart_rate_max,
        spo2_min,
        phq9_pre,
        phq9_post,
        gad7_pre,
        phq9_post - phq9_pre as phq9_change,
        adverse_events,
        aborted,
        adverse_events is not null as has_adverse_event,
        appointment_match,
        appointment_match in ('ambiguous', 'none') as is_unmatched
    from matched

)

select
    session_id,
    appointment_id,
    patient_key,
    location_id,
    chair_id,
    provider_id,
    session_date,
    chair_in_at,
    infusion_start_at,
    infusion_end_at,
    chair_out_at,
    chair_minutes,
    infusion_minutes,
    medication,
    route,
    dose_mg,
    weight_kg,
    dose_mg_per_kg,
    infusion_number,
    bp_systolic_pre,
    bp_diastolic_pre,
    bp_systolic_max,
    heart_rate_max,
    spo2_min,
    phq9_pre,
    phq9_post,
    phq9_change,
    gad7_pre,
    adverse_events,
    aborted,
    has_adverse_event,
    appointment_match,
    is_unmatched
from final
