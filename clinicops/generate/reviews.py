"""Review sites: saved Yelp, Google Places (legacy and New) and Business Profile responses, and a review CSV."""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from clinicops.generate.booking import _poisson
from clinicops.generate.config_file import _GBP_ACCOUNT, _GBP_LOCATION, _YELP_ID, _place_id
from clinicops.generate.layout import LOS_ANGELES, PRACTICE_NAME, ZONE, _add_months, _Loc, _Prov

REVIEW_CSV_COLUMNS = ("site", "review_id", "location_id", "rating", "published_at", "text")
REVIEW_CSV_FILE = "reviews_healthgrades.csv"

_REVIEWER_FIRST = ("Jen", "Marcus", "Alicia", "Tom", "Brittany", "Kevin", "Shanice", "Greg", "Laura", "Devon",
                   "Megan", "Carlos", "Tasha", "Brandon", "Heather", "Omar", "Whitney", "Ray", "Courtney", "Eli")
_REVIEWER_LAST = ("K.", "B.", "Moreno", "Whitley", "Fraser", "P.", "Odom", "Lyles", "Chen", "Sato", "R.", "Barnes",
                  "Dukes", "Hampton", "V.", "Oakley", "Gibbs", "T.", "Summers", "Lowery")
_TEXT = {
    5: ("After years of trying medications, the infusions at {loc} finally lifted the fog. {staff} and the nurses "
        "explained every step and I felt safe the whole time.",
        "Kind, professional, on time. {staff} actually listened. The infusion room is calm and private.",
        "Spravato sessions here have changed my life. Staff keep you comfortable for the whole two hours.",
        "Best psychiatric practice in {loc}. Easy scheduling, clear billing, caring people.",
        "My teenager finally has a psychiatrist who explains things. Thank you {staff}!"),
    4: ("Good experience overall. Front desk was a little slow returning calls but {staff} is excellent.",
        "Helpful team and a clean office. Parking at {loc} can be tight.",
        "The infusion series helped a lot. Wish there were more evening appointments."),
    3: ("Care was fine but I waited 40 minutes past my appointment time.",
        "Mixed feelings. The doctor is good, insurance paperwork was confusing."),
    2: ("Hard to reach anyone by phone and my appointment was moved twice.",
        "Felt rushed in my medication check."),
    1: ("Billing surprised me with a charge I was not told about. Will not return.",
        "Cancelled on me the morning of my appointment with no explanation."),
}
_STARS = ("", "ONE", "TWO", "THREE", "FOUR", "FIVE")
_RATINGS = (5, 4, 3, 2, 1)
_RATING_WEIGHTS = (71, 17, 5, 3, 4)


@dataclass
class _Review:
    rid: str
    when: datetime  # aware UTC
    rating: int
    text: str
    author: str
    uid: str
    nanos: int
    edit: tuple[datetime, int, str] | None = None  # (when, new rating, new text)
    reply: datetime | None = None

    def as_of(self, fetched: datetime) -> tuple[int, str, datetime]:
        """(rating, text, update time) as the site showed it at `fetched`."""
        if self.edit and self.edit[0] < fetched:
            return self.edit[1], self.edit[2], self.edit[0]
        return self.rating, self.text, self.when


def _rid(rng: random.Random, n: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
    return "".join(rng.choice(alphabet) for _ in range(n))


def _stream(rng: random.Random, first: date, last: date, per_month: float, loc: _Loc, staff: list[str],
            *, id_len: int = 22, text_share: float = 0.92) -> list[_Review]:
    """Reviews arriving on the days first..last, oldest first."""
    out = []
    d = first
    while d < last:
        for _ in range(_poisson(rng, per_month * 12 / 365)):
            rating = rng.choices(_RATINGS, _RATING_WEIGHTS)[0]
            local = datetime.combine(d, time(rng.randint(7, 22), rng.randint(0, 59), rng.randint(0, 59)))
            text = rng.choice(_TEXT[rating]).format(loc=loc.name, staff=rng.choice(staff))
            out.append(_Review(
                rid=_rid(rng, id_len), when=local.replace(tzinfo=ZONE).astimezone(UTC), rating=rating,
                text=text if rng.random() < text_share else "",
                author=f"{rng.choice(_REVIEWER_FIRST)} {rng.choice(_REVIEWER_LAST)}",
                uid=str(rng.randint(10**20, 10**21 - 1)), nanos=rng.randint(0, 999_999_999),
                reply=local.replace(tzinfo=ZONE).astimezone(UTC) + timedelta(days=rng.randint(1, 4))
                if rng.random() < 0.6 else None,
            ))
        d += timedelta(days=1)
    return out


def _relative(then: datetime, now: datetime) -> str:
    days = (now - then).days
    if days <= 1:
        return "a day ago"
    if days < 7:
        return f"{days} days ago"
    if days < 14:
        return "a week ago"
    if days < 30:
        return f"{days // 7} weeks ago"
    if days < 60:
        return "a month ago"
    if days < 365:
        return f"{days // 30} months ago"
    return "a year ago" if days < 730 else f"{days // 365} years ago"


def _z(t: datetime, fraction: str = "") -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def _write_reviews(inbox: Path, rng: random.Random, locs: list[_Loc], provs: list[_Prov], start: date,
                   end_date: date, bad_rows: bool) -> tuple[list[Path], set[tuple[str, str]], int, int]:
    """The saved responses and the review CSV: (files, distinct usable reviews, CSV rows, bad CSV rows)."""
    files: list[Path] = []
    seen: set[tuple[str, str]] = set()
    fetch_days = sorted({_add_months(start.replace(day=1), k) for k in range(1, 240)
                         if _add_months(start.replace(day=1), k) <= end_date} | {end_date})
    staff = {loc.id: [p.name for p in provs if p.location_id == loc.id and p.name.startswith("Dr.")] for loc in locs}
    by_id = {loc.id: loc for loc in locs}

    def save(name: str, body: dict) -> None:
        path = inbox / name
        path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        files.append(path)

    def fetched_at(d: date) -> datetime:
        return datetime.combine(d, time(3, 10)).replace(tzinfo=ZONE).astimezone(UTC)

    col = by_id["COL"]
    # Yelp, Columbia: details (overall figures) and the three newest excerpts, monthly
    yelp = _stream(rng, start, end_date, 1.6, col, staff["COL"])
    base_n, base_sum = 31, 31 * 4.35
    for d in fetch_days:
        now = fetched_at(d)
        held = [r for r in yelp if r.when < now]
        n = base_n + len(held)
        save(f"yelp__{_YELP_ID}__details__{d.isoformat()}.json", {
            "id": _YELP_ID, "alias": "midlands-psychiatry-and-ketamine-clinic-columbia", "name": PRACTICE_NAME,
            "image_url": "https://s3-media0.fl.yelpcdn.com/bphoto/x9Q3cW1-k2Lp/o.jpg", "is_claimed": True,
            "is_closed": False, "url": "https://www.yelp.com/biz/midlands-psychiatry-and-ketamine-clinic-columbia",
            "phone": "+18035550100", "display_phone": "(803) 555-0100", "review_count": n,
            "categories": [{"alias": "psychiatrists", "title": "Psychiatrists"},
                           {"alias": "counseling", "title": "Counseling & Mental Health"}],
            "rating": round((base_sum + sum(r.rating for r in held)) / n * 2) / 2,
            "location": {"address1": "1420 Gervais St", "city": "Columbia", "state": "SC", "zip_code": "29201",
                         "country": "US", "display_address": ["1420 Gervais St", "Columbia, SC 29201"]},
            "coordinates": {"latitude": 34.0007, "longitude": -81.0348}, "price": "$$$",
        })
        newest = sorted(held, key=lambda r: r.when, reverse=True)[:3]
        for r in newest:
            seen.add(("yelp", r.rid))
        save(f"yelp__{_YELP_ID}__reviews__{d.isoformat()}.json", {
            "reviews": [{
                "id": r.rid, "url": f"https://www.yelp.com/biz/midlands-psychiatry-columbia?hrid={r.rid}",
                "text": (r.text or "Great experience.")[:160], "rating": r.rating,
                "time_created": r.when.astimezone(LOS_ANGELES).strftime("%Y-%m-%d %H:%M:%S"),
                "user": {"id": r.uid[:22], "profile_url": f"https://www.yelp.com/user_details?userid={r.uid[:22]}",
                         "image_url": None if r.nanos % 3 == 0 else f"https://s3-media2.fl.yelpcdn.com/photo/{r.uid[:8]}.jpg",
                         "name": f"{r.author.split()[0]} {r.author.split()[1][0]}."},
            } for r in newest],
            "total": n, "possible_languages": ["en"],
        })

    # Business Profile, Columbia: the full history, newest first, 50 a page; one review edited later
    gbp = _stream(rng, start - timedelta(days=240), end_date, 5.0, col, staff["COL"], id_len=36)
    in_period = [r for r in gbp if r.when.date() >= start and r.rating <= 3]
    if in_period:
        r = in_period[0]
        r.edit = (r.when + timedelta(days=20), 4, (r.text + " Update: they called me back and sorted it out.").strip())
    for d in fetch_days:
        now = fetched_at(d)
        held = sorted((r for r in gbp if r.when < now), key=lambda r: r.when, reverse=True)
        shown = [(r, *r.as_of(now)) for r in held]
        page = []
        for r, rating, text, updated in shown[:50]:
            item = {
                "name": f"{_GBP_ACCOUNT}/locations/{_GBP_LOCATION}/reviews/{r.rid}", "reviewId": r.rid,
                "reviewer": {"displayName": r.author,
                             "profilePhotoUrl": f"https://lh3.googleusercontent.com/a-/{r.uid[:12]}=s120-c"},
                "starRating": _STARS[rating], "createTime": _z(r.when, f".{r.nanos // 1_000_000:03d}"),
                "updateTime": _z(updated, f".{r.nanos // 1_000_000:03d}"),
            }
            if text:
                item["comment"] = text
            if r.reply and r.reply < now:
                item["reviewReply"] = {"comment": "Thank you for sharing this. We are glad to be part of your care.",
                                       "updateTime": _z(r.reply)}
            page.append(item)
            seen.add(("google", r.rid))
        body: dict = {"reviews": page, "averageRating": round(sum(s[1] for s in shown) / max(1, len(shown)), 1),
                      "totalReviewCount": len(shown)}
        if len(shown) > 50:
            body["nextPageToken"] = _rid(random.Random(f"{d}:page"), 24)
        save(f"google_business_profile__{_GBP_LOCATION}__reviews__{d.isoformat()}.json", body)

    def legacy(place: str, loc: _Loc, stream: list[_Review], d: date, base: tuple[int, float], count: bool) -> None:
        now = fetched_at(d)
        held = [r for r in stream if r.when < now]
        n = base[0] + len(held)
        newest = sorted(held, key=lambda r: r.when, reverse=True)[:5]
        if count:
            seen.update(("google", f"{place}|{r.uid}|{int(r.when.timestamp())}") for r in newest)
        save(f"google__{place}__details__{d.isoformat()}.json", {
            "html_attributions": [],
            "result": {
                "place_id": place, "name": f"{PRACTICE_NAME} - {loc.name}",
                "rating": round((base[1] + sum(r.as_of(now)[0] for r in held)) / n, 1), "user_ratings_total": n,
                "reviews": [{
                    "author_name": r.author, "author_url": f"https://www.google.com/maps/contrib/{r.uid}/reviews",
                    "language": "en", "original_language": "en",
                    "profile_photo_url": f"https://lh3.googleusercontent.com/a-/{r.uid[:12]}=s128-c0x00000000-cc-rp-mo",
                    "rating": r.as_of(now)[0], "relative_time_description": _relative(r.when, now),
                    "text": r.as_of(now)[1], "time": int(r.when.timestamp()), "translated": False,
                } for r in newest],
            },
            "status": "OK",
        })

    def places_new(place: str, loc: _Loc, stream: list[_Review], d: date, base: tuple[int, float]) -> None:
        now = fetched_at(d)
        held = [r for r in stream if r.when < now]
        n = base[0] + len(held)
        newest = sorted(held, key=lambda r: r.when, reverse=True)[:5]
        reviews = []
        for r in newest:
            seen.add(("google", r.rid))
            item: dict = {
                "name": f"places/{place}/reviews/{r.rid}", "relativePublishTimeDescription": _relative(r.when, now),
                "rating": r.rating,
            }
            if r.text:
                item["text"] = {"text": r.text, "languageCode": "en"}
                item["originalText"] = {"text": r.text, "languageCode": "en"}
            item["authorAttribution"] = {
                "displayName": r.author, "uri": f"https://www.google.com/maps/contrib/{r.uid}/reviews",
                "photoUri": f"https://lh3.googleusercontent.com/a-/{r.uid[:12]}=s128-c0x00000000-cc-rp-mo"}
            item["publishTime"] = _z(r.when, f".{r.nanos:09d}")
            item["flagContentUri"] = f"https://www.google.com/local/review/rap/report?postId={r.rid[:16]}"
            reviews.append(item)
        save(f"google__{place}__details__{d.isoformat()}.json", {
            "id": place, "displayName": {"text": f"{PRACTICE_NAME} - {loc.name}", "languageCode": "en"},
            "rating": round((base[1] + sum(r.rating for r in held)) / n, 1), "userRatingCount": n,
            "reviews": reviews, "googleMapsUri": f"https://maps.google.com/?q=place_id:{place}",
        })

    # Places (legacy) for Columbia on the first two fetches: superseded by its Business Profile
    for d in fetch_days[:2]:
        legacy(_place_id("COL"), col, gbp, d, (0, 0.0), count=False)
    # Greenville and the rest on Places: legacy until the pull moved to Places API (New) half way through
    for loc in locs[1:]:
        stream = _stream(rng, start - timedelta(days=30), end_date, 3.5 if loc.id == "GVL" else 2.5, loc,
                         staff[loc.id])
        base = (rng.randint(20, 45), 0.0)
        base = (base[0], base[0] * rng.uniform(4.3, 4.6))
        half = len(fetch_days) // 2 if loc.id == "GVL" else 0
        for d in fetch_days[:half]:
            legacy(_place_id(loc.id), loc, stream, d, base, count=True)
        for d in fetch_days[half:]:
            places_new(_place_id(loc.id), loc, stream, d, base)

    # the generic CSV: Healthgrades and Zocdoc, hand-entered
    rows = []
    for loc in locs:
        for site, per_month, prefix in (("healthgrades", 1.2, "HG"), ("zocdoc", 1.8, "ZD")):
            for r in _stream(rng, start, end_date, per_month, loc, staff[loc.id]):
                local = r.when.astimezone(ZONE)
                rows.append({"site": site, "review_id": f"{prefix}-{r.rid[:10]}", "location_id": loc.id,
                             "rating": str(r.rating),
                             "published_at": local.date().isoformat() if site == "healthgrades"
                             else local.strftime("%Y-%m-%dT%H:%M:%S"), "text": r.text})
                seen.add((site, rows[-1]["review_id"]))
    rows.sort(key=lambda x: (x["published_at"][:10], x["site"], x["review_id"]))
    bad = 0
    if bad_rows:
        for i, rating in enumerate(("4.5", "7")):
            rows.insert(min(len(rows), 3 + 7 * i), {
                "site": "healthgrades", "review_id": f"HG-BAD{i + 1:04d}", "location_id": locs[0].id,
                "rating": rating, "published_at": start.isoformat(), "text": "Entered by hand from a paper card."})
            bad += 1
    path = inbox / REVIEW_CSV_FILE
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=REVIEW_CSV_COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    files.append(path)
    return files, seen, len(rows), bad

