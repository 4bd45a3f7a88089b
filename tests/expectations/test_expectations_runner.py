"""The runner on hand-made batches: one good row and one bad row per rule, judged by real GX.

Each bad row breaks exactly one rule, so the quarantine must hold exactly the bad rows, each under its rule
and column, the accepted table exactly the good rows, and each result row count exactly its bad rows."""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import pyarrow as pa
import pytest

from clinicops.expectations.runner import RAW_VALUES, Rule, ValidationOutcome, Validator, When, load_suite, to_pandas
from clinicops.schemas import LAKE, OPS, SOURCE_COLUMN
from clinicops.sources.checks import READ_RULES
from clinicops.sources.common import make_batch
from tests.expectations.conftest import T0

if TYPE_CHECKING:
    from conftest import Rows

US = timedelta(microseconds=1)
MIN = timedelta(minutes=1)
OLD = datetime(1999, 5, 1, 14, tzinfo=UTC)


def _t(rows: Rows, minutes: float) -> datetime:
    """A time `minutes` after a fixed instant well clear of the default rows' times."""
    return rows.t0 - timedelta(days=500) + timedelta(minutes=minutes)


# (overrides, rule, column) per lake table: each row breaks exactly that rule.
READ_CASES = [({"_read_problem": rule, "_read_problem_column": "appointment_id"}, rule, "appointment_id")
              for rule in READ_RULES]


def bad_cases(table: str, rows: Rows) -> list[tuple[dict, str, str]]:
    if table in ("bookings", "sessions", "reviews", "intake"):
        return READ_CASES + _value_cases(table, rows)
    return _value_cases(table, rows)


def _value_cases(table: str, rows: Rows) -> list[tuple[dict, str, str]]:
    if table == "bookings":
        return [
            ({"appointment_id": None}, "appointment_id_present", "appointment_id"),
            ({"patient_key": None}, "patient_present", "patient_key"),
            ({"location_id": None}, "location_present", "location_id"),
            ({"provider_id": None}, "provider_present", "provider_id"),
            ({"appointment_type": None}, "appointment_type_valid", "appointment_type"),
            ({"status": None}, "status_valid", "status"),
            ({"location_id": "ZZZ"}, "location_known", "location_id"),
            ({"provider_id": "P-NOBODY"}, "provider_known", "provider_id"),
            ({"resource_id": "CHAIR-77"}, "resource_known", "resource_id"),
            ({"appointment_type": "IV Ketamine"}, "appointment_type_known", "appointment_type"),
            ({"status": "Scheduled"}, "status_known", "status"),
            ({"duration_minutes": 0}, "duration_positive", "duration_minutes"),
            ({"cancelled_by": "staff"}, "cancelled_by_known", "cancelled_by"),
            ({"start_at": None}, "start_valid", "start_at"),
            ({"start_at": None, "status": "noshow"}, "start_valid", "start_at"),
            ({"duration_minutes": None}, "duration_valid", "duration_minutes"),
            ({"created_at": None}, "created_valid", "created_at"),
            ({"duration_minutes": 721}, "duration_at_most_12_hours", "duration_minutes"),
            ({"start_at": datetime(1999, 12, 31, tzinfo=UTC)}, "start_not_before_2000", "start_at"),
            ({"start_at": T0 + timedelta(days=2 * 366)}, "start_within_two_years", "start_at"),
            ({"created_at": datetime(1999, 6, 1, tzinfo=UTC)}, "created_at_not_before_2000", "created_at"),
            ({"created_at": T0 + timedelta(days=2)}, "created_at_not_after_arrival", "created_at"),
            ({"status": "cancelled", "cancelled_at": datetime(1999, 6, 1, tzinfo=UTC)}, "cancelled_at_not_before_2000",
             "cancelled_at"),
            ({"status": "cancelled", "cancelled_at": T0 + timedelta(days=2)}, "cancelled_at_not_after_arrival",
             "cancelled_at"),
            ({"updated_at": datetime(1999, 6, 1, tzinfo=UTC)}, "updated_at_not_before_2000", "updated_at"),
            ({"updated_at": T0 + timedelta(hours=25)}, "updated_at_not_after_arrival", "updated_at"),
        ]
    if table == "sessions":
        aborted = {"aborted": True, "infusion_start_at": None, "infusion_end_at": None}
        return [
            ({"session_id": None}, "session_id_present", "session_id"),
            ({"patient_key": None}, "patient_present", "patient_key"),
            ({"location_id": None}, "location_present", "location_id"),
            ({"chair_id": None}, "chair_present", "chair_id"),
            ({"provider_id": None}, "provider_present", "provider_id"),
            ({"chair_in_at": None}, "chair_in_valid", "chair_in_at"),
            ({"chair_out_at": None}, "chair_out_valid", "chair_out_at"),
            ({"medication": None}, "medication_present", "medication"),
            ({"route": None}, "route_present", "route"),
            ({"dose_mg": None}, "dose_valid", "dose_mg"),
            ({"aborted": None}, "aborted_valid", "aborted"),
            ({"location_id": "ZZZ"}, "location_known", "location_id"),
            ({"chair_id": "ROOM-A"}, "chair_known", "chair_id"),  # a room is not a chair
            ({"provider_id": "P-NOBODY"}, "provider_known", "provider_id"),
            ({"medication": "Ketamine HCl"}, "medication_known", "medication"),
            ({"route": "PO"}, "route_known", "route"),
            ({"dose_mg": 0.0, "route": "IM"}, "dose_positive", "dose_mg"),  # IM: no mg/kg bound to break too
            ({"weight_kg": 0.0}, "weight_plausible", "weight_kg"),
            ({"infusion_number": 0}, "infusion_number_valid", "infusion_number"),
            ({"phq9_pre": 28}, "phq9_pre_in_range", "phq9_pre"),
            ({"phq9_post": -1}, "phq9_post_in_range", "phq9_post"),
            ({"gad7_pre": 22}, "gad7_pre_in_range", "gad7_pre"),
            ({"infusion_start_at": None}, "infusion_start_valid", "infusion_start_at"),
            ({"infusion_end_at": None}, "infusion_end_valid", "infusion_end_at"),
            ({"weight_kg": None}, "weight_required_for_iv", "weight_kg"),
            # chair_in <= infusion_start <= infusion_end <= chair_out, each pair alone
            ({"chair_in_at": _t(rows, 0), "infusion_start_at": _t(rows, -1), "infusion_end_at": _t(rows, 50),
              "chair_out_at": _t(rows, 90)}, "chair_in_before_infusion_start", "infusion_start_at,chair_in_at"),
            ({"chair_in_at": _t(rows, 0), "infusion_start_at": _t(rows, 10), "infusion_end_at": _t(rows, 5),
              "chair_out_at": _t(rows, 90)}, "infusion_start_before_end", "infusion_end_at,infusion_start_at"),
            ({"chair_in_at": _t(rows, 0), "infusion_start_at": _t(rows, 10), "infusion_end_at": _t(rows, 50),
              "chair_out_at": _t(rows, 50) - US}, "infusion_end_before_chair_out", "chair_out_at,infusion_end_at"),
            ({**aborted, "chair_in_at": _t(rows, 0), "chair_out_at": _t(rows, 0) - US},
             "chair_in_before_chair_out", "chair_out_at,chair_in_at"),
            ({**aborted, "chair_in_at": _t(rows, 0), "infusion_end_at": _t(rows, -5), "chair_out_at": _t(rows, 9)},
             "chair_in_before_infusion_end", "infusion_end_at,chair_in_at"),
            ({**aborted, "chair_in_at": _t(rows, 0), "infusion_start_at": _t(rows, 95), "chair_out_at": _t(rows, 90)},
             "infusion_start_before_chair_out", "chair_out_at,infusion_start_at"),
            ({"weight_kg": 400.0}, "weight_plausible", "weight_kg"),
            ({"dose_mg": 1000.0}, "dose_per_kg_plausible", "_dose_mg_per_kg"),
            ({"dose_mg": 0.5}, "dose_per_kg_plausible", "_dose_mg_per_kg"),
            ({"chair_in_at": _t(rows, 0), "infusion_start_at": _t(rows, 10), "infusion_end_at": _t(rows, 50),
              "chair_out_at": _t(rows, 17 * 60)}, "chair_time_at_most_16_hours", "_chair_minutes"),
            ({"bp_systolic_pre": 261}, "bp_systolic_pre_plausible", "bp_systolic_pre"),
            ({"bp_systolic_max": 49}, "bp_systolic_max_plausible", "bp_systolic_max"),
            ({"bp_diastolic_pre": 19}, "bp_diastolic_pre_plausible", "bp_diastolic_pre"),
            ({"heart_rate_max": 251}, "heart_rate_max_plausible", "heart_rate_max"),
            ({"spo2_min": 101}, "spo2_min_plausible", "spo2_min"),
            ({"chair_in_at": OLD, "infusion_start_at": OLD + 10 * MIN, "infusion_end_at": OLD + 50 * MIN,
              "chair_out_at": OLD + 90 * MIN}, "chair_in_not_before_2000", "chair_in_at"),
            ({"chair_in_at": T0 + timedelta(hours=20), "infusion_start_at": T0 + timedelta(hours=20, minutes=10),
              "infusion_end_at": T0 + timedelta(hours=20, minutes=50), "chair_out_at": T0 + timedelta(hours=26)},
             "chair_out_not_after_arrival", "chair_out_at"),
            ({"updated_at": datetime(1999, 5, 1, tzinfo=UTC)}, "updated_at_not_before_2000", "updated_at"),
            ({"updated_at": T0 + timedelta(days=3)}, "updated_at_not_after_arrival", "updated_at"),
        ]
    if table == "reviews":
        return [
            ({"site": None}, "site_present", "site"),
            ({"review_id": None}, "review_id_present", "review_id"),
            ({"location_id": None}, "location_present", "location_id"),
            ({"rating": None, "rating_raw": "4.5"}, "rating_valid", "rating"),
            ({"published_at": None}, "published_valid", "published_at"),
            ({"location_id": "ZZZ"}, "location_known", "location_id"),
            ({"rating": 6, "rating_raw": "6"}, "rating_in_range", "rating"),
            ({"rating": 0, "rating_raw": "0"}, "rating_in_range", "rating"),
            ({"published_at": datetime(1999, 5, 1, tzinfo=UTC)}, "published_at_not_before_2000", "published_at"),
            ({"published_at": T0 + timedelta(days=2)}, "published_at_not_after_arrival", "published_at"),
            ({"updated_at": datetime(1999, 5, 1, tzinfo=UTC)}, "updated_at_not_before_2000", "updated_at"),
            ({"updated_at": T0 + timedelta(days=2)}, "updated_at_not_after_arrival", "updated_at"),
        ]
    if table == "intake":
        return [({"patient_key": None}, "patient_present", "patient_key")]
    return [
        ({"site": None}, "snapshot_site_present", "site"),
        ({"location_id": None}, "snapshot_location_present", "location_id"),
        ({"snapshot_date": None}, "snapshot_date_present", "snapshot_date"),
        ({"reported_review_count": None}, "review_count_present", "reported_review_count"),
        ({"location_id": "ZZZ"}, "snapshot_location_known", "location_id"),
        ({"reported_rating": 5.5}, "reported_rating_in_range", "reported_rating"),
        ({"reported_rating": 0.5}, "reported_rating_in_range", "reported_rating"),
        ({"reported_review_count": -1}, "review_count_non_negative", "reported_review_count"),
    ]


# rows that look odd but are allowed
def good_cases(table: str, rows: Rows) -> list[dict]:
    if table == "bookings":
        return [
            {},
            {"status": "proposed", "start_at": None, "duration_minutes": None},  # FHIR: no start yet
            {"status": "waitlist", "start_at": None, "duration_minutes": None, "source_format": "fhir"},
            {"source_format": "fhir", "created_at": None},  # FHIR `created` is optional
            {"source_format": "example-pm-export", "created_at": None},  # only the canonical CSV must say
            {"resource_id": None},
            {"status": "cancelled", "cancelled_by": "clinic", "cancelled_at": rows.t0},
            {"duration_minutes": 1, "start_is_date_only": True},
            {"appointment_type": "ketamine_infusion", "resource_id": "CHAIR-9", "location_id": "BAL",
             "provider_id": "P-LEE", "status": "entered-in-error"},
        ]
    if table == "sessions":
        same = _t(rows, 0)
        return [
            {},
            {"route": "IM", "weight_kg": None},  # weight is required for IV only
            {"route": "IN", "medication": "esketamine", "weight_kg": None, "chair_id": "CHAIR-9"},
            {"aborted": True, "infusion_start_at": None, "infusion_end_at": None},
            {"chair_in_at": same, "infusion_start_at": same, "infusion_end_at": same, "chair_out_at": same},
            {"phq9_pre": 27, "phq9_post": 0, "gad7_pre": 21, "infusion_number": 2**53 + 1},
            {"appointment_id": None, "adverse_events": None, "bp_systolic_pre": None, "spo2_min": None},
        ]
    if table == "reviews":
        return [{}, {"rating": 1, "text": None}, {"site": "yelp", "origin": "yelp", "location_id": "BAL"}]
    if table == "intake":  # no date, no answer, an answer that matched nothing: all allowed
        return [{}, {"intake_date": None}, {"referral_given": False, "referral_matched_text": None},
                {"referral_matched_text": None}]
    return [{}, {"reported_rating": None, "reported_review_count": 0}, {"reported_rating": 1.0}]


def run_cases(table: str, validator: Validator, rows: Rows, file: str = "f") -> tuple[ValidationOutcome, dict, list]:
    goods = good_cases(table, rows)
    bads = bad_cases(table, rows)
    batch_rows = [rows.row(table, i + 2, **overrides) for i, overrides in enumerate(goods)]
    expected: dict[int, tuple[str, str]] = {}
    for overrides, rule, column in bads:
        number = len(batch_rows) + 2
        batch_rows.append(rows.row(table, number, **overrides))
        expected[number] = (rule, column)
    batch = rows.batch(table, batch_rows)
    outcome = validator.validate(table, batch, run_id="run-1", source=table, file=file)
    return outcome, expected, batch_rows


@pytest.mark.parametrize("table", list(LAKE))
def test_exactly_the_bad_rows_are_quarantined_under_their_rule(table: str, validator: Validator, rows: Rows) -> None:
    outcome, expected, batch_rows = run_cases(table, validator, rows)
    messages = {r.rule: r.message for r in load_suite(table, validator.config)}

    got = {q["row_number"]: (q["rule"], q["column_name"]) for q in outcome.quarantine}
    # the quarantine names the column as the export has it: start, not start_at
    assert got == {n: (rule, ",".join(SOURCE_COLUMN.get(c, c) for c in column.split(","))) for n, (rule, column)
                   in expected.items()}
    for q in outcome.quarantine:
        assert q["message"] == messages[q["rule"]]  # one rule broken: its message alone

    good_numbers = [r["_row_number"] for r in batch_rows if r["_row_number"] not in expected]
    assert outcome.accepted.column("_row_number").to_pylist() == good_numbers


@pytest.mark.parametrize("table", list(LAKE))
def test_every_rule_has_a_bad_row_and_results_count_them(table: str, validator: Validator, rows: Rows) -> None:
    outcome, expected, batch_rows = run_cases(table, validator, rows)
    rules = load_suite(table, validator.config)
    per_rule = Counter(rule for rule, _ in expected.values())
    assert set(per_rule) == {r.rule for r in rules}, "one bad row per rule at least"

    assert [r["rule"] for r in outcome.results] == [r.rule for r in rules]
    for result, rule in zip(outcome.results, rules, strict=True):
        assert result["unexpected_count"] == per_rule[rule.rule], rule.rule
        assert result["success"] is (per_rule[rule.rule] == 0)
        assert result["expectation"] == rule.expectation
        assert result["column_name"] == rule.column_name
        assert (result["run_id"], result["source"], result["file"]) == ("run-1", table, batch_rows[0]["_file"])
        if rule.when is None and rule.expectation == "expect_column_values_to_not_be_null":
            assert result["element_count"] == len(batch_rows)


def test_rows_keep_their_shapes(validator: Validator, rows: Rows) -> None:
    outcome, _, batch_rows = run_cases("sessions", validator, rows, file="sessions.csv")
    assert outcome.accepted.schema == LAKE["sessions"]
    assert RAW_VALUES not in outcome.accepted.column_names
    by_number = {r["_row_number"]: r for r in batch_rows}
    for accepted in outcome.accepted.to_pylist():
        source = {k: v for k, v in by_number[accepted["_row_number"]].items() if k != RAW_VALUES}
        assert accepted == source  # tz-aware instants and 2**53 + 1 unchanged

    assert all(tuple(q) == tuple(OPS["quarantine"].names) for q in outcome.quarantine)
    assert all(tuple(r) == tuple(OPS["validation_results"].names) for r in outcome.results)
    pa.Table.from_pylist(outcome.quarantine, schema=OPS["quarantine"])
    pa.Table.from_pylist(outcome.results, schema=OPS["validation_results"])
    q = next(q for q in outcome.quarantine if q["rule"] != "malformed_row")
    assert q["file"] == "sessions.csv" and q["file_sha256"] == "sha-sessions.csv"
    assert json.loads(q["raw_values"]) == {"row": q["row_number"], "patient_first_name": "[removed]"}
    malformed = next(q for q in outcome.quarantine if q["rule"] == "malformed_row")  # its cells cannot be trusted
    assert json.loads(malformed["raw_values"]) == {"row": "[removed]", "patient_first_name": "[removed]"}


def test_first_failing_rule_names_the_row_and_the_message_lists_all(validator: Validator, rows: Rows) -> None:
    row = rows.row("bookings", 7, start_at=None, status=None, location_id="ZZZ")
    outcome = validator.validate("bookings", rows.batch("bookings", [row]), run_id="r", source="bookings", file="f")
    (q,) = outcome.quarantine
    assert (q["rule"], q["column_name"]) == ("status_valid", "status")  # columns, then values, then cross-column
    assert q["message"].startswith("status is missing or not a known status word; also: ")
    assert "location_known: location_id is not a location" in q["message"]
    assert "start_valid: start is missing or not an ISO 8601 date/time" in q["message"]
    assert q["message"].index("location_known") < q["message"].index("start_valid")
    assert outcome.accepted.num_rows == 0


def test_weight_rule_applies_to_iv_only(validator: Validator, rows: Rows) -> None:
    batch = rows.batch("sessions", [
        rows.row("sessions", 2, route="IV", weight_kg=None),
        rows.row("sessions", 3, route="IM", weight_kg=None),
        rows.row("sessions", 4, route="IN", weight_kg=None, medication="esketamine"),
        rows.row("sessions", 5, route="IV", weight_kg=82.5),
    ])
    outcome = validator.validate("sessions", batch, run_id="r", source="sessions", file="f")
    assert [(q["row_number"], q["rule"]) for q in outcome.quarantine] == [(2, "weight_required_for_iv")]
    result = next(r for r in outcome.results if r["rule"] == "weight_required_for_iv")
    assert (result["element_count"], result["unexpected_count"]) == (2, 1)  # the two IV rows were checked


def test_chair_times_in_order(validator: Validator, rows: Rows) -> None:
    t = rows.t0
    ok = {"chair_in_at": t, "infusion_start_at": t + 5 * MIN, "infusion_end_at": t + 45 * MIN,
          "chair_out_at": t + 80 * MIN}
    batch = rows.batch("sessions", [
        rows.row("sessions", 2, **ok),
        rows.row("sessions", 3, **{**ok, "chair_out_at": t - US}),  # out before in (and before the infusion)
        rows.row("sessions", 4, **{**ok, "infusion_start_at": t - US}),
        rows.row("sessions", 5, **{**ok, "aborted": True, "infusion_end_at": None}),  # aborted mid-infusion
    ])
    outcome = validator.validate("sessions", batch, run_id="r", source="sessions", file="f")
    got = {q["row_number"]: q for q in outcome.quarantine}
    assert set(got) == {3, 4}
    assert got[3]["rule"] == "infusion_end_before_chair_out"
    assert "chair_in_before_chair_out" in got[3]["message"] and "infusion_start_before_chair_out" in got[3]["message"]
    assert got[4]["rule"] == "chair_in_before_infusion_start"
    assert outcome.accepted.column("_row_number").to_pylist() == [2, 5]


def test_a_validator_is_reused_across_batches(validator: Validator, rows: Rows) -> None:
    context = validator._context
    first = rows.batch("bookings", [rows.row("bookings", 2, file="a.csv"),
                                    rows.row("bookings", 3, file="a.csv", status="maybe")])
    second = rows.batch("bookings", [rows.row("bookings", n, file="b.csv", location_id="ZZZ") for n in (2, 3)]
                        + [rows.row("bookings", 4, file="b.csv")])
    one = validator.validate("bookings", first, run_id="r", source="bookings", file="a.csv")
    two = validator.validate("bookings", second, run_id="r", source="bookings", file="b.csv")
    again = validator.validate("bookings", first, run_id="r", source="bookings", file="a.csv")

    assert validator._context is context
    assert len(context.suites.all()) == len(LAKE)
    assert [(q["file"], q["row_number"], q["rule"]) for q in one.quarantine] == [("a.csv", 3, "status_known")]
    assert [(q["file"], q["row_number"], q["rule"]) for q in two.quarantine] == [
        ("b.csv", 2, "location_known"), ("b.csv", 3, "location_known")]
    counts = {r["rule"]: r["unexpected_count"] for r in two.results}
    assert counts["location_known"] == 2 and counts["status_known"] == 0  # per batch, not cumulative
    assert all(r["file"] == "b.csv" for r in two.results)
    assert again.results == one.results and again.quarantine == one.quarantine
    assert two.accepted.column("_row_number").to_pylist() == [4]


def test_threads_share_a_validator(validator: Validator, rows: Rows) -> None:
    tables = list(LAKE) * 2
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(lambda table: run_cases(table, validator, rows)[0], tables))
    for table, outcome in zip(tables, outcomes, strict=True):
        assert {q["row_number"] for q in outcome.quarantine} == set(run_cases(table, validator, rows)[1])


def test_an_empty_batch(validator: Validator, rows: Rows) -> None:
    outcome = validator.validate("reviews", rows.batch("reviews", []), run_id="r", source="reviews", file="f")
    assert outcome.accepted.num_rows == 0 and outcome.accepted.schema == LAKE["reviews"]
    assert outcome.quarantine == []
    assert all(r["success"] and r["unexpected_count"] == 0 for r in outcome.results)


def test_a_batch_without_its_columns_is_refused(validator: Validator, rows: Rows) -> None:
    batch = rows.batch("reviews", [rows.row("reviews", 2)]).drop_columns(["rating"])
    with pytest.raises(ValueError, match="lacks columns \\['rating'\\]"):
        validator.validate("reviews", batch, run_id="r", source="reviews", file="f")
    with pytest.raises(ValueError, match="no suite loaded"):
        validator.validate("appointments", batch, run_id="r", source="x", file="f")


def test_pandas_conversion_is_exact(rows: Rows) -> None:
    table = rows.batch("sessions", [
        rows.row("sessions", 2, infusion_number=2**53 + 1, chair_out_at=rows.t0 + US, aborted=None),
        rows.row("sessions", 3, infusion_number=None, chair_out_at=None, weight_kg=None),
    ])
    frame = to_pandas(table)
    assert str(frame["infusion_number"].dtype) == "Int64"
    assert frame["infusion_number"].tolist()[0] == 2**53 + 1 and frame["infusion_number"].isna().tolist() == [
        False, True]
    assert str(frame["chair_out_at"].dtype) == "datetime64[us, UTC]"
    assert frame["chair_out_at"][0].to_pydatetime() == rows.t0 + US
    assert frame["aborted"].isna().tolist() == [True, False]
    assert frame["weight_kg"].isna().tolist() == [False, True]
    assert list(frame.index) == [0, 1]
    back = pa.Table.from_pandas(frame, preserve_index=False)
    for name in ("infusion_number", "chair_out_at", "aborted", "weight_kg", "session_id"):
        assert back.column(name).to_pylist() == table.column(name).to_pylist()


def test_dates_stay_dates(rows: Rows) -> None:
    batch = rows.batch("review_snapshots", [rows.row("review_snapshots", 2, snapshot_date=date(2024, 2, 29))])
    assert to_pandas(batch)["snapshot_date"].tolist() == [date(2024, 2, 29)]


def test_more_failures_than_gx_lists_values_for(validator: Validator, rows: Rows) -> None:
    """GX caps the unexpected *values* it returns at 200; every failing *row* must still be set aside."""
    batch = rows.batch("reviews", [rows.row("reviews", n, rating=9 if n % 2 else 4) for n in range(2, 1202)])
    outcome = validator.validate("reviews", batch, run_id="r", source="reviews", file="f")
    assert len(outcome.quarantine) == 600 and outcome.accepted.num_rows == 600
    assert {q["row_number"] % 2 for q in outcome.quarantine} == {1}
    assert next(r for r in outcome.results if r["rule"] == "rating_in_range")["unexpected_count"] == 600


@pytest.mark.parametrize(
    ("when", "checked"),
    [
        (When("route", "equals", "IV"), [2, 3]),
        (When("route", "in", ["IV", "IM"]), [1, 2, 3]),
        (When("route", "not_equals", "IV"), [0, 1]),  # NULL is kept
        (When("route", "not_in", ["IV"]), [0, 1]),
        (When("aborted", "equals", False), [0, 1, 2]),
        (When("aborted", "not_equals", True), [0, 1, 2, 3]),  # a NULL boolean too
    ],
)
def test_a_condition_treats_null_the_same_for_text_and_booleans(
    when: When, checked: list[int], validator: Validator, rows: Rows
) -> None:
    import great_expectations as gx

    batch = rows.batch("sessions", [
        rows.row("sessions", 2, route=None, weight_kg=None),
        rows.row("sessions", 3, route="IM", weight_kg=None),
        rows.row("sessions", 4, route="IV", weight_kg=None),
        rows.row("sessions", 5, aborted=None, weight_kg=None),
    ])
    rule = Rule("sessions", "cross_column", 0, "probe", "expect_column_values_to_not_be_null", "m",
                column="weight_kg", when=when)
    suite = gx.ExpectationSuite(name="probe", expectations=[rule.to_expectation()])
    gx_batch = validator._batch_definitions["sessions"].get_batch(batch_parameters={"dataframe": to_pandas(batch)})
    (result,) = gx_batch.validate(suite, result_format="COMPLETE").results
    assert result.result["unexpected_index_list"] == checked


def test_several_files_in_one_batch_get_results_of_their_own(validator: Validator, rows: Rows) -> None:
    """Small files share one GX call; each file's counts are its own and add up to the whole."""
    outcome, expected, batch_rows = run_cases("sessions", validator, rows)
    renamed = [dict(r, _file="a.csv" if i % 2 else "b.csv") for i, r in enumerate(batch_rows)]
    split = validator.validate("sessions", make_batch("sessions", renamed).data, run_id="run-1", source="sessions")
    assert {r["file"] for r in split.results} == {"a.csv", "b.csv"}
    for whole in outcome.results:
        parts = [r for r in split.results if r["rule"] == whole["rule"]]
        assert sum(p["unexpected_count"] for p in parts) == whole["unexpected_count"], whole["rule"]
        assert sum(p["element_count"] for p in parts) == whole["element_count"], whole["rule"]
    bad_in_a = sum(1 for i, r in enumerate(batch_rows) if i % 2 and r["_row_number"] in expected)
    assert sum(1 for q in split.quarantine if q["file"] == "a.csv") == bad_in_a
    assert sorted(split.rejected_rows) == [i for i, r in enumerate(batch_rows) if r["_row_number"] in expected]


def test_a_batchs_files_are_numbered_in_order_of_first_appearance() -> None:
    import pyarrow as pa

    from clinicops.expectations.runner import _files_of_rows

    batch = pa.table({"_file_sha256": ["b", "a", "b", None, "a", None],
                      "_file": ["two.csv", "one.csv", "two.csv", "three.csv", "one.csv", None]})
    files, of_row = _files_of_rows(batch)
    assert files == [("b", "two.csv"), ("a", "one.csv"), (None, "three.csv"), (None, None)]
    assert of_row.tolist() == [0, 1, 0, 2, 1, 3]
