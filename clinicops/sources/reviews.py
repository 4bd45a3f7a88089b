"""Review-site ratings: saved API responses (Yelp Fusion, Google Places legacy and New, Business Profile)
and the generic review CSV -> `reviews` and `review_snapshots` batches.

File names of saved responses: `<prefix>__<id>__<details|reviews>__<YYYY-MM-DD>.json`. The prefix is the
text before the first `__`; the kind and the fetch date are the last two `__` fields; the id is everything
between (Yelp ids may contain `__`, and may start or end with `_`). The id is mapped back to a location
through `[review_sites.<site>]` of the configuration.

Decisions where `sources.md` is silent (documented here, tested in `tests/sources/test_reviews.py`):
- `_row_number`: the 1-based position of a review in the response's reviews array; a snapshot (the
  details / list summary) is row 0. CSV: the spreadsheet row (header = 1, first data row = 2); blank lines
  count as rows but make no review.
- `updated_at` (the version time) of Yelp and Places reviews is the fetch date's practice-local midnight
  as a UTC instant, so a later fetch wins; Business Profile: `updateTime`, else `createTime`, else that
  fetch-date instant; CSV: the file's `_ingested_at`.
- `rating_raw` always holds the source's rating as text (a JSON number as JSON text, `FOUR` as the word);
  `rating` is that value when it is a whole number 1-5 (`4.0` counts), else NULL.
- Legacy Places reviews carry no id: `legacy-` + the first 24 hex digits of sha256(`place|author_url|time`),
  with the place id of the file name (the configured one) and `time` as whole Unix seconds. Without a
  `time` there is nothing stable to derive from, and review_id is NULL.
- RFC 3339 times (Places New, Business Profile): fractional seconds are truncated to microseconds; a
  time without an offset is read as UTC (Google writes UTC).
- A Google response (either kind) makes a snapshot when it reports `rating`/`userRatingCount`
  (legacy: `result.rating`/`result.user_ratings_total`); a Business Profile list when it reports
  `averageRating`/`totalReviewCount`; a Yelp `details` response always does; a Yelp `reviews` response never.
- An API error body (`{"error": ...}`, a legacy Places `status` other than OK / ZERO_RESULTS) is rejected
  as a whole file.
- Two locations configured with the same site id: the file is rejected (which location it is, is unknown).
- The Business Profile's number L may be configured as `L`, `locations/L` or `accounts/A/locations/L`.
- Privacy: `_raw_values` never holds reviewer identity (user, author_*, profile photos, authorAttribution,
  reviewer, displayName... at any depth, and the owner's `reviewReply`, which often greets the reviewer
  by name): such values are replaced by a marker. Yelp / Places review text is left out of
  `_raw_values` too unless `keep_review_text` is set, and kept text (`text`, Places (New)'s `originalText`,
  the Business Profile's `comment`) is only marked as there: it is free text, kept masked in `text`. CSV
  columns that look like a person's name (reviewer, author, user, name...) are blanked the same way.
- `seen_date` of a review from a saved response is the fetch date of its file name (the day the site
  listed it); CSV reviews have none (the build falls back to the local date the file was ingested).
- A Business Profile list with no `nextPageToken` lists every review of the location
  (`is_complete_list` on its snapshot; the live pull saves all pages of a day as one such file): a review
  it no longer lists was removed. It makes a snapshot even when it reports no count and no review (proto3
  JSON leaves out zero values: that is a count of 0). A page with a `nextPageToken`, and every Yelp and
  Places response (at most 3 / 5 excerpts), never shows a removal.
- "Business Profile wins over Places for a location that has both" is not applied here: the reader keeps
  every row it reads (origin tells them apart), and the build decides what to use.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc

from clinicops.masking import mask, mask_column
from clinicops.sources import columns
from clinicops.sources.checks import ReadChecks, batch_table, lineage_columns
from clinicops.sources.columns import TS
from clinicops.sources.common import (
    BLANK,
    RAW_VALUES,
    Batch,
    FileRejected,
    ReadContext,
    batches,
    clean_text,
    local_to_utc,
    make_batch,
    parse_float,
    parse_instant,
    parse_int,
    raw_json,
)
from clinicops.sources.delimited import read_delimited

YELP_ZONE = ZoneInfo("America/Los_Angeles")
PREFIXES = ("yelp", "google", "google_business_profile")
KINDS = ("details", "reviews")
CSV_REQUIRED = ("site", "review_id", "location_id", "rating", "published_at")
CSV_COLUMNS = (*CSV_REQUIRED, "text")
STAR_RATINGS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}
# keys (compared case-insensitively, at any depth of a response) whose values identify a reviewer
IDENTITY_KEYS = frozenset(
    k.lower()
    for k in (
        "user",
        "author_name",
        "author_url",
        "authorAttribution",
        "authorAttributions",
        "profile_photo_url",
        "profilePhotoUrl",
        "profile_url",
        "reviewer",
        "displayName",
        "reviewReply",
    )
)
# keys of a response's review whose values are its free text (the text, Places (New)'s `originalText`, the Business
# Profile's `comment`): kept text goes to the `text` column masked, and the raw values only say it was there
REVIEW_TEXT_KEYS = ("text", "originalText", "comment")
_CSV_PERSON = re.compile(r"reviewer|author|user|display_?name|profile|patient|^(first_|last_|full_)?name$", re.I)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RFC3339 = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}:?\d{2})?$")
_SITE_WORD = {
    "yelp": "business id",
    "google": "place id",
    "google_business_profile": "location number",
}


@dataclass(frozen=True)
class ResponseName:
    """The parts of a saved response's file name."""

    prefix: str
    site_id: str
    kind: str
    fetch_date: date


def read_reviews(path: Path, ctx: ReadContext) -> Iterator[Batch]:
    """Read one review file (a saved site response or a review CSV) into `reviews` / `review_snapshots`
    batches. Raises `FileRejected` (naming the file) when the file cannot be used at all."""
    name = ctx.file_name
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix == "json":
        yield from _read_response(path, ctx)
    elif suffix == "csv":
        yield from _read_csv(path, ctx)
    else:
        raise FileRejected(
            f"{name}: unknown format (review files are saved site responses *.json or review CSVs *.csv)"
        )


# ---------------------------------------------------------------------------------------------------------
# file names and locations


def parse_response_name(file_name: str) -> ResponseName:
    """`<prefix>__<id>__<details|reviews>__<YYYY-MM-DD>.json` -> its parts, or FileRejected."""
    pattern = "<prefix>__<id>__<details|reviews>__<YYYY-MM-DD>.json"
    stem = file_name[: -len(".json")] if file_name.lower().endswith(".json") else file_name
    prefix, sep, rest = stem.partition("__")
    parts = rest.rsplit("__", 2)
    if not sep or len(parts) != 3 or not parts[0]:
        raise FileRejected(f"{file_name}: the name is not {pattern}")
    site_id, kind, fetched = parts
    if prefix not in PREFIXES:
        raise FileRejected(f"{file_name}: unknown review site prefix {prefix!r} (known: {', '.join(PREFIXES)})")
    if kind not in KINDS:
        raise FileRejected(f"{file_name}: unknown response kind {kind!r} (known: {', '.join(KINDS)})")
    fetch_date: date | None = None
    if _DATE.match(fetched):
        try:
            fetch_date = date.fromisoformat(fetched)
        except ValueError:
            fetch_date = None
    if fetch_date is None:
        raise FileRejected(f"{file_name}: fetch date {fetched!r} is not a date (YYYY-MM-DD)")
    return ResponseName(prefix, site_id, kind, fetch_date)


def _site_key(prefix: str, configured: str) -> str:
    """The form of a configured id that a file name carries (a Business Profile name -> its number L)."""
    value = configured.strip()
    if prefix == "google_business_profile":
        return value.rstrip("/").rsplit("/", 1)[-1]
    return value


def location_of(ctx: ReadContext, name: ResponseName) -> str:
    """The configured location whose [review_sites.<prefix>] id is the file name's id, or FileRejected."""
    site = ctx.config.review_sites.get(name.prefix)
    word = _SITE_WORD[name.prefix]
    configured = site.locations.items() if site else ()
    matches = sorted(loc for loc, value in configured if _site_key(name.prefix, value) == name.site_id)
    if not matches:
        raise FileRejected(
            f"{ctx.file_name}: no location in clinicops.toml [review_sites.{name.prefix}] has {word} {name.site_id!r}"
        )
    if len(matches) > 1:
        raise FileRejected(
            f"{ctx.file_name}: several locations in clinicops.toml [review_sites.{name.prefix}] have {word} "
            f"{name.site_id!r} ({', '.join(matches)}); which one this file is about is unknown"
        )
    return matches[0]


# ---------------------------------------------------------------------------------------------------------
# value helpers


def rating_of(value: Any) -> tuple[int | None, str | None]:
    """(rating, rating_raw): the rating when a whole number 1-5, and the raw value as text."""
    if value is None:
        return None, None
    raw = value if isinstance(value, str) else json.dumps(value)
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None, raw
    number = parse_int(value)
    return (number if number is not None and 1 <= number <= 5 else None), raw


def star_rating_of(value: Any) -> tuple[int | None, str | None]:
    """Business Profile `starRating` (ONE..FIVE) -> (1..5 or NULL, the word)."""
    if value is None:
        return None, None
    raw = value if isinstance(value, str) else json.dumps(value)
    return (STAR_RATINGS.get(value.strip().upper()) if isinstance(value, str) else None), raw


def parse_rfc3339(text: Any) -> datetime | None:
    """RFC 3339 text with up to nine (or more) fractional digits -> a UTC instant truncated to microseconds.
    No offset = UTC. Anything else -> None."""
    if not isinstance(text, str):
        return None
    m = _RFC3339.match(text.strip())
    if not m:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    fraction, offset = m.group(7), m.group(8)
    micro = int((fraction or "")[:6].ljust(6, "0"))
    tz = UTC
    if offset and offset not in ("Z", "z"):
        sign = 1 if offset[0] == "+" else -1
        digits = offset[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 23 or minutes > 59:
            return None
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=tz).astimezone(UTC)
    except ValueError:
        return None


def unix_seconds(value: Any) -> datetime | None:
    """Whole Unix seconds (int or numeric text) -> a UTC instant."""
    seconds = parse_int(value)
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def yelp_time(value: Any) -> datetime | None:
    """Yelp `time_created`: wall-clock time in Los Angeles ('2026-03-08 01:30:00'), DST-aware -> UTC."""
    if not isinstance(value, str):
        return None
    instant, _ = parse_instant(value, YELP_ZONE)
    return instant


def legacy_review_id(place_id: str, author_url: Any, seconds: Any) -> str | None:
    """A stable id for a legacy Places review: from the place id, `author_url` (or empty) and `time`."""
    whole = parse_int(seconds)
    if whole is None:
        return None
    url = author_url if isinstance(author_url, str) else ""
    digest = hashlib.sha256(f"{place_id}|{url}|{whole}".encode()).hexdigest()
    return "legacy-" + digest[:24]


def _id(value: Any) -> str | None:
    """An id as text (a JSON string or whole number); anything else None."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    return clean_text(value)


def last_segment(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return clean_text(value.strip().rstrip("/").rsplit("/", 1)[-1])


def scrub(value: Any, keys: frozenset[str] = IDENTITY_KEYS) -> Any:
    """A copy of a JSON value with every identity key's value (at any depth) replaced by the marker."""
    if isinstance(value, dict):
        return {
            k: (BLANK if str(k).lower() in keys and value[k] not in (None, "") else scrub(value[k], keys))
            for k in value
        }
    if isinstance(value, list):
        return [scrub(v, keys) for v in value]
    return value


def _text_of(value: Any) -> str | None:
    """Review text: a string, or Places (New) `{text, languageCode}`."""
    if isinstance(value, dict):
        value = value.get("text")
    if not isinstance(value, str) or not value.strip():
        return None
    return value


def _load_json(path: Path, file_name: str) -> dict:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise FileRejected(f"{file_name}: not UTF-8 text (byte {e.start})") from None
    try:
        body = json.loads(text)
    except json.JSONDecodeError as e:
        raise FileRejected(f"{file_name}: not valid JSON ({e.msg} at line {e.lineno}, column {e.colno})") from None
    if not isinstance(body, dict):
        raise FileRejected(f"{file_name}: not a site response (a JSON object was expected)")
    error = body.get("error")
    if error:
        detail, code = error, None
        if isinstance(error, dict):
            detail = error.get("description") or error.get("message") or json.dumps(error)
            code = error.get("status") or error.get("code")
        prefix = f"{code}: " if code else ""
        raise FileRejected(f"{file_name}: the saved response is an API error ({prefix}{detail})")
    return body


@dataclass(frozen=True)
class _Response:
    """What every row of one saved response shares."""

    ctx: ReadContext
    name: ResponseName
    location_id: str

    @property
    def fetched_at(self) -> datetime:
        """The fetch date's practice-local midnight as a UTC instant: the version time of a fetched review."""
        return local_to_utc(datetime.combine(self.name.fetch_date, time()), self.ctx.zone)

    def review(
        self,
        row_number: int,
        *,
        site: str,
        origin: str,
        review_id: str | None,
        rating: tuple[int | None, str | None],
        published_at: datetime | None,
        text: str | None,
        updated_at: datetime | None,
        raw: dict,
    ) -> dict:
        return {
            "site": site,
            "review_id": review_id,
            "location_id": self.location_id,
            "rating": rating[0],
            "rating_raw": rating[1],
            "published_at": published_at,
            "text": mask(text) if text else text,  # kept review text: e-mails, phones, numbers masked
            "updated_at": updated_at,
            "origin": origin,
            "seen_date": self.name.fetch_date,
            **self.ctx.lineage(row_number),
            "_raw_values": raw_json(scrub(raw), REVIEW_TEXT_KEYS),  # free text: shown as removed, never as typed
        }

    def snapshot(self, *, site: str, origin: str, rating: Any, count: Any, raw: dict,
                 is_complete_list: bool = False) -> dict:
        return {
            "site": site,
            "location_id": self.location_id,
            "snapshot_date": self.name.fetch_date,
            "reported_rating": parse_float(rating),
            "reported_review_count": parse_int(count),
            "origin": origin,
            "is_complete_list": is_complete_list,
            **self.ctx.lineage(0),
            "_raw_values": raw_json(scrub({**raw, "fetch_date": self.name.fetch_date.isoformat()})),
        }


def _reviews_list(container: dict, file_name: str) -> list:
    items = container.get("reviews")
    if items is None:
        return []
    if not isinstance(items, list):
        raise FileRejected(f"{file_name}: 'reviews' is not a list")
    return items


def _read_response(path: Path, ctx: ReadContext) -> Iterator[Batch]:
    name = parse_response_name(ctx.file_name)
    location = location_of(ctx, name)
    body = _load_json(path, ctx.file_name)
    response = _Response(ctx, name, location)
    if name.prefix == "yelp":
        snapshots, reviews = _yelp(response, body)
    elif name.prefix == "google":
        snapshots, reviews = _places(response, body)
    else:
        snapshots, reviews = _business_profile(response, body)
    if snapshots:
        yield make_batch("review_snapshots", snapshots)
    yield from batches("reviews", reviews, ctx.batch_rows)


def _keep_text(ctx: ReadContext, raw: dict, *keys: str) -> tuple[bool, dict]:
    """Whether Yelp / Places text may be kept; when not, the raw values lose it too."""
    if ctx.config.keep_review_text:
        return True, raw
    return False, {k: v for k, v in raw.items() if k not in keys}


def _yelp(r: _Response, body: dict) -> tuple[list[dict], list[dict]]:
    snapshots: list[dict] = []
    reviews: list[dict] = []
    if r.name.kind == "details":
        raw = {k: body.get(k) for k in ("id", "alias", "rating", "review_count") if k in body}
        snapshots.append(
            r.snapshot(site="yelp", origin="yelp", rating=body.get("rating"), count=body.get("review_count"), raw=raw)
        )
        return snapshots, reviews
    for n, item in enumerate(_reviews_list(body, r.ctx.file_name), start=1):
        review = item if isinstance(item, dict) else {}
        keep, raw = _keep_text(r.ctx, review if isinstance(item, dict) else {"value": item}, "text")
        reviews.append(
            r.review(
                n,
                site="yelp",
                origin="yelp",
                review_id=_id(review.get("id")),
                rating=rating_of(review.get("rating")),
                published_at=yelp_time(review.get("time_created")),
                text=_text_of(review.get("text")) if keep else None,
                updated_at=r.fetched_at,
                raw=raw,
            )
        )
    return snapshots, reviews


def _places(r: _Response, body: dict) -> tuple[list[dict], list[dict]]:
    legacy = "result" in body or "status" in body or "html_attributions" in body
    if legacy:
        status = body.get("status")
        if status not in (None, "OK", "ZERO_RESULTS"):
            message = body.get("error_message")
            raise FileRejected(
                f"{r.ctx.file_name}: the saved Places response is an API error ({status}"
                + (f": {message})" if message else ")")
            )
        result = body.get("result") if isinstance(body.get("result"), dict) else {}
        return _places_legacy(r, result)
    return _places_new(r, body)


def _places_legacy(r: _Response, result: dict) -> tuple[list[dict], list[dict]]:
    snapshots: list[dict] = []
    reviews: list[dict] = []
    if "rating" in result or "user_ratings_total" in result:
        raw = {k: result.get(k) for k in ("place_id", "rating", "user_ratings_total") if k in result}
        snapshots.append(
            r.snapshot(
                site="google",
                origin="google_places",
                rating=result.get("rating"),
                count=result.get("user_ratings_total"),
                raw=raw,
            )
        )
    for n, item in enumerate(_reviews_list(result, r.ctx.file_name), start=1):
        review = item if isinstance(item, dict) else {}
        keep, raw = _keep_text(r.ctx, review if isinstance(item, dict) else {"value": item}, "text")
        reviews.append(
            r.review(
                n,
                site="google",
                origin="google_places",
                review_id=legacy_review_id(r.name.site_id, review.get("author_url"), review.get("time")),
                rating=rating_of(review.get("rating")),
                published_at=unix_seconds(review.get("time")),
                text=_text_of(review.get("text")) if keep else None,
                updated_at=r.fetched_at,
                raw=raw,
            )
        )
    return snapshots, reviews


def _places_new(r: _Response, body: dict) -> tuple[list[dict], list[dict]]:
    snapshots: list[dict] = []
    reviews: list[dict] = []
    if "rating" in body or "userRatingCount" in body:
        raw = {k: body.get(k) for k in ("id", "rating", "userRatingCount") if k in body}
        snapshots.append(
            r.snapshot(
                site="google",
                origin="google_places_new",
                rating=body.get("rating"),
                count=body.get("userRatingCount"),
                raw=raw,
            )
        )
    for n, item in enumerate(_reviews_list(body, r.ctx.file_name), start=1):
        review = item if isinstance(item, dict) else {}
        keep, raw = _keep_text(r.ctx, review if isinstance(item, dict) else {"value": item}, "text", "originalText")
        text = (_text_of(review.get("text")) or _text_of(review.get("originalText"))) if keep else None
        reviews.append(
            r.review(
                n,
                site="google",
                origin="google_places_new",
                review_id=last_segment(review.get("name")),
                rating=rating_of(review.get("rating")),
                published_at=parse_rfc3339(review.get("publishTime")),
                text=text,
                updated_at=r.fetched_at,
                raw=raw,
            )
        )
    return snapshots, reviews


def _business_profile(r: _Response, body: dict) -> tuple[list[dict], list[dict]]:
    snapshots: list[dict] = []
    reviews: list[dict] = []
    items = _reviews_list(body, r.ctx.file_name)
    complete = not body.get("nextPageToken")
    counted = "averageRating" in body or "totalReviewCount" in body
    if counted or (complete and not items):
        raw = {k: body.get(k) for k in ("averageRating", "totalReviewCount") if k in body}
        # proto3 JSON leaves out zero values: a complete list with no count and no review reports 0
        count = body.get("totalReviewCount", None if counted else 0)
        snapshots.append(
            r.snapshot(
                site="google",
                origin="google_business_profile",
                rating=body.get("averageRating"),
                count=count,
                raw=raw,
                is_complete_list=complete,
            )
        )
    for n, item in enumerate(items, start=1):
        review = item if isinstance(item, dict) else {}
        created = parse_rfc3339(review.get("createTime"))
        updated = parse_rfc3339(review.get("updateTime")) or created or r.fetched_at
        reviews.append(
            r.review(
                n,
                site="google",
                origin="google_business_profile",
                review_id=_id(review.get("reviewId")) or last_segment(review.get("name")),
                rating=star_rating_of(review.get("starRating")),
                published_at=created,
                text=_text_of(review.get("comment")),
                updated_at=updated,
                raw=review if isinstance(item, dict) else {"value": item},
            )
        )
    return snapshots, reviews


# ---------------------------------------------------------------------------------------------------------
# generic review CSV


CSV_CODES = ("site", "review_id", "location_id", "rating")


def _read_csv(path: Path, ctx: ReadContext) -> Iterator[Batch]:
    """The generic review CSV, a whole column at a time. Only the contract's columns are read: a reviewer's
    name or contact column beside them is never looked at. Kept text is masked (e-mails, phones, numbers)."""
    for rows in read_delimited(path, ctx.file_name, required=CSV_REQUIRED, known=CSV_COLUMNS, free_text=("text",),
                               batch_rows=ctx.batch_rows):
        n = rows.num_rows
        col = {c: columns.text(rows.column(c)) for c in CSV_COLUMNS}
        checks = ReadChecks(rows)
        for c in CSV_CODES:
            checks.control_characters(c, col[c])
        published = columns.instants(col["published_at"], ctx.zone)
        checks.timestamp_out_of_range("published_at", published.out_of_range)
        raw_text = rows.column("text")
        kept = pc.if_else(pc.is_valid(col["text"]), raw_text, pa.scalar(None, pa.string()))
        data = {
            "site": pc.utf8_lower(col["site"]),
            "review_id": col["review_id"],
            "location_id": col["location_id"],
            "rating": columns.mapped(col["rating"], lambda v: rating_of(v)[0] if v else None, pa.int64()),
            "rating_raw": col["rating"],
            "published_at": published.at,
            "text": mask_column(kept),
            "updated_at": columns.constant(ctx.ingested_at, n, TS),
            "origin": columns.constant("csv", n, pa.string()),
            **lineage_columns(ctx, rows.lines),
            **checks.columns(),
            RAW_VALUES: columns.raw_json({c: rows.columns[c] for c in CSV_COLUMNS if c in rows.columns}, ("text",),
                                         n),
        }
        yield Batch("reviews", batch_table("reviews", data))
