-- The latest version of every appointment: the newest updated_at wins; on a tie the file ingested later
-- (higher _file_seq), then the later row of that file.
-- FHIR R4 records no cancellation time: a cancelled FHIR appointment without one (R5's cancellationDate)
-- takes the meta.lastUpdated of the first version we hold with status cancelled, but only when we also hold
-- an earlier version of it that was not cancelled (a nightly pull saw the change); else it stays unknown.
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

version_order as (

    select
        appointment_id,
        status,
        updated_at,
        row_number() over (
            partition by appointment_id
            order by updated_at asc nulls first, _file_seq asc nulls first, _row_number asc nulls first
        ) as version_number
    from lake_bookings

),

first_cancellations as (

    select
        appointment_id,
        arg_min(updated_at, version_number) as first_cancelled_at,
        min(version_number) as first_cancelled_version
    from version_order
    where status = 'cancelled'
    group by appointment_id

),

observed_cancellations as (

    -- every version before the first cancelled one is, by definition, not cancelled
    select
        appointment_id,
        first_cancelled_at
    from first_cancellations
    where first_cancelled_version > 1

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
        latest_versions.appointment_id,
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
        case
            when source_format = 'fhir' and status = 'cancelled'
                then coalesce(cancelled_at, observed_cancellations.first_cancelled_at)
            else cancelled_at
        end as cancelled_at,
        nullif(lower(trim(cancelled_by)), '') as cancelled_by,
        referral_source_raw,
        referral_phrase_key,
        updated_at,
        age_band,
        source_format
    from latest_versions
    left join observed_cancellations
        on latest_versions.appointment_id = observed_cancellations.appointment_id

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
