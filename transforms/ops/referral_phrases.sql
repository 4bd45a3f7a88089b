-- The unmatched referral answers as they may be shown: each phrase that 11 or more distinct patients typed
-- (for extending [referral_sources]), and one row without a phrase counting the rarer ones. As of the
-- latest run that read bookings; the phrases themselves are counted in the vault, never in the lake.
with

phrases as (

    select
        run_id,
        phrase,
        phrases,
        patients
    from raw.ops_referral_phrases
    where run_id is not null

),

latest_run as (

    select max(run_id) as run_id
    from phrases

),

final as (

    select
        phrases.phrase,
        phrases.phrases,
        phrases.patients,
        phrases.run_id
    from phrases
    inner join latest_run
        on phrases.run_id = latest_run.run_id

)

select
    phrase,
    phrases,
    patients,
    run_id
from final
