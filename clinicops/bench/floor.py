"""The raw DuckDB floor of operations.md "Speed and size": DuckDB alone reads the same inbox files
(`read_csv`, `read_json`), keeps the latest version of each row and runs the same `transforms/` SQL — no
Python per row, no Great Expectations, no Prefect.

The floor turns the inbox into the `raw.*` relations the staging models read (the columns and types of the
lake schema), fills the `config` schema with the build's own `create_config_tables`, and runs every model of
`discover_models()` in order into a scratch database file. What it leaves out, because it has nothing to
stand in for (see the README, "Speed and size"):

- no vault: `patient_key` is the source's patient id; no landing copy, manifest, lake or run history
  (`raw.ops_*` are empty typed tables); `_file_sha256` is NULL and `_ingested_at` is the floor's start;
- no validation: it is meant for clean files (the bench generates them without planted bad rows); a value it
  cannot parse becomes NULL, as in the readers;
- `_file_seq` is the file's rank in name order (one run's ingest order) and `_row_number` its position in
  DuckDB's scan; both only break ties between versions with the same `updated_at`;
- the words of status, type and cancelled-by are mapped by the readers' own vocabulary, once per distinct
  word (a small mapping table), never per row.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from clinicops.bench.floor_reviews import create_review_relations
from clinicops.bench.sql import (
    FILE_SEQ,
    NO_FILES,
    ROW_IN_FILE,
    clean,
    csv_scan,
    date_only,
    empty_relation,
    files_in,
    instant,
    sql_list,
    typed_select,
    whole,
)
from clinicops.config import Config
from clinicops.home import LAKE_TABLES, OPS_TABLES, Home
from clinicops.schemas import LAKE, OPS
from clinicops.sources.vocabulary import AdverseEvents, AppointmentTypes, cancelled_by_of, status_of
from clinicops.warehouse.models import discover_models
from clinicops.warehouse.raw import create_relation
from clinicops.warehouse.scratch import open_scratch_build, remove_database_file
from clinicops.warehouse.seeds import create_config_tables


@dataclass
class FloorResult:
    seconds: float
    cpu_seconds: float  # CPU of this process (every DuckDB thread) while the floor ran
    row_counts: dict[str, int] = field(default_factory=dict)  # core.appointments, ... -> rows


def _bookings(con: duckdb.DuckDBPyConnection, inbox: Path, config: Config) -> None:
    files = files_in(inbox, "*.csv")
    if not files:
        empty_relation(con, "raw.bookings", "bookings")
        return
    con.execute(f"""create table raw.bookings_text as
        select *, {FILE_SEQ} as file_seq, {ROW_IN_FILE} as row_in_file
        from ({csv_scan(files)})""")
    words = con.execute("select distinct status, appointment_type, cancelled_by from raw.bookings_text").fetchall()
    types = AppointmentTypes(config)
    vocabulary = []
    for status_word, type_word, by_word in words:
        status = status_of(status_word)
        vocabulary.append((status_word, type_word, by_word, status.code, status.says_late, types(type_word),
                           cancelled_by_of(by_word, status)))
    con.execute("create table raw.booking_words (status_word varchar, type_word varchar, by_word varchar, "
                "status varchar, says_late boolean, appointment_type varchar, cancelled_by varchar)")
    con.executemany("insert into raw.booking_words values (?, ?, ?, ?, ?, ?, ?)", vocabulary)
    dob = (f"try_strptime({clean('b.patient_dob')}, ['%Y-%m-%d', '%m/%d/%Y', '%m/%d/%y', '%d.%m.%Y'])::date")
    start_local = f"cast({instant('b.start')} as date)"
    age = (f"(year({start_local}) - year({dob}) - case when (month({start_local}), day({start_local})) "
           f"< (month({dob}), day({dob})) then 1 else 0 end)")
    band = (f"case when {age} is null or {age} < 0 or {age} > 130 then null when {age} <= 12 then '0-12' "
            f"when {age} <= 17 then '13-17' when {age} <= 24 then '18-24' when {age} <= 34 then '25-34' "
            f"when {age} <= 44 then '35-44' when {age} <= 54 then '45-54' when {age} <= 64 then '55-64' "
            "else '65+' end")
    end_at = instant('b."end"')
    duration = (f"case when {clean('b.duration_minutes')} is null "
                f"then round(epoch({end_at} - {instant('b.start')}) / 60) "
                f"else {whole('b.duration_minutes')} end")
    select = {
        "appointment_id": clean("b.appointment_id"),
        "patient_key": clean("b.patient_id"),
        "location_id": clean("b.location_id"),
        "provider_id": clean("b.provider_id"),
        "resource_id": clean("b.resource_id"),
        "appointment_type": "w.appointment_type",
        "start_at": instant("b.start"),
        "start_is_date_only": date_only("b.start"),
        "duration_minutes": duration,
        "status": "w.status",
        "status_says_late": "coalesce(w.says_late, false)",
        "created_at": instant("b.created_at"),
        "created_is_date_only": date_only("b.created_at"),
        "cancelled_at": instant("b.cancelled_at"),
        "cancelled_by": "w.cancelled_by",
        "referral_source_raw": clean("b.referral_source"),
        "updated_at": f"coalesce({instant('b.updated_at')}, (select started from floor_clock))",
        "age_band": band,
        "source_format": "'csv'",
        "_file": "parse_filename(b.filename)",
        "_file_seq": "b.file_seq",
        "_row_number": "b.row_in_file + 1",
    }
    source = ("raw.bookings_text b left join raw.booking_words w on w.status_word is not distinct from b.status "
              "and w.type_word is not distinct from b.appointment_type "
              "and w.by_word is not distinct from b.cancelled_by")
    con.execute(f"create table raw.bookings as {typed_select('bookings', select, source)}")


_SESSION_INTS = ("infusion_number", "bp_systolic_pre", "bp_diastolic_pre", "bp_systolic_max", "heart_rate_max",
                 "spo2_min", "phq9_pre", "phq9_post", "gad7_pre")


def _sessions(con: duckdb.DuckDBPyConnection, inbox: Path, config: Config) -> None:
    csv_files, jsonl_files = files_in(inbox, "*.csv"), files_in(inbox, "*.jsonl")
    scans = []
    if csv_files:
        scans.append(csv_scan(csv_files))
    if jsonl_files:
        scans.append(f"select * from read_json({sql_list(jsonl_files)}, format = 'newline_delimited', "
                     "union_by_name = true, filename = true)")
    if not scans:
        empty_relation(con, "raw.sessions", "sessions")
        return
    columns = [f.name for f in LAKE["sessions"] if not f.name.startswith("_")]
    source_column = {c: c.removesuffix("_at") if c.endswith("_at") and c != "updated_at" else c for c in columns}
    texts = ", ".join(f"cast({source_column[c]} as varchar) as {source_column[c]}"
                      for c in columns if c != "patient_key")
    union = " union all by name ".join(f"select {texts}, cast(patient_id as varchar) as patient_id, filename "
                                       f"from ({scan})" for scan in scans)
    con.execute(f"create table raw.sessions_text as select *, {FILE_SEQ} as file_seq, {ROW_IN_FILE} as row_in_file "
                f"from ({union})")
    # the adverse-event codes of each distinct text, as the reader gives them (its vocabulary, not a copy)
    coded = AdverseEvents(config)
    texts_seen = [r[0] for r in con.execute("select distinct adverse_events from raw.sessions_text "
                                            "where adverse_events is not null").fetchall()]
    con.execute("create table raw.event_words (event_text varchar, codes varchar)")
    con.executemany("insert into raw.event_words values (?, ?)",
                    [(t, coded((t or "").strip() or None)) for t in texts_seen])
    events = ("(select w.codes from raw.event_words w where w.event_text = s.adverse_events)")
    aborted = (f"case when {clean('s.aborted')} is null then false "
               f"when lower({clean('s.aborted')}) in ('true', 't', 'yes', 'y', '1') then true "
               f"when lower({clean('s.aborted')}) in ('false', 'f', 'no', 'n', '0') then false end")
    select = {
        "session_id": clean("s.session_id"),
        "appointment_id": clean("s.appointment_id"),
        "patient_key": clean("s.patient_id"),
        "location_id": clean("s.location_id"),
        "chair_id": clean("s.chair_id"),
        "provider_id": clean("s.provider_id"),
        **{c: instant(f"s.{c.removesuffix('_at')}") for c in
           ("chair_in_at", "infusion_start_at", "infusion_end_at", "chair_out_at")},
        "medication": f"lower({clean('s.medication')})",
        "route": f"upper({clean('s.route')})",
        "dose_mg": f"try_cast({clean('s.dose_mg')} as double)",
        "weight_kg": f"try_cast({clean('s.weight_kg')} as double)",
        **{c: whole(f"s.{c}") for c in _SESSION_INTS},
        "adverse_events": events,
        "aborted": aborted,
        "updated_at": f"coalesce({instant('s.updated_at')}, (select started from floor_clock))",
        "_file": "parse_filename(s.filename)",
        "_file_seq": "s.file_seq",
        "_row_number": "s.row_in_file + 1",
    }
    con.execute(f"create table raw.sessions as {typed_select('sessions', select, 'raw.sessions_text s')}")


def run_floor(home: Home, config: Config, as_of: datetime, scratch: Path, *, keep: bool = False) -> FloorResult:
    """Build the floor's warehouse from `home`'s inbox into `scratch` (removed again unless `keep`)."""
    started, cpu_started = time.perf_counter(), time.process_time()
    con = open_scratch_build(scratch, config)
    try:
        con.execute("create temp table floor_clock as select now() as started")
        create_config_tables(con, config, run_id="floor", as_of=as_of)
        _bookings(con, home.inbox("bookings"), config)
        _sessions(con, home.inbox("sessions"), config)
        create_review_relations(con, home.inbox("reviews"), config)
        for table in OPS_TABLES:
            create_relation(con, f"raw.ops_{table}", OPS[table], NO_FILES)
        for table in LAKE_TABLES:  # a lake table the generator writes no files for (intake): empty, typed
            if not con.execute("select count(*) from duckdb_tables() where database_name = 'raw' and "
                               "table_name = ?", [table]).fetchall()[0][0] and \
                    not con.execute("select count(*) from duckdb_views() where database_name = 'raw' and "
                                    "view_name = ?", [table]).fetchall()[0][0]:
                create_relation(con, f"raw.{table}", LAKE[table], NO_FILES)
        for model in discover_models():
            con.execute(f"CREATE TABLE {model.qualified} AS\n{model.sql}")
        con.execute("USE wh")
        con.execute("CHECKPOINT")
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        counts = {m.qualified: con.execute(f"select count(*) from {m.qualified}").fetchall()[0][0]
                  for m in discover_models() if m.layer in ("core", "marts")}
    finally:
        con.close()
        if not keep:
            remove_database_file(scratch)
    return FloorResult(seconds=seconds, cpu_seconds=cpu, row_counts=counts)
