"""The demo practice generator: deterministic, loadable config, the promised files, PHI, bad rows, realism."""

from __future__ import annotations

import collections
import csv
import json
import re
import statistics
import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from clinicops.config import load_config, parse_config
from clinicops.generate import (
    BAD_DURATION,
    BAD_PROVIDER,
    BAD_START,
    BAD_STATUS,
    GenerateSummary,
    PracticeSize,
    demo_config_toml,
    generate_practice,
)
from clinicops.home import Home

NY = ZoneInfo("America/New_York")
END = date(2026, 6, 15)
STATUS = {  # the words the generator may write -> canonical outcome family
    "scheduled": "booked", "confirmed": "booked", "booked": "booked", "completed": "fulfilled",
    "fulfilled": "fulfilled", "no show": "noshow", "noshow": "noshow", "canceled": "cancelled",
    "cancelled": "cancelled", "late cancel": "late", "clinician canceled": "clinic", "entered-in-error": "eie",
}
INFUSIONS = {"ketamine_infusion", "booster_infusion", "esketamine_session", "IV Ketamine", "Ketamine Booster",
             "Spravato"}
PHONE = re.compile(r"\(?\b\d{3}\)?[-. ]\d{3}[-. ]\d{4}\b")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def instant(text: str) -> datetime | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        t = datetime.fromisoformat(text if "T" in text else text.replace(" ", "T", 1))
    except ValueError:
        return None
    return t.replace(tzinfo=NY) if t.tzinfo is None else t


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> GenerateSummary:
    return generate_practice(tmp_path_factory.mktemp("demo"), seed=7, end_date=END)


@pytest.fixture(scope="module")
def config(demo):
    return load_config(Home(demo.home).config_file)


@pytest.fixture(scope="module")
def bookings(demo) -> list[tuple[Path, dict]]:
    return [(p, row) for p in demo.files["bookings"] for row in read_csv(p)]


def is_bad_booking(row: dict, provider_ids: set[str]) -> bool:
    duration = row["duration_minutes"]
    return (instant(row["start"]) is None or row["provider_id"] not in provider_ids
            or (duration != "" and int(duration) <= 0) or row["status"].lower() not in STATUS)


@pytest.fixture(scope="module")
def latest(bookings, config) -> dict[str, dict]:
    """appointment id -> its latest good version (by updated_at)."""
    out: dict[str, tuple[datetime, dict]] = {}
    for _, row in bookings:
        if is_bad_booking(row, config.provider_ids):
            continue
        updated = instant(row["updated_at"])
        if row["appointment_id"] not in out or updated > out[row["appointment_id"]][0]:
            out[row["appointment_id"]] = (updated, row)
    return {k: v for k, (_, v) in out.items()}


def outcome(row: dict, as_of: datetime) -> str:
    word = STATUS[row["status"].lower()]
    start, cancelled = instant(row["start"]), instant(row["cancelled_at"])
    if word == "eie":
        return "excluded"
    if word == "fulfilled":
        return "completed"
    if word == "noshow":
        return "no_show"
    if word == "clinic" or (word == "cancelled" and row["cancelled_by"] == "clinic"):
        return "clinic_cancel"
    if word == "late" or (word == "cancelled" and cancelled and start - cancelled < timedelta(hours=24)):
        return "late_cancel"
    if word == "cancelled":
        return "early_cancel"
    return "upcoming" if start > as_of else "unresolved"


def duration(row: dict) -> int:
    if row["duration_minutes"]:
        return int(row["duration_minutes"])
    return int((instant(row["end"]) - instant(row["start"])).total_seconds() // 60)


@pytest.fixture(scope="module")
def sessions(demo) -> list[dict]:
    rows = []
    for path in demo.files["sessions"]:
        if path in demo.unreadable_files:
            continue
        if path.suffix == ".jsonl":
            rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        else:
            rows += read_csv(path)
    return rows


# ---- determinism ------------------------------------------------------------------------------------------


def test_same_seed_same_bytes_and_another_seed_differs(tmp_path):
    size = PracticeSize(locations=2, months=3, patients_per_month=25)
    a = generate_practice(tmp_path / "a", seed=11, end_date=END, size=size)
    b = generate_practice(tmp_path / "b", seed=11, end_date=END, size=size)
    c = generate_practice(tmp_path / "c", seed=12, end_date=END, size=size)
    first, second = snapshot(a.home), snapshot(b.home)
    assert first and first == second
    assert (a.bookings, a.sessions, a.reviews) == (b.bookings, b.sessions, b.reviews)
    third = snapshot(c.home)
    assert any(first.get(name) != data for name, data in third.items())
    assert (first["inbox/bookings/bookings_export_2026-04.csv"]
            != third["inbox/bookings/bookings_export_2026-04.csv"])


def test_generating_again_into_the_same_home_rewrites_rather_than_appends(tmp_path):
    size = PracticeSize(locations=1, months=2, patients_per_month=20)
    generate_practice(tmp_path, seed=3, end_date=END, size=size)
    first = snapshot(tmp_path)
    generate_practice(tmp_path, seed=3, end_date=END, size=size)
    assert snapshot(tmp_path) == first


def latest_versions(paths: list[Path], key: str) -> dict[str, tuple[str, str]]:
    """id -> (updated_at, status or chair_out) of its newest row over the files (CSV and JSON Lines)."""
    latest: dict[str, tuple[str, str]] = {}
    for path in paths:
        rows = ([json.loads(line) for line in path.read_text().splitlines() if line.strip()]
                if path.suffix == ".jsonl" else read_csv(path))
        for row in rows:
            when = instant(row["updated_at"])
            seen = latest.get(row[key])
            if seen is None or when >= instant(seen[0]):
                latest[row[key]] = (when.isoformat(), row.get("status") or row.get("chair_out") or "")
    return latest


def test_next_day_holds_back_the_last_night_and_nothing_else(tmp_path):
    """History + the held-back day = the plain practice, version for version; the day holds only its own night."""
    size = PracticeSize(locations=2, months=2, patients_per_month=30)
    end = date(2026, 6, 18)  # a Thursday: the night held back follows a working Wednesday
    plain = generate_practice(tmp_path / "plain", seed=4, end_date=end, size=size, bad_rows=False)
    split = generate_practice(tmp_path / "split", seed=4, end_date=end, size=size, bad_rows=False,
                              next_day=tmp_path / "day")
    assert split.held_from == plain.as_of - timedelta(days=1)
    day = split.next_day
    assert set(day) == {"bookings", "sessions"} and all(p.parent == tmp_path / "day" for v in day.values() for p in v)
    for source, key in (("bookings", "appointment_id"), ("sessions", "session_id")):
        held = [row for p in day[source] for row in read_csv(p)]
        assert held, source
        assert all(split.held_from < instant(row["updated_at"]) <= plain.as_of for row in held)
        assert latest_versions(split.files[source] + day[source], key) == latest_versions(plain.files[source], key)
        history = latest_versions(split.files[source], key)
        assert all(instant(when) <= split.held_from for when, _ in history.values())


# ---- configuration ----------------------------------------------------------------------------------------


def test_demo_config_loads_and_describes_the_practice(demo, config):
    assert config.practice.name == "Midlands Psychiatry & Ketamine Clinic"
    assert config.practice.timezone == "America/New_York"
    assert [loc.id for loc in config.locations] == ["COL", "GVL"]
    for loc in config.locations:
        chairs = [r for r in loc.resources if r.kind == "chair"]
        rooms = [r for r in loc.resources if r.kind == "room"]
        assert 2 <= len(chairs) <= 4 and 1 <= len(rooms) <= 2
        assert {date(2025, 7, 4), date(2025, 11, 27), date(2025, 12, 25)} <= set(loc.closures)
        assert {d: len(loc.hours.get(d, ())) for d in ("mon", "fri", "sun")} == {"mon": 1, "fri": 1, "sun": 0}
    assert "sat" in config.locations[0].hours
    assert len(config.providers) >= 5 and all(p.availability for p in config.providers)
    assert config.keep_review_text is False
    assert "__" in config.review_sites["yelp"].locations["COL"]
    assert set(config.review_sites["google"].locations) == {"COL", "GVL"}
    gbp = config.review_sites["google_business_profile"]
    assert gbp.account == "accounts/1098234756" and gbp.locations["COL"].isdigit()
    assert {"google", "yelp", "psychology_today", "physician_referral", "returning_patient"} <= set(
        config.referral_sources)
    text = Home(demo.home).config_file.read_text(encoding="utf-8")
    assert text == demo_config_toml(PracticeSize(), end_date=END) and text.count("#") > 20


@pytest.mark.parametrize("n", [1, 3, 7, 25])
def test_demo_config_for_other_sizes_is_valid(n):
    config = parse_config(tomllib.loads(demo_config_toml(PracticeSize(locations=n), end_date=END)))
    assert len(config.locations) == n
    assert [loc.id for loc in config.locations][:2] == ["COL", "GVL"][:n]
    assert all(loc.resources for loc in config.locations)
    assert {p.location_id for p in config.providers} == config.location_ids
    if n >= 3:
        assert config.locations[2].id == "L03"


def test_another_end_date_replaces_the_generated_files_and_keeps_foreign_ones(tmp_path):
    size = PracticeSize(locations=1, months=2, patients_per_month=20)
    generate_practice(tmp_path, seed=3, end_date=date(2026, 3, 10), size=size)
    foreign = Home(tmp_path).inbox("bookings") / "appointments_export_2026-01.csv"
    foreign.write_text("Appt #\n1\n", encoding="utf-8")
    s = generate_practice(tmp_path, seed=3, end_date=END, size=size)
    for source, files in s.files.items():
        assert sorted(p for p in Home(tmp_path).inbox(source).iterdir() if p != foreign) == files
    assert foreign.exists()


def test_write_config_false_leaves_the_config_alone(tmp_path):
    Home(tmp_path).config_file.write_text("# mine\n", encoding="utf-8")
    generate_practice(tmp_path, end_date=END, size=PracticeSize(1, 1, 10), write_config=False)
    assert Home(tmp_path).config_file.read_text(encoding="utf-8") == "# mine\n"


# ---- files ------------------------------------------------------------------------------------------------


def test_expected_files_exist(demo):
    home = Home(demo.home)
    for source in ("bookings", "sessions", "reviews"):
        on_disk = sorted(p for p in home.inbox(source).iterdir())
        assert on_disk == demo.files[source], source
    names = [p.name for p in demo.files["bookings"]]
    months = [f"2025-{m:02d}" for m in range(6, 13)] + [f"2026-{m:02d}" for m in range(1, 7)]
    assert [n for n in names if n.startswith("bookings_export_")] == [f"bookings_export_{m}.csv" for m in months]
    changes = [n for n in names if n.startswith("bookings_changes_")]
    assert len(changes) >= 45 and changes[-1] == "bookings_changes_2026-06-15.csv"
    sessions = [p.name for p in demo.files["sessions"]]
    assert "sessions_2026-06.jsonl" in sessions and "sessions_2026-05.csv" in sessions
    assert "sessions_corrupt.csv" in sessions
    assert demo.as_of == datetime(2026, 6, 15, 2, tzinfo=NY).astimezone(UTC)
    assert demo.as_of.tzinfo is not None


def test_review_files_follow_the_naming_rule(demo, config):
    sites = {"yelp": "yelp", "google": "google", "google_business_profile": "google_business_profile"}
    seen = collections.Counter()
    for path in demo.files["reviews"]:
        if path.suffix == ".csv":
            continue
        parts = path.stem.split("__")
        prefix, kind, fetched = parts[0], parts[-2], parts[-1]
        business = "__".join(parts[1:-2])
        assert prefix in sites and kind in ("details", "reviews"), path.name
        assert date.fromisoformat(fetched) <= END
        assert business in config.review_sites[sites[prefix]].locations.values(), path.name
        json.loads(path.read_text(encoding="utf-8"))
        seen[(prefix, kind)] += 1
    assert seen[("yelp", "details")] >= 12 and seen[("yelp", "reviews")] >= 12
    assert seen[("google", "details")] >= 12 and seen[("google_business_profile", "reviews")] >= 12
    assert any("__" in "__".join(p.stem.split("__")[1:-2]) for p in demo.files["reviews"])


def test_review_responses_have_the_sites_shapes(demo):
    files = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in demo.files["reviews"] if p.suffix == ".json"}
    yelp_details = [v for k, v in files.items() if k.startswith("yelp__") and "__details__" in k]
    yelp_reviews = [v for k, v in files.items() if k.startswith("yelp__") and "__reviews__" in k]
    legacy = [v for k, v in files.items() if k.startswith("google__") and "result" in v]
    new = [v for k, v in files.items() if k.startswith("google__") and "userRatingCount" in v]
    gbp = [v for k, v in files.items() if k.startswith("google_business_profile__")]
    assert yelp_details and yelp_reviews and legacy and new and gbp
    for d in yelp_details:
        assert {"id", "alias", "name", "rating", "review_count"} <= set(d)
    for d in yelp_reviews:
        assert len(d["reviews"]) <= 3 and d["total"] > 0 and d["possible_languages"] == ["en"]
        for r in d["reviews"]:
            datetime.strptime(r["time_created"], "%Y-%m-%d %H:%M:%S")
            assert {"id", "profile_url", "image_url", "name"} <= set(r["user"]) and 1 <= r["rating"] <= 5
    for d in legacy:
        assert d["status"] == "OK" and {"rating", "user_ratings_total", "reviews", "place_id"} <= set(d["result"])
        for r in d["result"]["reviews"]:
            assert isinstance(r["time"], int) and "author_url" in r and "author_name" in r
    for d in new:
        for r in d["reviews"]:
            assert r["name"].startswith(f"places/{d['id']}/reviews/")
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", r["publishTime"])
            assert "displayName" in r["authorAttribution"]
    words = {"ONE", "TWO", "THREE", "FOUR", "FIVE"}
    for d in gbp:
        assert {"averageRating", "totalReviewCount", "reviews"} <= set(d)
        assert all(r["starRating"] in words and r["name"].endswith(r["reviewId"]) for r in d["reviews"])
    assert any("nextPageToken" in d for d in gbp) and any("reviewReply" in r for d in gbp for r in d["reviews"])
    # a review edited later: same id, later updateTime and another rating in a later snapshot
    versions = collections.defaultdict(set)
    for d in gbp:
        for r in d["reviews"]:
            versions[r["reviewId"]].add((r["updateTime"], r["starRating"]))
    assert any(len(v) > 1 for v in versions.values())
    # the newest snapshot of each site lands near a real practice's ratings
    newest = {k.rsplit("__", 1)[0]: v for k, v in sorted(files.items())}
    ratings = []
    for name, d in newest.items():
        if "__details" in name or name.startswith("google_business_profile"):
            ratings.append(d.get("rating") or d.get("averageRating") or d.get("result", {}).get("rating"))
    assert ratings and all(4.2 <= r <= 4.8 for r in ratings), ratings


def test_a_file_has_a_bom_and_crlf_line_ends(demo):
    found = [p for p in demo.files["bookings"] if p.read_bytes().startswith(b"\xef\xbb\xbf")]
    assert found
    data = found[0].read_bytes()
    assert data.count(b"\r\n") == data.count(b"\n") > 1


def test_phi_is_present_in_the_inputs(bookings, sessions):
    rows = [row for _, row in bookings]
    assert all(row["patient_first_name"] and row["patient_last_name"] for row in rows)
    assert all(re.fullmatch(r"\(\d{3}\) 555-01\d\d", row["patient_phone"]) for row in rows)
    assert sum(bool(EMAIL.fullmatch(row["patient_email"])) for row in rows) > 0.7 * len(rows)
    assert all(date.fromisoformat(row["patient_dob"]) < END for row in rows)
    notes = [s["notes"] or "" for s in sessions]
    assert sum(bool(PHONE.search(n)) for n in notes) > 20
    assert any(n.startswith("Pt ") and " called from " in n for n in notes)


# ---- bad input --------------------------------------------------------------------------------------------


def test_bad_row_counts_match_the_files(demo, bookings, sessions, config):
    bad_bookings = [row for _, row in bookings if is_bad_booking(row, config.provider_ids)]
    assert len(bad_bookings) == demo.bad_rows["bookings"] == 8
    planted = collections.Counter()
    for row in bad_bookings:
        planted["start"] += row["start"] == BAD_START
        planted["provider"] += row["provider_id"] == BAD_PROVIDER
        planted["duration"] += row["duration_minutes"] == BAD_DURATION
        planted["status"] += row["status"] == BAD_STATUS
    assert planted == {"start": 2, "provider": 2, "duration": 2, "status": 2}

    def bad_session(s: dict) -> bool:
        return instant(str(s["chair_out"])) < instant(str(s["chair_in"])) or float(s["dose_mg"]) <= 0

    assert sum(bad_session(s) for s in sessions) == demo.bad_rows["sessions"] == 2

    reviews = read_csv(Home(demo.home).inbox("reviews") / "reviews_healthgrades.csv")
    bad_reviews = [r for r in reviews if r["rating"] not in {"1", "2", "3", "4", "5"}]
    assert sorted(r["rating"] for r in bad_reviews) == ["4.5", "7"] and demo.bad_rows["reviews"] == 2
    assert {r["site"] for r in reviews} == {"healthgrades", "zocdoc"}


def test_the_unreadable_file_is_not_utf8(demo):
    assert [p.name for p in demo.unreadable_files] == ["sessions_corrupt.csv"]
    data = demo.unreadable_files[0].read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert b"\xe9" in data


def test_without_bad_rows_everything_is_clean(tmp_path):
    s = generate_practice(tmp_path, seed=5, end_date=END, size=PracticeSize(2, 2, 20), bad_rows=False)
    assert s.bad_rows == {"bookings": 0, "sessions": 0, "reviews": 0} and s.unreadable_files == []
    text = "".join(p.read_text(encoding="utf-8") for files in s.files.values() for p in files)
    for planted in (BAD_START, BAD_PROVIDER, BAD_STATUS, "sessions_corrupt", ",4.5,"):
        assert planted not in text


# ---- versions ---------------------------------------------------------------------------------------------


def test_appointments_change_over_files_and_the_latest_version_matters(demo, bookings):
    by_id = collections.defaultdict(list)
    for path, row in bookings:
        by_id[row["appointment_id"]].append((path.name, instant(row["updated_at"]), row))
    multi = {k: v for k, v in by_id.items() if len(v) > 1}
    assert len(multi) > 0.2 * len(by_id)
    rescheduled = [v for v in multi.values() if len({instant(r["start"]) for _, _, r in v}) > 1]
    assert len(rescheduled) > 50
    # an older version arrives in a later file
    changes = {k: sorted((n, u) for n, u, _ in v if n.startswith("bookings_changes_")) for k, v in multi.items()}
    stale = [k for k, v in changes.items() if any(b[1] < a[1] for a, b in zip(v, v[1:], strict=False))]
    assert stale
    # every appointment's first version is in the export of the month it was created in
    for versions in list(by_id.values())[:2000]:
        created = instant(versions[0][2]["created_at"]).astimezone(NY)
        assert any(n == f"bookings_export_{created:%Y-%m}.csv" for n, _, _ in versions)


def test_summary_counts_match_the_files(demo, bookings, sessions, config):
    good_ids = {row["appointment_id"] for _, row in bookings if not is_bad_booking(row, config.provider_ids)}
    assert demo.bookings == len(good_ids)
    assert 10_000 <= len(bookings) <= 20_000 and demo.rows["bookings"] == len(bookings)
    assert demo.sessions == len({s["session_id"] for s in sessions}) and demo.rows["sessions"] == len(sessions)
    assert demo.reviews > 150 and demo.patients > 1000


# ---- realism ----------------------------------------------------------------------------------------------


def test_outcomes_look_like_a_real_clinic(demo, latest):
    counts = collections.Counter()
    by_lead = collections.defaultdict(collections.Counter)
    for row in latest.values():
        o = outcome(row, demo.as_of)
        counts[o] += 1
        lead = (instant(row["start"]).astimezone(NY).date() - instant(row["created_at"]).astimezone(NY).date()).days
        assert 0 <= lead <= 75
        bucket = "0-7" if lead <= 7 else "8-30" if lead <= 30 else "31+"
        by_lead[bucket][o] += 1
    kept_missed = counts["completed"] + counts["no_show"] + counts["late_cancel"]
    assert 0.04 <= counts["no_show"] / kept_missed <= 0.12
    assert 0.025 <= counts["late_cancel"] / kept_missed <= 0.06
    assert counts["early_cancel"] > counts["late_cancel"] > counts["clinic_cancel"] > 0
    assert 0 < counts["excluded"] < 0.01 * len(latest) and 0 < counts["unresolved"] < 0.01 * len(latest)
    assert counts["upcoming"] > 200
    rate = {b: c["no_show"] / (c["completed"] + c["no_show"] + c["late_cancel"]) for b, c in by_lead.items()}
    assert rate["0-7"] < rate["8-30"] < rate["31+"]


def test_a_prior_no_show_makes_the_next_one_likelier(demo, latest):
    by_patient = collections.defaultdict(list)
    for row in latest.values():
        o = outcome(row, demo.as_of)
        if o in ("completed", "no_show", "late_cancel"):
            by_patient[row["patient_id"]].append((instant(row["start"]), o))
    after = collections.Counter()
    for visits in by_patient.values():
        missed_before = False
        for _, o in sorted(visits):
            after[(missed_before, o == "no_show")] += 1
            missed_before = missed_before or o == "no_show"
    rate_clean = after[(False, True)] / (after[(False, True)] + after[(False, False)])
    rate_after = after[(True, True)] / (after[(True, True)] + after[(True, False)])
    assert rate_after > 2 * rate_clean


def test_booking_times_avoid_the_night(bookings):
    """No created/updated/cancelled time falls at night, so none is ambiguous around a DST change."""
    for _, row in bookings:
        for column in ("created_at", "updated_at", "cancelled_at"):
            t = instant(row[column])
            assert t is None or 7 <= t.astimezone(NY).hour <= 22, (column, row[column])


def test_future_bookings_are_booked_and_reach_six_weeks(demo, latest):
    future = [row for row in latest.values() if instant(row["start"]) > demo.as_of]
    starts = [instant(row["start"]).astimezone(NY).date() for row in future]
    assert max(starts) <= END + timedelta(days=42) and max(starts) >= END + timedelta(days=28)
    assert all(STATUS[row["status"].lower()] in ("booked", "cancelled", "late", "clinic", "eie") for row in future)
    assert all(instant(row["created_at"]) <= demo.as_of for row in latest.values())


def test_status_words_referrals_and_types_are_mixed(bookings, latest, config):
    words = {row["status"] for _, row in bookings}
    assert {"Scheduled", "Confirmed", "Completed", "No Show", "Canceled", "Late Cancel", "Clinician Canceled",
            "fulfilled", "noshow", "cancelled", "entered-in-error"} <= words
    referrals = collections.Counter(row["referral_source"] for row in latest.values())
    assert {"Google", "google search", " GOOGLE ", "yelp!", "Psychology Today", "psych today", "dr. smith referral",
            "PCP", "my therapist", "friend", "Instagram", ""} <= set(referrals)
    assert referrals[""] > len(latest) / 2  # later bookings mostly leave it empty
    mapped = {" ".join(v.lower().split()) for vs in config.referral_sources.values() for v in vs}
    unmapped = {r for r in referrals if r.strip() and " ".join(r.lower().split()) not in mapped}
    assert unmapped  # some land in 'other'
    types = collections.Counter(row["appointment_type"] for row in latest.values())
    canonical = {"consultation", "ketamine_infusion", "booster_infusion", "esketamine_session", "med_management",
                 "therapy", "adhd_evaluation", "child_psychiatry", "follow_up"}
    assert canonical <= set(types)
    assert set(types) - canonical <= set(config.appointment_types)
    starts = [row["start"] for _, row in bookings]
    assert sum("T" in s and s[-6] in "+-" for s in starts) > 0.03 * len(starts)
    assert sum(bool(row["end"]) and not row["duration_minutes"] for _, row in bookings) > 100


def test_chairs_are_not_double_booked_and_run_60_to_80_percent(demo, latest, config):
    zone_hours = {loc.id: loc for loc in config.locations}
    held = collections.defaultdict(list)
    for row in latest.values():
        o = outcome(row, demo.as_of)
        assert (row["resource_id"] in config.chair_ids) == (row["appointment_type"] in INFUSIONS)
        if o in ("completed", "no_show", "late_cancel", "upcoming", "unresolved") and row["resource_id"]:
            start = instant(row["start"]).astimezone(NY)
            held[row["resource_id"]].append((start, start + timedelta(minutes=duration(row)), row))
            loc = zone_hours[row["location_id"]]
            assert start.date() not in loc.closures
            spans = loc.hours[("mon", "tue", "wed", "thu", "fri", "sat", "sun")[start.weekday()]]
            minute = start.hour * 60 + start.minute
            assert any(s.start_minute <= minute and minute + duration(row) <= s.end_minute for s in spans)
    for items in held.values():
        items.sort(key=lambda x: x[0])
        for (_, end, _), (start, _, _) in zip(items, items[1:], strict=False):
            assert start >= end
    first = min(instant(r["start"]).astimezone(NY).date() for r in latest.values())
    for loc in config.locations:
        chairs = [r.id for r in loc.resources if r.kind == "chair"]
        available, d = 0, first
        while d < END:
            if d not in loc.closures:
                day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[d.weekday()]
                available += sum(s.minutes for s in loc.hours.get(day, ()))
            d += timedelta(days=1)
        scheduled = sum((e - s).total_seconds() / 60 for c in chairs for s, e, _ in held[c] if s.date() < END)
        assert 0.55 <= scheduled / (available * len(chairs)) <= 0.85, loc.id


def test_sessions_look_like_infusions(sessions, latest):
    ok = [s for s in sessions if str(s["aborted"]).lower() != "true"
          and instant(str(s["chair_out"])) > instant(str(s["chair_in"])) and float(s["dose_mg"]) > 0]
    assert 0.01 <= 1 - len(ok) / len(sessions) <= 0.06
    for s in ok:
        minutes = (instant(str(s["chair_out"])) - instant(str(s["chair_in"]))).total_seconds() / 60
        infusion = (instant(str(s["infusion_end"])) - instant(str(s["infusion_start"]))).total_seconds() / 60
        assert instant(str(s["chair_in"])) <= instant(str(s["infusion_start"])) <= instant(str(s["infusion_end"]))
        if s["medication"] == "ketamine":
            assert s["route"] == "IV" and 75 <= minutes <= 110 and 35 <= infusion <= 45
            assert 0.45 <= float(s["dose_mg"]) / float(s["weight_kg"]) <= 1.05
            assert 50 <= float(s["weight_kg"]) <= 132
        else:
            assert s["route"] == "IN" and minutes >= 120 and float(s["dose_mg"]) in (56, 84)
        assert s["appointment_id"] in ("", None) or latest[s["appointment_id"]]["status"] in ("Completed", "fulfilled")
    # IV series: about half finish six, one in five stop after the first, PHQ-9 response and remission
    by_patient = collections.defaultdict(list)
    for s in ok:
        by_patient[s["patient_id"]].append(s)
    firsts = [v for v in by_patient.values() if v[0]["medication"] == "ketamine"]
    iv = [sorted(v, key=lambda s: str(s["chair_in"])) for v in firsts]
    finished = [v for v in iv if len(v) >= 6]
    assert 0.3 <= len(finished) / len(iv) <= 0.6
    assert 0.12 <= sum(len(v) == 1 for v in iv) / len(iv) <= 0.35
    respond = [int(v[5]["phq9_pre"]) <= int(v[0]["phq9_pre"]) / 2 for v in finished]
    remit = [int(v[5]["phq9_pre"]) < 5 for v in finished]
    assert 0.4 <= statistics.mean(respond) <= 0.7 and 0.18 <= statistics.mean(remit) <= 0.4
    assert any(s["adverse_events"] for s in ok)
    # a few sessions were re-charted later: the same id again with a later updated_at
    versions = collections.defaultdict(list)
    for s in sessions:
        versions[s["session_id"]].append(instant(str(s["updated_at"])))
    again = [v for v in versions.values() if len(v) > 1]
    assert again and all(v[1] > v[0] for v in again)


def test_size_scales_the_practice(tmp_path):
    small = generate_practice(tmp_path / "s", end_date=END, size=PracticeSize(1, 2, 30))
    big = generate_practice(tmp_path / "b", end_date=END, size=PracticeSize(3, 2, 30))
    assert 2.0 <= big.bookings / small.bookings <= 4.5
    config = load_config(Home(big.home).config_file)
    assert [loc.id for loc in config.locations] == ["COL", "GVL", "L03"]
    ids = {row["location_id"] for p in big.files["bookings"] for row in read_csv(p)}
    assert ids == {"COL", "GVL", "L03"}
