"""A real HTTP server on 127.0.0.1 that answers as the review sites do (Yelp Fusion, Google Places legacy and
New, Business Profile), from a script of replies per path. It records every request it received and every
body it sent, so tests can check what the client asked and that the saved files hold exactly those bytes.

The answers below are written after the vendors' documented JSON (field names, nesting, error bodies), with
reviewer names, profile links and photos planted so the privacy tests can look for them downstream.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

# planted reviewer identity: must never appear past the landing copy
REVIEWER_NAMES = ["Zebulon Quackenbush", "Hildegard Pfefferkorn", "Margarethe Oyelaran", "Ignatius Vandersloot"]
REVIEWER_LINKS = ["https://www.yelp.com/user_details?userid=zQ9u1", "https://s3-media3.fl.yelpcdn.com/photo/zq9/o.jpg",
                  "https://www.google.com/maps/contrib/105700000000000000777/reviews",
                  "https://lh3.googleusercontent.com/a-/ALV-UjHpfefferkorn=s128-c0x00000000-cc-rp-mo",
                  "https://lh3.googleusercontent.com/a/ACg8ocOyelaran=s120-c-rp-mo-br100"]
PLANTED = REVIEWER_NAMES + REVIEWER_LINKS


@dataclass
class Reply:
    status: int = 200
    body: bytes | dict | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False  # never answer (until the server stops): the client's read timeout

    @property
    def content(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body, indent=2, ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class Seen:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


class FakeSites:
    """Replies per route (a path, and `#page=<token>` for a request with a pageToken), served in order; the
    last reply of a route repeats. An unknown route answers 404 with a Google-style error body."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.requests: list[Seen] = []
        self.sent: dict[str, list[bytes]] = {}
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def add(self, route: str, *replies: Reply) -> None:
        self.routes[route] = list(replies)

    def hits(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path == path]

    def reply_for(self, seen: Seen) -> tuple[str, Reply]:
        token = seen.query.get("pageToken")
        route = f"{seen.path}#page={token}" if token else seen.path
        with self.lock:
            self.requests.append(seen)
            replies = self.routes.get(route)
            if not replies:
                return route, Reply(404, {"error": {"code": 404, "message": "not found", "status": "NOT_FOUND"}})
            reply = replies.pop(0) if len(replies) > 1 else replies[0]
        return route, reply


def _handler(sites: FakeSites) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            seen = Seen(parts.path, query, {k.lower(): v for k, v in self.headers.items()})
            route, reply = sites.reply_for(seen)
            if reply.hang:
                sites.stopping.wait(30)
                return
            content = reply.content
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(content)))
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(content)
            with sites.lock:
                sites.sent.setdefault(route, []).append(content)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
            return

    return Handler


@contextmanager
def fake_sites() -> Iterator[FakeSites]:
    """A running fake server on a free port of 127.0.0.1, stopped (and its threads released) on exit."""
    sites = FakeSites()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(sites))
    server.daemon_threads = True
    sites.server = server
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield sites
    finally:
        sites.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# ---- the vendors' documented answers -------------------------------------------------------------------------


def yelp_details(business: str, rating: float = 4.5, count: int = 31) -> dict:
    return {
        "id": "WavvLdfdP6g8aZTtbBQHTw", "alias": business, "name": "Midlands Psychiatry & Ketamine Clinic",
        "image_url": "https://s3-media1.fl.yelpcdn.com/bphoto/abc/o.jpg", "is_claimed": True, "is_closed": False,
        "url": f"https://www.yelp.com/biz/{business}", "phone": "+18035550100", "display_phone": "(803) 555-0100",
        "review_count": count, "categories": [{"alias": "psychiatrists", "title": "Psychiatrists"}],
        "rating": rating, "location": {"address1": "1 Main St", "city": "Columbia", "state": "SC",
                                       "zip_code": "29201", "country": "US"},
        "coordinates": {"latitude": 34.0, "longitude": -81.03}, "photos": [], "hours": [],
    }


def yelp_reviews() -> dict:
    return {
        "reviews": [
            {"id": "xAG4O7l-t1ubbwVAlPnDKg", "url": "https://www.yelp.com/biz/x?hrid=xAG4O7l-t1ubbwVAlPnDKg",
             "text": "Kind staff, the infusion room was calm...", "rating": 5,
             "time_created": "2026-11-20 09:15:00",
             "user": {"id": "zQ9u1", "profile_url": REVIEWER_LINKS[0], "image_url": REVIEWER_LINKS[1],
                      "name": REVIEWER_NAMES[0]}},
            {"id": "rAd9-kB1sQ", "url": "https://www.yelp.com/biz/x?hrid=rAd9-kB1sQ",
             "text": "Hard to park but worth it...", "rating": 4, "time_created": "2026-11-02 17:40:12",
             "user": {"id": "u2", "profile_url": "https://www.yelp.com/user_details?userid=u2", "image_url": None,
                      "name": REVIEWER_NAMES[3]}},
        ],
        "total": 31,
        "possible_languages": ["en"],
    }


def places_new(place: str) -> dict:
    return {
        "id": place, "rating": 4.6, "userRatingCount": 212,
        "reviews": [{
            "name": f"places/{place}/reviews/ChZDSUhNMG9nS0VJQ0FnSUNrMEpXYXBnEAE",
            "relativePublishTimeDescription": "a week ago", "rating": 5,
            "text": {"text": "They explained every step.", "languageCode": "en"},
            "originalText": {"text": "They explained every step.", "languageCode": "en"},
            "authorAttribution": {"displayName": REVIEWER_NAMES[1], "uri": REVIEWER_LINKS[2],
                                  "photoUri": REVIEWER_LINKS[3]},
            "publishTime": "2026-11-18T15:42:07.123456789Z",
            "flagContentUri": "https://www.google.com/local/review/rap/report?postId=ChZDSUhN",
            "googleMapsUri": "https://www.google.com/maps/reviews/data=!4m6!14m5",
        }],
    }


def places_legacy(place: str) -> dict:
    return {
        "html_attributions": [],
        "result": {
            "place_id": place, "rating": 4.6, "user_ratings_total": 212,
            "reviews": [{
                "author_name": REVIEWER_NAMES[1], "author_url": REVIEWER_LINKS[2], "language": "en",
                "original_language": "en", "profile_photo_url": REVIEWER_LINKS[3], "rating": 4,
                "relative_time_description": "2 weeks ago", "text": "Parking is hard.", "time": 1763500000,
                "translated": False,
            }],
        },
        "status": "OK",
    }


def gbp_review(parent: str, review_id: str, stars: str, created: str, updated: str | None = None,
               reviewer: str = REVIEWER_NAMES[2]) -> dict:
    return {
        "name": f"{parent}/reviews/{review_id}", "reviewId": review_id,
        "reviewer": {"profilePhotoUrl": REVIEWER_LINKS[4], "displayName": reviewer, "isAnonymous": False},
        "starRating": stars, "comment": f"Review {review_id}: the nurses were wonderful.",
        "createTime": created, "updateTime": updated or created,
        "reviewReply": {"comment": f"Thank you, {reviewer.split()[0]}!", "updateTime": updated or created},
    }


def gbp_page(reviews: list[dict], next_token: str | None = None, average: float = 4.7, total: int = 5) -> dict:
    page: dict = {"reviews": reviews, "averageRating": average, "totalReviewCount": total}
    if next_token:
        page["nextPageToken"] = next_token
    return page


def google_error(code: int, status: str, reason: str | None = None, message: str = "error") -> dict:
    error: dict = {"code": code, "message": message, "status": status}
    if reason:
        error["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason,
                             "domain": "googleapis.com"}]
    return {"error": error}


def yelp_error(code: str, description: str = "error") -> dict:
    return {"error": {"code": code, "description": description}}
