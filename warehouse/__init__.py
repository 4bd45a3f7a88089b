"""The warehouse room: builds the next DuckDB file from the lake with the SQL of `transforms/`, checks it,
and publishes it atomically. The only code that opens DuckDB for writing.

- `build.build_warehouse(config, home, run_id=..., as_of=...) -> BuildResult` builds `home.next_warehouse(run_id)`;
- `publish.publish(home, built) -> Path` swaps it in over `home.warehouse`;
- `models.discover_models()` lists the SQL models in build order; `seeds` and `raw` fill the build-only
  `config` and `raw` schemas.

Decisions taken where the spec is silent (the SQL files say the same beside the rule):
- `raw`, `config` and `staging` are in-memory databases attached under those names for the build; SQL reads
  them as `raw.bookings`, `staging.stg_bookings`, ... and they never take space in the published file, which holds
  `core`, `marts` and `ops` only.
- An appointment whose status is unknown (NULL) counts as `excluded`.
- `core.calendar` (and so `marts.utilization_daily`) spans the start dates of non-excluded appointments, so an
  entered-in-error booking dated years ahead does not stretch it.
- Opening hours and availability are wall-clock minutes, also on a DST change day.
- Referral text with no letter or digit is an empty value (`unknown`); phone numbers and e-mail addresses in
  referral and review texts are masked before they reach the warehouse.
- A patient whose bookings carry no created_at has no first-booking month (`month` NULL in the funnel).
- PHQ-9 change needs two scored sessions (first and latest by chair-in), else NULL.
- Freshness of reviews counts snapshots at the local midnight of their fetch date; validation results of one
  file validated in several batches are summed into one row.
- A config that maps one referral variant to two sources is refused (`ValueError`).
- `as_of` without a time zone is wall-clock time in the practice's time zone.
"""
