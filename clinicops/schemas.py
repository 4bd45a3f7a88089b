"""The canonical rows every reader produces, and the run-history rows of `ops/`: the lake's contract.

Readers (one module per input format) turn a file into batches of these columns. Instants are UTC
(`timestamp[us, tz=UTC]`); nothing here is PHI: `patient_id` has become `patient_key` (vault) and a date
of birth an `age_band`. Columns starting with `_` are lineage: which landed file and row a value came from.

Before validation a batch also carries `_raw_values`: the row's source values as JSON text with PHI
blanked, used for the quarantine and dropped before the accepted rows are written to the lake.
"""

from __future__ import annotations

import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")
RAW_VALUES = "_raw_values"  # a read batch's source values as JSON text, PHI blanked (quarantine only)
BLANK = "[removed]"  # what a blanked value reads as

LINEAGE = [
    pa.field("_file", pa.string()),  # the file's name in the inbox
    pa.field("_file_sha256", pa.string()),  # content id of the landed raw copy
    pa.field("_file_seq", pa.int64()),  # global ingest order of that file version (later wins ties)
    pa.field("_row_number", pa.int64()),  # CSV: spreadsheet row (header = 1); JSONL: line; JSON: 1-based item
    pa.field("_ingested_at", TS),  # when this file version was first ingested
]

BOOKINGS = pa.schema(
    [
        pa.field("appointment_id", pa.string()),
        pa.field("patient_key", pa.string()),
        pa.field("location_id", pa.string()),
        pa.field("provider_id", pa.string()),
        pa.field("resource_id", pa.string()),
        pa.field("appointment_type", pa.string()),  # canonical type, NULL when the word is unknown
        pa.field("start_at", TS),  # date-only starts: local midnight of that date
        pa.field("start_is_date_only", pa.bool_()),
        pa.field("duration_minutes", pa.int64()),  # from duration_minutes, else end - start
        pa.field("status", pa.string()),  # FHIR Appointment code, NULL when the word is unknown
        pa.field("status_says_late", pa.bool_()),  # the status word itself said "late cancel"
        pa.field("created_at", TS),
        pa.field("created_is_date_only", pa.bool_()),
        pa.field("cancelled_at", TS),
        pa.field("cancelled_by", pa.string()),  # 'patient' or 'clinic' (status words may say clinic)
        # the referral answer, normalised, only where it matched a configured word (free text goes no further)
        pa.field("referral_source_raw", pa.string()),
        pa.field("referral_phrase_key", pa.string()),  # a one-way name of any answer given (vault-keyed)
        pa.field("updated_at", TS),  # version time; empty in the file = _ingested_at
        pa.field("age_band", pa.string()),  # from patient_dob / patient_age at the start date
        pa.field("source_format", pa.string()),  # 'csv', 'fhir', or the profile name
        *LINEAGE,
    ]
)

SESSIONS = pa.schema(
    [
        pa.field("session_id", pa.string()),
        pa.field("appointment_id", pa.string()),
        pa.field("patient_key", pa.string()),
        pa.field("location_id", pa.string()),
        pa.field("chair_id", pa.string()),
        pa.field("provider_id", pa.string()),
        pa.field("chair_in_at", TS),
        pa.field("infusion_start_at", TS),
        pa.field("infusion_end_at", TS),
        pa.field("chair_out_at", TS),
        pa.field("medication", pa.string()),  # 'ketamine' or 'esketamine' (lower case)
        pa.field("route", pa.string()),  # 'IV', 'IM' or 'IN'
        pa.field("dose_mg", pa.float64()),
        pa.field("weight_kg", pa.float64()),
        pa.field("infusion_number", pa.int64()),
        pa.field("bp_systolic_pre", pa.int64()),
        pa.field("bp_diastolic_pre", pa.int64()),
        pa.field("bp_systolic_max", pa.int64()),
        pa.field("heart_rate_max", pa.int64()),
        pa.field("spo2_min", pa.int64()),
        pa.field("phq9_pre", pa.int64()),
        pa.field("phq9_post", pa.int64()),
        pa.field("gad7_pre", pa.int64()),
        pa.field("adverse_events", pa.string()),  # ';'-separated, lower case, trimmed
        pa.field("aborted", pa.bool_()),
        pa.field("updated_at", TS),
        *LINEAGE,
    ]
)

REVIEWS = pa.schema(
    [
        pa.field("site", pa.string()),  # yelp, google (the Business Profile's reviews are google's), or a CSV site
        pa.field("review_id", pa.string()),
        pa.field("location_id", pa.string()),
        pa.field("rating", pa.int64()),  # NULL when not a whole number (the row is then bad)
        pa.field("rating_raw", pa.string()),
        pa.field("published_at", TS),
        pa.field("text", pa.string()),  # NULL where the site's terms do not let us keep it
        pa.field("updated_at", TS),  # version time: Business Profile updateTime, else the fetch date / ingest
        pa.field("origin", pa.string()),  # yelp, google_places, google_places_new, google_business_profile, csv
        pa.field("seen_date", pa.date32()),  # the fetch date of the saved response that listed it; CSV: NULL
        *LINEAGE,
    ]
)

REVIEW_SNAPSHOTS = pa.schema(
    [
        pa.field("site", pa.string()),
        pa.field("location_id", pa.string()),
        pa.field("snapshot_date", pa.date32()),  # the fetch date in the file's name
        pa.field("reported_rating", pa.float64()),
        pa.field("reported_review_count", pa.int64()),
        pa.field("origin", pa.string()),
        # the response lists every review the site holds for the location (a Business Profile list with no
        # nextPageToken): only then can a review missing from it have been removed
        pa.field("is_complete_list", pa.bool_()),
        *LINEAGE,
    ]
)

INTAKE = pa.schema(
    [
        pa.field("patient_key", pa.string()),
        pa.field("intake_date", pa.date32()),  # the practice-local date of the intake form
        pa.field("referral_given", pa.bool_()),  # the "how did you hear about us" answer had a letter or digit
        # the answer, normalised (lower case, other characters one space), ONLY where it matched a configured
        # referral word (operations.md, "Privacy": free text survives only in coded form); else NULL
        pa.field("referral_matched_text", pa.string()),
        pa.field("source_format", pa.string()),  # 'csv' (canonical intake layout) or the profile name
        *LINEAGE,
    ]
)

# what a reader saw that no value can show (clinicops.sources.checks): validated, never written to the lake
READ_CHECKS = [
    pa.field("_read_problem", pa.string()),  # the rule: malformed_row, field_too_large, control_characters, ...
    pa.field("_read_problem_column", pa.string()),  # the column (as the export names it) it was found in
    pa.field("_read_problem_detail", pa.string()),  # e.g. the lines a malformed record spans
]
# source columns of free text (blanked in quarantine raw values) and of dates (not masked as date-like text)
FREE_TEXT_COLUMNS = frozenset({"referral_source", "notes", "adverse_events", "text", "comment", "reviewreply",
                               "how_heard", "how did you hear about us"})
DATE_COLUMNS = frozenset({"start", "end", "created_at", "cancelled_at", "updated_at", "chair_in", "chair_out",
                          "infusion_start", "infusion_end", "published_at", "time_created", "time", "publishtime",
                          "createtime", "updatetime", "fetch_date", "date", "intake_date", "created", "lastupdated"})

LAKE = {
    "bookings": BOOKINGS,
    "sessions": SESSIONS,
    "reviews": REVIEWS,
    "review_snapshots": REVIEW_SNAPSHOTS,
    "intake": INTAKE,
}
# which column's local month partitions each lake table
PARTITION_COLUMN = {
    "bookings": "start_at",
    "sessions": "chair_in_at",
    "reviews": "published_at",
    "review_snapshots": "snapshot_date",
    "intake": "intake_date",
}
# lake columns whose name differs from the column staff see in their export (quarantine rows name the latter)
SOURCE_COLUMN = {
    "patient_key": "patient_id",
    "start_at": "start",
    "chair_in_at": "chair_in",
    "infusion_start_at": "infusion_start",
    "infusion_end_at": "infusion_end",
    "chair_out_at": "chair_out",
    "referral_source_raw": "referral_source",
    "referral_matched_text": "referral_source",
}
# the ops source each lake table belongs to
SOURCE_OF = {"bookings": "bookings", "sessions": "sessions", "reviews": "reviews", "review_snapshots": "reviews",
             "intake": "bookings"}

# ---- run history (<home>/ops/<table>/...parquet), loaded into the warehouse's ops schema ----
OPS = {
    "runs": pa.schema(
        [
            pa.field("run_id", pa.string()),
            pa.field("started_at", TS),
            pa.field("finished_at", TS),
            pa.field("status", pa.string()),  # published, published_with_errors, failed, refused
            pa.field("exit_code", pa.int64()),
            pa.field("as_of", TS),
            pa.field("files_rejected", pa.int64()),
            pa.field("message", pa.string()),
        ]
    ),
    "run_sources": pa.schema(
        [
            pa.field("run_id", pa.string()),
            pa.field("source", pa.string()),
            pa.field("files_read", pa.int64()),
            pa.field("files_skipped", pa.int64()),  # already ingested (same content)
            pa.field("files_rejected", pa.int64()),
            pa.field("rows_read", pa.int64()),
            pa.field("rows_accepted", pa.int64()),
            pa.field("rows_quarantined", pa.int64()),
            pa.field("status", pa.string()),  # ok, failed
            pa.field("message", pa.string()),
        ]
    ),
    "validation_results": pa.schema(
        [
            pa.field("run_id", pa.string()),
            pa.field("source", pa.string()),
            pa.field("file", pa.string()),
            pa.field("file_sha256", pa.string()),  # the file version judged
            pa.field("expectation", pa.string()),  # the GX expectation type
            pa.field("rule", pa.string()),  # the quarantine rule it stands for
            pa.field("column_name", pa.string()),
            pa.field("success", pa.bool_()),
            pa.field("element_count", pa.int64()),
            pa.field("unexpected_count", pa.int64()),
        ]
    ),
    "quarantine": pa.schema(
        [
            pa.field("run_id", pa.string()),
            pa.field("source", pa.string()),
            pa.field("file", pa.string()),
            pa.field("file_sha256", pa.string()),
            pa.field("row_number", pa.int64()),
            pa.field("rule", pa.string()),
            pa.field("column_name", pa.string()),
            pa.field("message", pa.string()),
            pa.field("raw_values", pa.string()),  # JSON object of the row's values, PHI blanked
        ]
    ),
    "referral_phrases": pa.schema(
        [
            pa.field("run_id", pa.string()),
            pa.field("phrase", pa.string()),  # an unmatched referral answer typed by 11+ patients; NULL: the rest
            pa.field("phrases", pa.int64()),
            pa.field("patients", pa.int64()),
        ]
    ),
    "rejected_files": pa.schema(
        [
            pa.field("run_id", pa.string()),
            pa.field("source", pa.string()),
            pa.field("file", pa.string()),
            pa.field("file_sha256", pa.string()),
            pa.field("reason", pa.string()),
        ]
    ),
}
