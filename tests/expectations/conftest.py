"""Shared fixtures of the expectations tests: a small practice, one Validator (one GX context) for the
session, and row builders whose defaults pass every rule."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pyarrow as pa
import pytest

from clinicops.config import Config, parse_config
from clinicops.expectations.runner import Validator
from clinicops.sources.common import make_batch

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)

PRACTICE = {
    "practice": {"name": "Test <Practice> & Co", "timezone": "America/New_York"},
    "locations": [
        {
            "id": "COL",
            "name": "Columbia",
            "resources": [{"id": "CHAIR-1", "kind": "chair"}, {"id": "CHAIR-2", "kind": "chair"},
                          {"id": "ROOM-A", "kind": "room"}],
        },
        {"id": "BAL", "name": "Baltimore", "resources": [{"id": "CHAIR-9", "kind": "chair"}]},
    ],
    "providers": [
        {"id": "P-OKAFOR", "name": "Dr. Okafor", "location_id": "COL"},
        {"id": "P-LEE", "name": "Dr. Lee", "location_id": "BAL"},
    ],
}

RowFactory = Callable[..., dict]


def lineage(row_number: int, file: str = "f.csv") -> dict:
    return {
        "_file": file,
        "_file_sha256": "sha-" + file,
        "_file_seq": 1,
        "_row_number": row_number,
        "_ingested_at": T0,
        "_raw_values": json.dumps({"row": row_number, "patient_first_name": "[removed]"}),
    }


def booking_row(row_number: int, file: str = "bookings.csv", **overrides: object) -> dict:
    row = {
        "appointment_id": f"A{row_number}",
        "patient_key": "pk-1",
        "location_id": "COL",
        "provider_id": "P-OKAFOR",
        "resource_id": "ROOM-A",
        "appointment_type": "consultation",
        "start_at": T0 + timedelta(days=row_number),
        "start_is_date_only": False,
        "duration_minutes": 50,
        "status": "booked",
        "status_says_late": False,
        "created_at": T0 - timedelta(days=3),
        "created_is_date_only": False,
        "cancelled_at": None,
        "cancelled_by": None,
        "referral_source_raw": "Google",
        "updated_at": T0,
        "age_band": "25-34",
        "source_format": "csv",
        **lineage(row_number, file),
    }
    row.update(overrides)
    return row


def session_row(row_number: int, file: str = "sessions.csv", **overrides: object) -> dict:
    chair_in = T0 - timedelta(days=row_number)  # a session log speaks of the past
    row = {
        "session_id": f"S{row_number}",
        "appointment_id": f"A{row_number}",
        "patient_key": "pk-1",
        "location_id": "COL",
        "chair_id": "CHAIR-1",
        "provider_id": "P-OKAFOR",
        "chair_in_at": chair_in,
        "infusion_start_at": chair_in + timedelta(minutes=10),
        "infusion_end_at": chair_in + timedelta(minutes=50),
        "chair_out_at": chair_in + timedelta(minutes=90),
        "medication": "ketamine",
        "route": "IV",
        "dose_mg": 35.0,
        "weight_kg": 70.0,
        "infusion_number": 1,
        "bp_systolic_pre": 120,
        "bp_diastolic_pre": 80,
        "bp_systolic_max": 140,
        "heart_rate_max": 90,
        "spo2_min": 97,
        "phq9_pre": 18,
        "phq9_post": 12,
        "gad7_pre": 11,
        "adverse_events": "nausea",
        "aborted": False,
        "updated_at": T0,
        **lineage(row_number, file),
    }
    row.update(overrides)
    return row


def review_row(row_number: int, file: str = "reviews.csv", **overrides: object) -> dict:
    row = {
        "site": "healthgrades",
        "review_id": f"R{row_number}",
        "location_id": "COL",
        "rating": 5,
        "rating_raw": "5",
        "published_at": T0,
        "text": "kind staff",
        "updated_at": T0,
        "origin": "csv",
        **lineage(row_number, file),
    }
    row.update(overrides)
    return row


def snapshot_row(row_number: int, file: str = "yelp__x__details__2026-03-02.json", **overrides: object) -> dict:
    row = {
        "site": "yelp",
        "location_id": "COL",
        "snapshot_date": date(2026, 3, 2),
        "reported_rating": 4.5,
        "reported_review_count": 120,
        "origin": "yelp",
        **lineage(row_number, file),
    }
    row.update(overrides)
    return row


@dataclass(frozen=True)
class Rows:
    """What the tests build batches from (a fixture, so test modules need not import this conftest)."""

    t0: datetime = T0
    builders: dict[str, RowFactory] = field(
        default_factory=lambda: {
            "bookings": booking_row,
            "sessions": session_row,
            "reviews": review_row,
            "review_snapshots": snapshot_row,
        }
    )

    def row(self, table: str, row_number: int, **overrides: object) -> dict:
        return self.builders[table](row_number, **overrides)

    def batch(self, table: str, rows: list[dict]) -> pa.Table:
        return make_batch(table, rows).data


@pytest.fixture(scope="session")
def rows() -> Rows:
    return Rows()


@pytest.fixture(scope="session")
def config() -> Config:
    return parse_config(PRACTICE)


@pytest.fixture(scope="session")
def validator(config: Config) -> Validator:
    """One GX context for every expectations test (starting one takes a moment)."""
    return Validator(config)
