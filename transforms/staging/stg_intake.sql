-- One row per patient from the intake exports: the earliest intake that answered "how did you hear about
-- us" (a later file, then a later row, wins a tie). The answer arrives coded (README, "Intake"): given or
-- not, and its normalised text only where it matched a configured referral word.
with

lake_intake as (

    select
        patient_key,
        intake_date,
        referral_given,
        referral_matched_text,
        _file_seq,
        _row_number
    from raw.intake
    where patient_key is not null and referral_given

),

first_answers as (

    select
        patient_key,
        intake_date,
        referral_matched_text
    from lake_intake
    qualify row_number() over (
        partition by patient_key
        order by intake_date asc nulls last, _file_seq desc nulls last, _row_number desc nulls last
    ) = 1

)

select
    patient_key,
    intake_date,
    referral_matched_text,
    regexp_replace(referral_matched_text, '[^a-z0-9]', '', 'g') as variant_key
from first_answers
