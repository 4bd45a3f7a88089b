"""The `config` schema: the practice's configuration as small tables the SQL models read.

Python only moves the validated `Config` into rows here; what the rows mean (opening hours minus closures,
referral mapping, Business Profile precedence) is decided in the SQL that reads them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime

import duckdb
import pyarrow as pa

from clinicops.config import WEEKDAYS, Config, Span, referral_variants

_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]")

# table -> (column, type) in order; the SQL models rely on these names
SEED_TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "settings": (
        ("run_id", "VARCHAR"),
        ("as_of", "TIMESTAMPTZ"),
        ("timezone", "VARCHAR"),
        ("late_cancel_hours", "DOUBLE"),
        ("series_size", "BIGINT"),
        ("series_window_days", "BIGINT"),
        ("build_signature", "VARCHAR"),
    ),
    "locations": (("location_id", "VARCHAR"),),
    "location_hours": (("location_id", "VARCHAR"), ("weekday", "BIGINT"), ("open_minutes", "BIGINT")),
    "location_spans": (
        ("location_id", "VARCHAR"), ("weekday", "BIGINT"), ("start_minute", "BIGINT"), ("end_minute", "BIGINT"),
    ),
    "closures": (("location_id", "VARCHAR"), ("closure_date", "DATE")),
    "resources": (("location_id", "VARCHAR"), ("resource_id", "VARCHAR"), ("resource_kind", "VARCHAR")),
    "providers": (("provider_id", "VARCHAR"), ("location_id", "VARCHAR")),
    "provider_availability": (("provider_id", "VARCHAR"), ("weekday", "BIGINT"), ("available_minutes", "BIGINT")),
    "provider_spans": (
        ("provider_id", "VARCHAR"), ("weekday", "BIGINT"), ("start_minute", "BIGINT"), ("end_minute", "BIGINT"),
    ),
    "referral_variants": (("variant_key", "VARCHAR"), ("referral_source", "VARCHAR")),
    "review_locations": (("site", "VARCHAR"), ("location_id", "VARCHAR"), ("business_id", "VARCHAR")),
    # the lake and history files the build reads (path under lake/, size, modification time): the next night's build
    # compares them with the lake it finds (warehouse/incremental.py)
    "source_files": (("table_name", "VARCHAR"), ("file", "VARCHAR"), ("bytes", "BIGINT"), ("modified_ns", "BIGINT")),
}


def _minutes(spans: Sequence[Span]) -> int:
    return sum(span.minutes for span in spans)


def seed_rows(config: Config, *, run_id: str, as_of: datetime, build_signature: str = "",
              source_files: Sequence[tuple[str, str, int, int]] = ()) -> dict[str, list[tuple]]:
    """The rows of every config table."""
    practice = config.practice
    iso_days = list(enumerate(WEEKDAYS, start=1))
    return {
        "settings": [
            (
                run_id,
                as_of.isoformat(),
                practice.timezone,
                float(practice.late_cancel_hours),
                practice.series_size,
                practice.series_window_days,
                build_signature,
            )
        ],
        "locations": [(loc.id,) for loc in config.locations],
        "location_hours": [
            (loc.id, iso, _minutes(loc.hours.get(day, ()))) for loc in config.locations for iso, day in iso_days
        ],
        "location_spans": [
            (loc.id, iso, span.start_minute, span.end_minute)
            for loc in config.locations for iso, day in iso_days for span in loc.hours.get(day, ())
        ],
        "closures": [(loc.id, day.isoformat()) for loc in config.locations for day in loc.closures],
        "resources": [(location_id, res.id, res.kind) for location_id, res in config.resources],
        "providers": [(p.id, p.location_id) for p in config.providers],
        "provider_availability": [
            (p.id, iso, _minutes(p.availability.get(day, ()))) for p in config.providers for iso, day in iso_days
        ],
        "provider_spans": [
            (p.id, iso, span.start_minute, span.end_minute)
            for p in config.providers for iso, day in iso_days for span in p.availability.get(day, ())
        ],
        "referral_variants": referral_variants(config),
        "review_locations": [
            (site.site, location_id, business_id)
            for site in config.review_sites.values()
            for location_id, business_id in sorted(site.locations.items())
        ],
        "source_files": list(source_files),
    }


def config_fingerprint(config: Config) -> str:
    """A digest of everything the configuration puts into the config tables, apart from the run and its as_of:
    a build whose fingerprint differs from the live warehouse's rebuilds it whole."""
    rows = seed_rows(config, run_id="", as_of=datetime(1970, 1, 1, tzinfo=UTC))
    rows.pop("source_files")
    text = json.dumps({table: [list(row) for row in table_rows] for table, table_rows in rows.items()},
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def create_config_tables(
    con: duckdb.DuckDBPyConnection, config: Config, *, run_id: str, as_of: datetime, schema: str = "config",
    build_signature: str = "", source_files: Sequence[tuple[str, str, int, int]] = (),
) -> None:
    """Create `<schema>.<table>` for every seed table and fill it from the configuration."""
    rows = seed_rows(config, run_id=run_id, as_of=as_of, build_signature=build_signature, source_files=source_files)
    for table, columns in SEED_TABLES.items():
        column_list = ", ".join(f"{name} {kind}" for name, kind in columns)
        con.execute(f"CREATE TABLE {schema}.{table} ({column_list})")
        if rows[table]:  # as one Arrow table: a row-by-row executemany of thousands of files takes seconds
            values = pa.table({name: [row[i] for row in rows[table]] for i, (name, _) in enumerate(columns)})
            casts = ", ".join(f'CAST("{name}" AS {kind})' for name, kind in columns)
            con.register("seed_values", values)
            try:
                con.execute(f"INSERT INTO {schema}.{table} SELECT {casts} FROM seed_values")
            finally:
                con.unregister("seed_values")
