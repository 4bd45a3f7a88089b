-- The latest version of every appointment: the newest updated_at wins; on a tie the file ingested later
-- (higher _file_seq), then the later row of that file.
with

lake_bookings as (

    select
        appointment_id,
        patient_key,
        location_id,
        provider_id,
        resource_id,
        appointment_type,
        start_at,
        start_is_date_only,
        duration_minutes,
        status,
        status_says_late,
        created_at,
        created_is_date_only,
        cancelled_at,
        cancelled_by,
        referral_source_raw,
        referral_phrase_key,
        updated_at,
        age_band,
        source_format,
        _file_seq,
        _row_number
    from raw.bookings
    where appointment_id is not null

),

latest_versions as (

    select
        appointment_id,
        patient_key,
        location_id,
        provider_id,
        resource_id,
        appointment_type,
        start_at,
        start_is_date_only,
        duration_minutes,
        status,
        status_says_late,
        created_at,
        created_is_date_only,
        cancelled_at,
        cancelled_by,
        referral_source_raw,
        referral_phrase_key,
        updated_at,
        age_band,
        source_format
    from lake_bookings
    qualify row_number() over (
        partition by appointment_id
        order by updated_at desc nulls last, _file_seq desc nulls last, _row_number desc nulls last
    ) = 1

),

final as (

    select
        appointment_id,
        patient_key,
        location_id,
        provider_id,
        resource_id,
        appointment_type,
        start_at,
        start_at::date as start_date,
        coalesce(start_is_date_only, false) as start_is_date_only,
        duration_minutes,
        status,
        coalesce(status_says_late, false) as status_says_late,
        created_at,
        created_at::date as created_date,
        cancelled_at,
        nullif(lower(trim(cancelled_by)), '') as cancelled_by,
        referral_source_raw,
        referral_phrase_key,
        updated_at,
        age_band,
        source_format
    from latest_versions

)

select
    appointment_id,
    patient_key,
    location_id,
    provider_id,
    resource_id,
    appointment_type,
    start_at,
    start_date,
    start_is_date_only,
    duration_minutes,
    status,
    status_says_late,
    created_at,
    created_date,
    cancelled_at,
    cancelled_by,
    referral_source_raw,
    referral_phrase_key,
    updated_at,
    age_band,
    source_format
from final
