"""A synthetic psychiatry and ketamine-infusion practice, written as the files its staff would drop in the inbox.

`generate_practice(home, seed=..., end_date=..., size=...)` writes `<home>/clinicops.toml` and:

- `inbox/bookings/`: monthly exports `bookings_export_YYYY-MM.csv` (the bookings created that month, as they
  stood at the month's end) and weekly delta files `bookings_changes_YYYY-MM-DD.csv` (later versions of older
  bookings: rescheduled, cancelled, marked no-show or completed), in the canonical CSV of `sources.md`;
- `inbox/sessions/`: one row per infusion in the chair, `sessions_YYYY-MM.csv`, and JSON Lines for the
  last month (`sessions_YYYY-MM.jsonl`);
- `inbox/reviews/`: saved Yelp, Google Places (legacy and New) and Business Profile responses, named
  `<prefix>__<id>__<details|reviews>__<YYYY-MM-DD>.json`, and a generic review CSV.

Everything is a function of (seed, end_date, size): the same arguments give byte-identical files. The figures
land near the published ones of `spec/README.md` (no-shows rising with lead time and after a prior no-show,
chairs 60-80 % scheduled, half of IV series unfinished, PHQ-9 response and remission). The inputs carry fake
PHI (names, phones, e-mails, dates of birth, free-text notes) that the pipeline must drop, and, unless
`bad_rows=False`, a counted handful of deliberately bad rows and one unreadable file.

Design notes:
- Locations are simulated one after another, each with its own `random.Random` (seeded from the seed and the
  location id), on a 15-minute slot calendar per chair, room and provider (bit masks), so no chair, room
  or provider is double-booked and chair utilization follows demand and capacity.
- Every appointment is a list of versions (booked, maybe rescheduled, then its outcome). A version is written
  to the creation month's export when it existed by that month's end, else to the weekly delta file whose
  week it falls in; a few older versions are sent again in a later delta file, as real feeds do.
- Rows are appended per location to their files, so memory holds one location's history at a time.
"""

from clinicops.generate.bad_input import BAD_DURATION, BAD_PROVIDER, BAD_START, BAD_STATUS, CORRUPT_SESSIONS_FILE
from clinicops.generate.config_file import demo_config_toml
from clinicops.generate.files import BOOKING_COLUMNS, CHANGE_COLUMNS, SESSION_COLUMNS
from clinicops.generate.layout import INFUSIONS, PRACTICE_NAME, TIMEZONE, PracticeSize
from clinicops.generate.practice import GenerateSummary, generate_practice
from clinicops.generate.reviews import REVIEW_CSV_COLUMNS, REVIEW_CSV_FILE

__all__ = [
    "BAD_DURATION", "BAD_PROVIDER", "BAD_START", "BAD_STATUS", "BOOKING_COLUMNS", "CHANGE_COLUMNS",
    "CORRUPT_SESSIONS_FILE", "INFUSIONS", "PRACTICE_NAME", "REVIEW_CSV_COLUMNS", "REVIEW_CSV_FILE", "SESSION_COLUMNS",
    "TIMEZONE", "GenerateSummary", "PracticeSize", "demo_config_toml", "generate_practice",
]
