-- The latest version of every infusion session log: newest updated_at, then later file, then later row.
with

lake_sessions as (

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
        aborted,
        updated_at,
        _file_seq,
        _row_number
    from raw.sessions
    where session_id is not null

),

latest_versions as (

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
        aborted,
        updated_at
    from lake_sessions
    qualify row_number() over (
        partition by session_id
        order by updated_at desc nulls last, _file_seq desc nulls last, _row_number desc nulls last
    ) = 1

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
        nullif(trim(adverse_events), '') as adverse_events,
        coalesce(aborted, false) as aborted,
        updated_at
    from latest_versions

)

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
    aborted,
    updated_at
from final
