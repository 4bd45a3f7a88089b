"""The review reader: saved Yelp / Google Places / Business Profile responses and the generic review CSV."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from clinicops.config import parse_config
from clinicops.schemas import LAKE
from clinicops.sources.checks import staged_schema
from clinicops.sources.common import RAW_VALUES, Batch, FileRejected, ReadContext
from clinicops.sources.reviews import parse_response_name, parse_rfc3339, read_reviews

REVIEWER = "Zebulon Quigley"
INGESTED = datetime(2026, 3, 10, 7, 0, tzinfo=UTC)
YELP_ID = "midlands__psych-columbia"  # Yelp ids may contain "__"
PLACE_ID = "ChIJN1t_tDeuEmsRUsoyG83frY4"
GBP_LOCATION = "4567890123456789"


def make_ctx(tmp_path: Path, file_name: str, *, keep_text: bool = False, batch_rows: int = 50_000) -> ReadContext:
    config = parse_config(
        {
            "practice": {"name": "Midlands Psychiatry & Ketamine Clinic", "timezone": "America/New_York"},
            "locations": [{"id": "COL", "name": "Columbia"}, {"id": "GRN", "name": "Greenville"}],
            "review_sites": {
                "keep_review_text": keep_text,
                "yelp": {"COL": YELP_ID, "GRN": "midlands-psychiatry-greenville"},
                "google": {"COL": PLACE_ID, "GRN": "ChIJgreenvillePlaceId"},
                "google_business_profile": {"GRN": f"accounts/1122334455/locations/{GBP_LOCATION}"},
            },
        }
    )
    return ReadContext(
        config=config,
        source="reviews",
        file_name=file_name,
        sha256="ab" * 32,
        file_seq=7,
        ingested_at=INGESTED,
        batch_rows=batch_rows,
    )


def write(tmp_path: Path, name: str, content: Any) -> Path:
    """Land a file under a content-addressed name, as the landing area does (the inbox name is ctx.file_name)."""
    path = tmp_path / "landed" / f"{hashlib.sha256(name.encode()).hexdigest()[:12]}.raw"
    path.parent.mkdir(exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_text(json.dumps(content, indent=2), encoding="utf-8")
    return path


def read(tmp_path: Path, name: str, content: Any, **kw: Any) -> list[Batch]:
    path = write(tmp_path, name, content)
    return list(read_reviews(path, make_ctx(tmp_path, name, **kw)))


def rows(batches: list[Batch], table: str) -> list[dict]:
    return [r for b in batches if b.table == table for r in b.data.to_pylist()]


# ---- responses exactly as the vendors document them ---------------------------------------------------------


def yelp_details() -> dict:
    return {
        "id": YELP_ID,
        "alias": "midlands-psychiatry-and-ketamine-clinic-columbia",
        "name": "Midlands Psychiatry & Ketamine Clinic",
        "image_url": "https://s3-media2.fl.yelpcdn.com/bphoto/CPc91bGzKBe95aM5edjhhQ/o.jpg",
        "is_claimed": True,
        "is_closed": False,
        "url": "https://www.yelp.com/biz/midlands-psychiatry-and-ketamine-clinic-columbia",
        "phone": "+18035550100",
        "display_phone": "(803) 555-0100",
        "review_count": 42,
        "categories": [{"alias": "psychiatrists", "title": "Psychiatrists"}],
        "rating": 4.5,
        "location": {
            "address1": "1 Main St",
            "city": "Columbia",
            "zip_code": "29201",
            "country": "US",
            "state": "SC",
            "display_address": ["1 Main St", "Columbia, SC 29201"],
        },
        "coordinates": {"latitude": 34.0007, "longitude": -81.0348},
        "photos": ["https://s3-media2.fl.yelpcdn.com/bphoto/CPc91bGzKBe95aM5edjhhQ/o.jpg"],
        "hours": [
            {"open": [{"is_overnight": False, "start": "0800", "end": "1700", "day": 0}], "hours_type": "REGULAR"}
        ],
        "transactions": [],
    }


def yelp_review(review_id: str, rating: Any, created: str, text: str = "Kind staff, short wait.") -> dict:
    return {
        "id": review_id,
        "url": f"https://www.yelp.com/biz/midlands-psychiatry-columbia?adjust_creative=x&hrid={review_id}",
        "text": text,
        "rating": rating,
        "time_created": created,
        "user": {
            "id": "W8UK02IDdRS2GL_66fuq6w",
            "profile_url": "https://www.yelp.com/user_details?userid=W8UK02IDdRS2GL_66fuq6w",
            "image_url": "https://s3-media3.fl.yelpcdn.com/photo/iwoAD12zkONZxJ94ChAaMg/o.jpg",
            "name": REVIEWER,
        },
    }


def yelp_reviews() -> dict:
    return {
        "reviews": [
            yelp_review("xAG4O7l-t1ubbwVAlPnDKg", 5, "2026-03-08 01:30:00"),  # PST, before the change
            yelp_review("rAG4O7l-t1ubbwVAlPnDKh", 4, "2026-03-08 03:30:00"),  # PDT, after it
            yelp_review("zAG4O7l-t1ubbwVAlPnDKi", 2, "2026-07-01 12:00:00"),
        ],
        "total": 42,
        "possible_languages": ["en"],
    }


def places_legacy() -> dict:
    def review(time: int, url: str, rating: int) -> dict:
        return {
            "author_name": REVIEWER,
            "author_url": url,
            "language": "en",
            "original_language": "en",
            "profile_photo_url": "https://lh3.googleusercontent.com/a-/ALV-UjXexample=s128-c0x00000000-cc-rp-mo",
            "rating": rating,
            "relative_time_description": "a month ago",
            "text": "The infusion team explained everything.",
            "time": time,
            "translated": False,
        }

    return {
        "html_attributions": [],
        "result": {
            "name": "Midlands Psychiatry & Ketamine Clinic",
            "place_id": PLACE_ID,
            "rating": 4.6,
            "user_ratings_total": 128,
            "reviews": [
                review(1767225600, "https://www.google.com/maps/contrib/105700000000000000001/reviews", 5),
                review(1767312000, "https://www.google.com/maps/contrib/105700000000000000002/reviews", 3),
            ],
        },
        "status": "OK",
    }


def places_new() -> dict:
    return {
        "id": PLACE_ID,
        "displayName": {"text": "Midlands Psychiatry & Ketamine Clinic", "languageCode": "en"},
        "rating": 4.7,
        "userRatingCount": 212,
        "reviews": [
            {
                "name": f"places/{PLACE_ID}/reviews/ChZDSUhNMG9nS0VJQ0FnSUQ3LTZYb0lBEAE",
                "relativePublishTimeDescription": "a week ago",
                "rating": 5,
                "text": {"text": "Felt better after the second infusion.", "languageCode": "en"},
                "originalText": {"text": "Felt better after the second infusion.", "languageCode": "en"},
                "authorAttribution": {
                    "displayName": REVIEWER,
                    "uri": "https://www.google.com/maps/contrib/105700000000000000001/reviews",
                    "photoUri": "https://lh3.googleusercontent.com/a-/ALV-UjXexample=s128-c0x00000000-cc-rp-mo",
                },
                "publishTime": "2026-01-14T15:42:07.123456789Z",
                "flagContentUri": "https://www.google.com/local/review/rap/report?postId=ChZDSUhN",
                "googleMapsUri": "https://www.google.com/maps/reviews/data=!4m6!14m5",
            },
            {
                "name": f"places/{PLACE_ID}/reviews/ChdDSUhNMG9nS0VJQ0FnSUR3c2Q",
                "rating": 4,
                "text": {"text": "Parking is hard.", "languageCode": "en"},
                "authorAttribution": {"displayName": REVIEWER},
                "publishTime": "2026-01-15T08:00:00Z",
            },
        ],
    }


def gbp_reviews() -> dict:
    base = f"accounts/1122334455/locations/{GBP_LOCATION}/reviews"
    reviewer = {"profilePhotoUrl": "https://lh3.googleusercontent.com/a/photo", "displayName": REVIEWER}
    return {
        "reviews": [
            {
                "reviewId": "AIe9_BGxR1",
                "reviewer": {**reviewer, "isAnonymous": False},
                "starRating": "FOUR",
                "comment": "Dr. Okafor listened.",
                "createTime": "2026-01-10T14:03:22.871Z",
                "updateTime": "2026-02-01T09:00:00.123456789Z",
                "reviewReply": {"comment": "Thank you, Zebulon!", "updateTime": "2026-01-11T10:00:00Z"},
                "name": f"{base}/AIe9_BGxR1",
            },
            {
                "reviewer": {**reviewer, "isAnonymous": False},
                "starRating": "STAR_RATING_UNSPECIFIED",
                "comment": "Fine.",
                "createTime": "2026-01-12T10:00:00Z",
                "updateTime": "2026-01-12T10:00:00Z",
                "name": f"{base}/AIe9_BGxR2",
            },
            {
                "reviewId": "AIe9_BGxR3",
                "reviewer": {"displayName": "A Google user", "isAnonymous": True},
                "starRating": "five",
                "createTime": "2026-01-13T10:00:00Z",
                "name": f"{base}/AIe9_BGxR3",
            },
        ],
        "averageRating": 4.4,
        "totalReviewCount": 88,
        "nextPageToken": "CiQKIgogYWJjZGVm",
    }


def review_csv(newline: str = "\r\n") -> str:
    lines = [
        "\ufeffPublished_At,location_id,Reviewer Name,review_id,site,rating,text,stars_shown",
        f'2026-02-03 14:00,COL,{REVIEWER},HG-1, Healthgrades ,5,"Great, caring staff",*****',
        f"2026-02-04T09:00:00Z,GRN,{REVIEWER},ZD-2,ZOCDOC,4.5,ok,****",
        "",
        f"2026-02-05,COL,{REVIEWER},ZD-3,zocdoc,7,,*******",
        f'2026-02-06,COL,{REVIEWER},,zocdoc,3,"multi\nline",***',
    ]
    return newline.join(lines) + newline


# ---- file names --------------------------------------------------------------------------------------------


def test_response_name_parts() -> None:
    name = parse_response_name("yelp__midlands__psych-columbia__reviews__2026-03-09.json")
    assert (name.prefix, name.site_id, name.kind, name.fetch_date) == (
        "yelp",
        YELP_ID,
        "reviews",
        date(2026, 3, 9),
    )
    # ids that start or end with "_" keep them
    assert parse_response_name("yelp___abc___details__2026-03-09.json").site_id == "_abc_"
    gbp = parse_response_name(f"google_business_profile__{GBP_LOCATION}__reviews__2026-03-09.json")
    assert (gbp.prefix, gbp.site_id) == ("google_business_profile", GBP_LOCATION)


def test_yelp_id_with_double_underscore_maps_to_its_location(tmp_path: Path) -> None:
    batches = read(tmp_path, f"yelp__{YELP_ID}__details__2026-03-09.json", yelp_details())
    [snap] = rows(batches, "review_snapshots")
    assert snap["location_id"] == "COL"
    assert snap["site"] == "yelp" and snap["origin"] == "yelp"
    assert snap["reported_rating"] == 4.5 and snap["reported_review_count"] == 42
    assert snap["snapshot_date"] == date(2026, 3, 9)
    assert snap["_row_number"] == 0
    assert rows(batches, "reviews") == []


# ---- Yelp ----------------------------------------------------------------------------------------------------


def test_yelp_reviews_times_are_los_angeles_wall_clock_across_dst(tmp_path: Path) -> None:
    batches = read(tmp_path, f"yelp__{YELP_ID}__reviews__2026-03-09.json", yelp_reviews())
    assert rows(batches, "review_snapshots") == []  # `total` makes no snapshot
    got = rows(batches, "reviews")
    assert [r["review_id"] for r in got] == [
        "xAG4O7l-t1ubbwVAlPnDKg",
        "rAG4O7l-t1ubbwVAlPnDKh",
        "zAG4O7l-t1ubbwVAlPnDKi",
    ]
    assert got[0]["published_at"] == datetime(2026, 3, 8, 9, 30, tzinfo=UTC)
    assert got[1]["published_at"] == datetime(2026, 3, 8, 10, 30, tzinfo=UTC)
    assert got[2]["published_at"] == datetime(2026, 7, 1, 19, 0, tzinfo=UTC)
    assert [r["rating"] for r in got] == [5, 4, 2]
    assert all(r["site"] == "yelp" and r["origin"] == "yelp" and r["location_id"] == "COL" for r in got)
    # version time: the fetch date (practice-local midnight), so a later fetch wins
    assert {r["updated_at"] for r in got} == {datetime(2026, 3, 9, 4, 0, tzinfo=UTC)}
    assert [r["_row_number"] for r in got] == [1, 2, 3]
    assert got[0]["_file"] == f"yelp__{YELP_ID}__reviews__2026-03-09.json"
    assert got[0]["_file_sha256"] == "ab" * 32 and got[0]["_file_seq"] == 7 and got[0]["_ingested_at"] == INGESTED


def test_batches_have_exactly_the_schema_columns(tmp_path: Path) -> None:
    batches = read(tmp_path, f"yelp__{YELP_ID}__reviews__2026-03-09.json", yelp_reviews())
    batches += read(tmp_path, f"yelp__{YELP_ID}__details__2026-03-09.json", yelp_details())
    for batch in batches:
        assert batch.data.schema == staged_schema(batch.table)
        assert batch.data.schema.names[:len(LAKE[batch.table])] == LAKE[batch.table].names


@pytest.mark.parametrize("rating", [4.5, 7, 0, "five", None])
def test_a_rating_that_is_not_a_whole_number_1_to_5_is_null_with_its_raw_text(tmp_path: Path, rating: Any) -> None:
    body = {"reviews": [yelp_review("r1", rating, "2026-03-01 10:00:00")], "total": 1}
    [row] = rows(read(tmp_path, f"yelp__{YELP_ID}__reviews__2026-03-09.json", body), "reviews")
    assert row["rating"] is None
    assert row["rating_raw"] == (
        None if rating is None else str(rating) if isinstance(rating, str) else json.dumps(rating)
    )
    assert row["review_id"] == "r1"  # the row is kept: validation sets it aside


def test_whole_number_ratings_are_kept(tmp_path: Path) -> None:
    body = {"reviews": [yelp_review("r1", 4.0, "2026-03-01 10:00:00"), yelp_review("r2", "3", "2026-03-01 10:00:00")]}
    got = rows(read(tmp_path, f"yelp__{YELP_ID}__reviews__2026-03-09.json", body), "reviews")
    assert [(r["rating"], r["rating_raw"]) for r in got] == [(4, "4.0"), (3, "3")]


def test_missing_values_become_null_and_the_row_goes_on(tmp_path: Path) -> None:
    body = {"reviews": [{"rating": 5, "time_created": "not a time", "user": {"name": REVIEWER}}]}
    [row] = rows(read(tmp_path, f"yelp__{YELP_ID}__reviews__2026-03-09.json", body), "reviews")
    assert row["review_id"] is None and row["published_at"] is None and row["rating"] == 5


# ---- Google Places -------------------------------------------------------------------------------------------


def test_places_new_publish_time_with_nine_digits_is_truncated_to_microseconds(tmp_path: Path) -> None:
    batches = read(tmp_path, f"google__{PLACE_ID}__details__2026-01-20.json", places_new())
    got = rows(batches, "reviews")
    assert [r["review_id"] for r in got] == ["ChZDSUhNMG9nS0VJQ0FnSUQ3LTZYb0lBEAE", "ChdDSUhNMG9nS0VJQ0FnSUR3c2Q"]
    assert got[0]["published_at"] == datetime(2026, 1, 14, 15, 42, 7, 123456, tzinfo=UTC)
    assert got[1]["published_at"] == datetime(2026, 1, 15, 8, 0, tzinfo=UTC)
    assert all(r["site"] == "google" and r["origin"] == "google_places_new" and r["location_id"] == "COL" for r in got)
    [snap] = rows(batches, "review_snapshots")
    assert (snap["site"], snap["origin"], snap["reported_rating"], snap["reported_review_count"]) == (
        "google",
        "google_places_new",
        4.7,
        212,
    )
    assert snap["snapshot_date"] == date(2026, 1, 20)


def test_rfc3339_parsing() -> None:
    assert parse_rfc3339("2026-01-14T15:42:07.123456789Z") == datetime(2026, 1, 14, 15, 42, 7, 123456, tzinfo=UTC)
    assert parse_rfc3339("2026-01-14T10:42:07.1-05:00") == datetime(2026, 1, 14, 15, 42, 7, 100000, tzinfo=UTC)
    assert parse_rfc3339("2026-01-14T15:42:07Z") == datetime(2026, 1, 14, 15, 42, 7, tzinfo=UTC)
    assert parse_rfc3339("2026-02-30T15:42:07Z") is None
    assert parse_rfc3339("yesterday") is None
    assert parse_rfc3339(None) is None


def test_places_legacy_ids_are_derived_and_stable(tmp_path: Path) -> None:
    first = read(tmp_path, f"google__{PLACE_ID}__details__2026-01-20.json", places_legacy())
    second = read(tmp_path, f"google__{PLACE_ID}__details__2026-01-21.json", places_legacy())
    ids = [r["review_id"] for r in rows(first, "reviews")]
    assert ids == [r["review_id"] for r in rows(second, "reviews")]
    assert len(set(ids)) == 2
    url = "https://www.google.com/maps/contrib/105700000000000000001/reviews"
    expected = "legacy-" + hashlib.sha256(f"{PLACE_ID}|{url}|1767225600".encode()).hexdigest()[:24]
    assert ids[0] == expected
    got = rows(first, "reviews")
    assert got[0]["published_at"] == datetime(2026, 1, 1, tzinfo=UTC)
    assert [r["rating"] for r in got] == [5, 3]
    assert all(r["origin"] == "google_places" and r["site"] == "google" for r in got)
    [snap] = rows(first, "review_snapshots")
    assert (snap["reported_rating"], snap["reported_review_count"], snap["origin"]) == (4.6, 128, "google_places")
    # without author_url the id is still derived, from the place and the time
    body = places_legacy()
    del body["result"]["reviews"][0]["author_url"]
    [a, _] = rows(read(tmp_path, f"google__{PLACE_ID}__reviews__2026-01-20.json", body), "reviews")
    assert a["review_id"] == "legacy-" + hashlib.sha256(f"{PLACE_ID}||1767225600".encode()).hexdigest()[:24]


def test_places_api_error_response_is_rejected(tmp_path: Path) -> None:
    name = f"google__{PLACE_ID}__details__2026-01-20.json"
    body = {"html_attributions": [], "status": "REQUEST_DENIED", "error_message": "The provided API key is invalid."}
    with pytest.raises(FileRejected, match=f"{name}.*REQUEST_DENIED"):
        read(tmp_path, name, body)
    with pytest.raises(FileRejected, match=f"{name}.*NOT_FOUND"):
        read(tmp_path, name, {"error": {"code": 404, "message": "Not found", "status": "NOT_FOUND"}})


# ---- Business Profile ---------------------------------------------------------------------------------------------


def test_business_profile_star_ratings_ids_and_version_times(tmp_path: Path) -> None:
    batches = read(tmp_path, f"google_business_profile__{GBP_LOCATION}__reviews__2026-02-02.json", gbp_reviews())
    got = rows(batches, "reviews")
    assert [r["review_id"] for r in got] == ["AIe9_BGxR1", "AIe9_BGxR2", "AIe9_BGxR3"]
    assert [(r["rating"], r["rating_raw"]) for r in got] == [
        (4, "FOUR"),
        (None, "STAR_RATING_UNSPECIFIED"),
        (5, "five"),
    ]
    assert got[0]["published_at"] == datetime(2026, 1, 10, 14, 3, 22, 871000, tzinfo=UTC)
    assert got[0]["updated_at"] == datetime(2026, 2, 1, 9, 0, 0, 123456, tzinfo=UTC)
    assert got[2]["updated_at"] == datetime(2026, 1, 13, 10, 0, tzinfo=UTC)  # no updateTime: createTime
    assert [r["text"] for r in got] == ["Dr. Okafor listened.", "Fine.", None]
    assert all(
        r["site"] == "google" and r["origin"] == "google_business_profile" and r["location_id"] == "GRN" for r in got
    )
    [snap] = rows(batches, "review_snapshots")
    assert (snap["site"], snap["location_id"], snap["origin"]) == ("google", "GRN", "google_business_profile")
    assert (snap["reported_rating"], snap["reported_review_count"]) == (4.4, 88)
    assert snap["snapshot_date"] == date(2026, 2, 2)


def test_business_profile_page_without_summary_makes_no_snapshot(tmp_path: Path) -> None:
    body = gbp_reviews()
    del body["averageRating"], body["totalReviewCount"]
    batches = read(tmp_path, f"google_business_profile__{GBP_LOCATION}__reviews__2026-02-02.json", body)
    assert rows(batches, "review_snapshots") == [] and len(rows(batches, "reviews")) == 3



def test_a_complete_business_profile_list_says_so_and_a_page_does_not(tmp_path: Path) -> None:
    name = f"google_business_profile__{GBP_LOCATION}__reviews__2026-02-02.json"
    page = read(tmp_path, name, gbp_reviews())  # has a nextPageToken: one page of several
    assert [s["is_complete_list"] for s in rows(page, "review_snapshots")] == [False]
    body = gbp_reviews()
    del body["nextPageToken"]
    complete = read(tmp_path, name, body)
    assert [s["is_complete_list"] for s in rows(complete, "review_snapshots")] == [True]
    assert {r["seen_date"] for r in rows(complete, "reviews")} == {date(2026, 2, 2)}  # the fetch date


def test_an_empty_complete_business_profile_list_is_a_snapshot_of_zero(tmp_path: Path) -> None:
    # proto3 JSON leaves out zero values: a location with no review answers {}
    batches = read(tmp_path, f"google_business_profile__{GBP_LOCATION}__reviews__2026-02-03.json", {})
    [snap] = rows(batches, "review_snapshots")
    assert (snap["reported_rating"], snap["reported_review_count"], snap["is_complete_list"]) == (None, 0, True)
    assert rows(batches, "reviews") == []


def test_seen_date_is_the_fetch_date_of_a_response_and_empty_for_a_csv(tmp_path: Path) -> None:
    yelp = rows(read(tmp_path, f"yelp__{YELP_ID}__reviews__2026-03-09.json", yelp_reviews()), "reviews")
    assert {r["seen_date"] for r in yelp} == {date(2026, 3, 9)}
    csv_rows = rows(read(tmp_path, "healthgrades_2026-02.csv", review_csv()), "reviews")
    assert {r["seen_date"] for r in csv_rows} == {None}
    details = rows(read(tmp_path, f"yelp__{YELP_ID}__details__2026-03-09.json", yelp_details()), "review_snapshots")
    assert [s["is_complete_list"] for s in details] == [False]  # Yelp lists 3 excerpts at most

# ---- review text and reviewer names ------------------------------------------------------------------------------


def all_inputs(tmp_path: Path, keep_text: bool) -> dict[str, list[Batch]]:
    return {
        "yelp": read(tmp_path, f"yelp__{YELP_ID}__reviews__2026-03-09.json", yelp_reviews(), keep_text=keep_text),
        "legacy": read(tmp_path, f"google__{PLACE_ID}__details__2026-01-20.json", places_legacy(), keep_text=keep_text),
        "new": read(tmp_path, f"google__{PLACE_ID}__reviews__2026-01-20.json", places_new(), keep_text=keep_text),
        "gbp": read(
            tmp_path,
            f"google_business_profile__{GBP_LOCATION}__reviews__2026-02-02.json",
            gbp_reviews(),
            keep_text=keep_text,
        ),
        "csv": read(tmp_path, "healthgrades_2026-02.csv", review_csv(), keep_text=keep_text),
    }


def test_text_from_yelp_and_places_is_kept_only_when_allowed(tmp_path: Path) -> None:
    dropped = all_inputs(tmp_path, keep_text=False)
    for source in ("yelp", "legacy", "new"):
        got = rows(dropped[source], "reviews")
        assert got and all(r["text"] is None for r in got), source
        # the quarantine's raw values must not keep it either
        assert all("text" not in json.loads(r[RAW_VALUES]) for r in got), source
    assert rows(dropped["gbp"], "reviews")[0]["text"] == "Dr. Okafor listened."
    assert rows(dropped["csv"], "reviews")[0]["text"] == "Great, caring staff"

    kept = all_inputs(tmp_path, keep_text=True)
    assert rows(kept["yelp"], "reviews")[0]["text"] == "Kind staff, short wait."
    assert rows(kept["legacy"], "reviews")[0]["text"] == "The infusion team explained everything."
    assert rows(kept["new"], "reviews")[0]["text"] == "Felt better after the second infusion."


@pytest.mark.parametrize("keep_text", [False, True])
def test_reviewer_names_appear_nowhere(tmp_path: Path, keep_text: bool) -> None:
    outputs = all_inputs(tmp_path, keep_text)
    seen = 0
    for batches in outputs.values():
        for batch in batches:
            for row in batch.data.to_pylist():
                seen += 1
                for value in row.values():
                    assert "Zebulon" not in str(value) and "Quigley" not in str(value), row
    assert seen > 10
    # identity fields are marked as removed, not silently dropped
    yelp_raw = json.loads(rows(outputs["yelp"], "reviews")[0][RAW_VALUES])
    assert yelp_raw["user"] == "[removed]" and yelp_raw["id"] == "xAG4O7l-t1ubbwVAlPnDKg"
    new_raw = json.loads(rows(outputs["new"], "reviews")[0][RAW_VALUES])
    assert new_raw["authorAttribution"] == "[removed]"
    legacy_raw = json.loads(rows(outputs["legacy"], "reviews")[0][RAW_VALUES])
    assert legacy_raw["author_name"] == legacy_raw["author_url"] == legacy_raw["profile_photo_url"] == "[removed]"
    gbp_raw = json.loads(rows(outputs["gbp"], "reviews")[0][RAW_VALUES])
    assert gbp_raw["reviewer"] == gbp_raw["reviewReply"] == "[removed]" and gbp_raw["starRating"] == "FOUR"
    csv_raw = json.loads(rows(outputs["csv"], "reviews")[0][RAW_VALUES])
    # a review CSV's raw values hold the contract's columns only: a column the reader ignores never appears
    assert "reviewer name" not in csv_raw and "stars_shown" not in csv_raw and csv_raw["rating"] == "5"


def test_kept_review_text_is_marked_removed_in_the_raw_values(tmp_path: Path) -> None:
    """Free text never reaches the quarantine as typed: Places (New)'s `originalText` (no column of the
    contract, so the quarantine would only mask it) as much as `text` and the Business Profile's `comment`."""
    named = "Eustacia Vanderbeek cried all session"
    body = places_new()
    body["reviews"][0]["text"]["text"] = body["reviews"][0]["originalText"]["text"] = named
    new = rows(read(tmp_path, f"google__{PLACE_ID}__reviews__2026-01-20.json", body, keep_text=True), "reviews")
    assert new[0]["text"] == named  # kept, as keep_review_text allows (contact details masked)
    raw = json.loads(new[0][RAW_VALUES])
    assert raw["text"] == raw["originalText"] == "[removed]" and "Vanderbeek" not in new[0][RAW_VALUES]
    gbp = rows(read(tmp_path, f"google_business_profile__{GBP_LOCATION}__reviews__2026-02-02.json", gbp_reviews()),
               "reviews")
    assert json.loads(gbp[0][RAW_VALUES])["comment"] == "[removed]" and gbp[0]["text"] == "Dr. Okafor listened."


# ---- generic review CSV ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("newline", ["\r\n", "\n"])
def test_review_csv(tmp_path: Path, newline: str) -> None:
    got = rows(read(tmp_path, "healthgrades_2026-02.csv", review_csv(newline)), "reviews")
    assert [r["_row_number"] for r in got] == [2, 3, 5, 6]  # the blank line 4 is no review
    assert [r["site"] for r in got] == ["healthgrades", "zocdoc", "zocdoc", "zocdoc"]
    assert [r["review_id"] for r in got] == ["HG-1", "ZD-2", "ZD-3", None]
    assert [r["location_id"] for r in got] == ["COL", "GRN", "COL", "COL"]
    assert [(r["rating"], r["rating_raw"]) for r in got] == [(5, "5"), (None, "4.5"), (None, "7"), (3, "3")]
    # naive = practice-local (America/New_York), offsets kept, a date alone = local midnight
    assert got[0]["published_at"] == datetime(2026, 2, 3, 19, 0, tzinfo=UTC)
    assert got[1]["published_at"] == datetime(2026, 2, 4, 9, 0, tzinfo=UTC)
    assert got[2]["published_at"] == datetime(2026, 2, 5, 5, 0, tzinfo=UTC)
    assert [r["text"] for r in got] == ["Great, caring staff", "ok", None, "multi\nline"]
    assert all(r["origin"] == "csv" and r["updated_at"] == INGESTED for r in got)


def test_review_csv_streams_in_batches(tmp_path: Path) -> None:
    lines = ["site,review_id,location_id,rating,published_at"] + [
        f"zocdoc,Z-{i},COL,{1 + i % 5},2026-01-{1 + i % 28:02d}" for i in range(7)
    ]
    batches = read(tmp_path, "zocdoc.csv", "\n".join(lines) + "\n", batch_rows=3)
    assert [b.data.num_rows for b in batches] == [3, 3, 1]
    assert rows(batches, "reviews")[-1]["_row_number"] == 8


# ---- whole files that cannot be used --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("yelp__unknown-biz__details__2026-03-09.json", r"\[review_sites\.yelp\].*'unknown-biz'"),
        ("google__ChIJnotOurs__details__2026-03-09.json", r"\[review_sites\.google\].*'ChIJnotOurs'"),
        ("google_business_profile__999__reviews__2026-03-09.json", r"\[review_sites\.google_business_profile\]"),
        ("yelp_midlands_details_2026-03-09.json", "name is not"),
        (f"yelp__{YELP_ID}__2026-03-09.json", "kind .psych-columbia."),
        ("yelp__details__2026-03-09.json", "name is not"),
        (f"yelp__{YELP_ID}__summary__2026-03-09.json", "kind 'summary'"),
        (f"yelp__{YELP_ID}__details__2026-13-09.json", "fetch date '2026-13-09'"),
        (f"yelp__{YELP_ID}__details__20260309.json", "fetch date"),
        (f"tripadvisor__{YELP_ID}__details__2026-03-09.json", "unknown review site prefix 'tripadvisor'"),
        ("reviews.xlsx", "unknown format"),
        ("reviews", "unknown format"),
    ],
)
def test_unusable_names_are_rejected_naming_the_file(tmp_path: Path, name: str, problem: str) -> None:
    with pytest.raises(FileRejected) as caught:
        read(tmp_path, name, yelp_details())
    assert name in str(caught.value)
    assert re.search(problem, str(caught.value)), str(caught.value)


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        (f"yelp__{YELP_ID}__details__2026-03-09.json", '{"id": "x", "rating": 4.5,', "not valid JSON"),
        (f"yelp__{YELP_ID}__details__2026-03-09.json", "[1, 2]", "JSON object"),
        (f"yelp__{YELP_ID}__details__2026-03-09.json", b'{"name": "Caf\xe9"}', "not UTF-8"),
        (
            f"yelp__{YELP_ID}__reviews__2026-03-09.json",
            {"error": {"code": "VALIDATION_ERROR", "description": "too many"}},
            "API error",
        ),
        ("zocdoc.csv", "site,review_id,rating,published_at\nzocdoc,1,5,2026-01-01\n", "location_id"),
        (
            "zocdoc.csv",
            "site,review_id,location_id,rating,published_at\nzocdoc,1,COL,5,caf\xe9\n".encode("latin-1"),
            "not UTF-8",
        ),
        ("zocdoc.csv", "", "empty"),
    ],
)
def test_unreadable_files_are_rejected_naming_the_file(tmp_path: Path, name: str, content: Any, problem: str) -> None:
    path = write(tmp_path, name, content)
    with pytest.raises(FileRejected) as caught:
        list(read_reviews(path, make_ctx(tmp_path, name)))
    assert name in str(caught.value) and problem in str(caught.value), str(caught.value)


def test_two_locations_with_one_site_id_are_ambiguous(tmp_path: Path) -> None:
    config = parse_config(
        {
            "practice": {"name": "P", "timezone": "America/New_York"},
            "locations": [{"id": "A", "name": "A"}, {"id": "B", "name": "B"}],
            "review_sites": {"yelp": {"A": "same-biz", "B": "same-biz"}},
        }
    )
    name = "yelp__same-biz__details__2026-03-09.json"
    ctx = ReadContext(config, "reviews", name, "cd" * 32, 1, INGESTED)
    with pytest.raises(FileRejected, match="several locations.*A, B"):
        list(read_reviews(write(tmp_path, name, yelp_details()), ctx))
