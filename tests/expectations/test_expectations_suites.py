"""The suite files: they load, every entry names a real row-level GX expectation, config value sets resolve,
and a broken entry is refused with a message that names it."""

from __future__ import annotations

import os

import pytest

from clinicops.config import APPOINTMENT_TYPES, Config
from clinicops.expectations.runner import SECTIONS, Rule, SuiteError, judged_schema, load_suite, parse_suite
from clinicops.schemas import LAKE

# the rules the sources spec asks for, by lake table (the suites may hold more)
REQUIRED_RULES = {
    "intake": {"patient_present", "malformed_row", "control_characters"},
    "bookings": {
        "appointment_id_present", "patient_present", "location_present", "location_known", "provider_present",
        "provider_known", "resource_known", "appointment_type_valid", "appointment_type_known", "start_valid",
        "duration_valid", "duration_positive", "status_valid", "status_known", "created_valid", "cancelled_by_known",
    },
    "sessions": {
        "session_id_present", "patient_present", "location_known", "chair_known", "provider_known",
        "chair_in_valid", "chair_out_valid", "chair_in_before_infusion_start", "infusion_start_before_end",
        "infusion_end_before_chair_out", "chair_in_before_chair_out", "medication_known", "route_known",
        "dose_positive", "weight_required_for_iv", "phq9_pre_in_range", "phq9_post_in_range", "gad7_pre_in_range",
        "aborted_valid",
    },
    "reviews": {"site_present", "review_id_present", "location_known", "rating_valid", "rating_in_range",
                "published_valid"},
    "review_snapshots": {"snapshot_site_present", "snapshot_location_known", "snapshot_date_present",
                         "reported_rating_in_range", "review_count_non_negative"},
}


@pytest.mark.parametrize("table", list(LAKE))
def test_suite_loads_in_section_order(table: str, config: Config) -> None:
    rules = load_suite(table, config)
    assert rules and all(isinstance(r, Rule) for r in rules)
    assert [r.position for r in rules] == list(range(len(rules)))
    sections = [SECTIONS.index(r.section) for r in rules]
    assert sections == sorted(sections), "columns, then values, then cross-column rules"
    assert len({r.rule for r in rules}) == len(rules)
    assert REQUIRED_RULES[table] <= {r.rule for r in rules}
    for r in rules:
        assert r.message and r.rule.replace("_", "").isalnum()
        assert all(c in judged_schema(table).names for c in r.columns)


def test_rule_names_are_unique_within_a_source(config: Config) -> None:
    """One file may yield rows of two tables (a Business Profile response: reviews and a snapshot); its
    results are keyed by (expectation, rule, column), so a rule name must not repeat across them."""
    names = [r.rule for table in ("reviews", "review_snapshots") for r in load_suite(table, config)]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("table", list(LAKE))
def test_every_rule_is_a_real_gx_expectation(table: str, config: Config) -> None:
    os.environ["GX_ANALYTICS_ENABLED"] = "False"
    from great_expectations.expectations.expectation import Expectation
    from great_expectations.expectations.registry import get_expectation_impl

    for rule in load_suite(table, config):
        cls = get_expectation_impl(rule.expectation)
        expectation = rule.to_expectation()
        assert isinstance(expectation, cls) and isinstance(expectation, Expectation)
        assert expectation.expectation_type == rule.expectation
        assert expectation.meta == {"rule": rule.rule, "position": rule.position}


def test_value_sets_come_from_the_config(config: Config) -> None:
    bookings = {r.rule: r for r in load_suite("bookings", config)}
    assert bookings["location_known"].kwargs["value_set"] == ["BAL", "COL"]
    assert bookings["provider_known"].kwargs["value_set"] == ["P-LEE", "P-OKAFOR"]
    assert bookings["resource_known"].kwargs["value_set"] == ["CHAIR-1", "CHAIR-2", "CHAIR-9", "ROOM-A"]
    assert bookings["appointment_type_known"].kwargs["value_set"] == sorted(APPOINTMENT_TYPES)
    sessions = {r.rule: r for r in load_suite("sessions", config)}
    assert sessions["chair_known"].kwargs["value_set"] == ["CHAIR-1", "CHAIR-2", "CHAIR-9"]  # not the room


def test_conditional_rules_are_declared_as_data(config: Config) -> None:
    bookings = {r.rule: r for r in load_suite("bookings", config)}
    start = bookings["start_valid"]
    assert (start.column, start.when.column, start.when.operator) == ("start_at", "status", "not_in")
    assert set(start.when.value) == {"proposed", "waitlist"}
    assert bookings["created_valid"].when.value == "csv"
    sessions = {r.rule: r for r in load_suite("sessions", config)}
    weight = sessions["weight_required_for_iv"]
    assert (weight.column, weight.when.column, weight.when.operator, weight.when.value) == (
        "weight_kg", "route", "equals", "IV")
    order = sessions["chair_in_before_infusion_start"]
    assert (order.column_a, order.column_b, order.column_name) == (
        "infusion_start_at", "chair_in_at", "infusion_start_at,chair_in_at")
    assert order.kwargs == {"or_equal": True, "ignore_row_if": "either_value_is_missing"}


def _entry(**overrides: object) -> dict:
    entry = {"rule": "r", "expectation": "expect_column_values_to_not_be_null", "column": "site", "message": "m"}
    entry.update(overrides)
    return {k: v for k, v in entry.items() if v is not None}


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        (_entry(expectation="expect_column_values_to_be_lovely"), "is not a Great Expectations expectation"),
        (_entry(expectation="expect_table_row_count_to_be_between"), "cannot set a row aside"),
        (_entry(column="no_such_column"), "is not a column of the reviews lake table"),
        (_entry(column=None), "give either column, or both column_A and column_B"),
        (_entry(column_A="rating"), "give either column, or both"),
        (_entry(message=None), "message: is required"),
        (_entry(kwargs={"mostly": 0.5}), "may not be set here"),
        (_entry(kwargs={"value_set": "config.nothing"}), "does not name a set of ids"),
        (_entry(kwargs={"value_set": "os.environ"}), "does not name a set of ids"),
        (_entry(when={"column": "site", "like": "x"}), "give exactly one of"),
        (_entry(when={"column": "site", "in": []}), "must be a non-empty list of text or numbers"),
        (_entry(when={"column": "site", "not_in": [True]}), "must be a non-empty list of text or numbers"),
        (_entry(colour="red"), "unknown keys ['colour']"),
    ],
)
def test_a_broken_entry_is_refused_naming_it(entry: dict, words: str, config: Config) -> None:
    with pytest.raises(SuiteError) as info:
        parse_suite({"reviews": {"values": [entry]}}, "reviews", config, where="reviews.toml")
    assert "reviews.toml: reviews.values[0]" in str(info.value)
    assert words in str(info.value)


def test_suite_level_mistakes_are_refused(config: Config) -> None:
    with pytest.raises(SuiteError, match="no \\[reviews\\] section"):
        parse_suite({}, "reviews", config)
    with pytest.raises(SuiteError, match="unknown parts"):
        parse_suite({"reviews": {"checks": []}}, "reviews", config)
    with pytest.raises(SuiteError, match="more than once: r"):
        parse_suite({"reviews": {"columns": [_entry()], "values": [_entry()]}}, "reviews", config)
    with pytest.raises(SuiteError, match="not a lake table"):
        load_suite("appointments", config)
