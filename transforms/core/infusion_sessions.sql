-- One row per infusion session (latest version), with its durations, dose per kg and flags.
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
        adverse_events is not null as has_adverse_event
    from sessions

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
    has_adverse_event
from final
