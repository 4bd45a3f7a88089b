"""One HTTP policy for every review site: timeouts, retries with back-off on 429 and 5xx only, one-line errors.

- Timeout: `timeout_seconds` of the site's [review_sites.<site>] table (default 20 s), for connecting and
  for each read. A timeout or a refused connection is not retried (the rule is 429 and 5xx only): the
  location fails with one line and is pulled again next run.
- Retries: an answer 429 or 5xx is tried again, at most `CLINICOPS_HTTP_ATTEMPTS` tries in all (default 4),
  waiting as the server's `Retry-After` says (seconds or an HTTP date), else an exponential back-off from
  `CLINICOPS_HTTP_BACKOFF_SECONDS` (default 2 s, doubling) with jitter (the wait is between half and all of
  it), never more than `CLINICOPS_HTTP_BACKOFF_CAP_SECONDS` (default 60 s). A `Retry-After` longer than the
  cap ends the retries at once. This is the only retry policy: the Prefect task has no retries of its own.
- A daily quota that is used up (Yelp's 429 `ACCESS_LIMIT_REACHED`) is not retried: nothing changes
  before the quota resets.
- Messages never quote a response body (reviewer names) or a URL (the legacy Places key is a query
  parameter): only the site, the location, the HTTP status and the vendor's error code (an upper-case word).
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

log = logging.getLogger("clinicops")

# vendor error codes that mean "the quota is used up" (Yelp, Google APIs, legacy Places)
QUOTA_CODES = frozenset({"ACCESS_LIMIT_REACHED", "RESOURCE_EXHAUSTED", "OVER_QUERY_LIMIT", "OVER_DAILY_LIMIT",
                         "RATE_LIMIT_EXCEEDED", "QUOTA_EXCEEDED", "DAILYLIMITEXCEEDED", "RATELIMITEXCEEDED",
                         "QUOTAEXCEEDED"})
# a used-up daily quota: retrying the same day cannot help
DAILY_QUOTA_CODES = frozenset({"ACCESS_LIMIT_REACHED", "OVER_DAILY_LIMIT", "DAILYLIMITEXCEEDED"})
_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{1,63}$")
ENV = {
    "attempts": ("CLINICOPS_HTTP_ATTEMPTS", 4),
    "backoff": ("CLINICOPS_HTTP_BACKOFF_SECONDS", 2.0),
    "backoff_cap": ("CLINICOPS_HTTP_BACKOFF_CAP_SECONDS", 60.0),
}


class PullError(Exception):
    """One location (or, when `site_wide`, every location of the site) could not be pulled; the message is
    one line for the run summary."""

    def __init__(self, message: str, *, site_wide: bool = False):
        super().__init__(message)
        self.site_wide = site_wide


@dataclass(frozen=True)
class HttpPolicy:
    timeout: float = 20.0  # seconds, to connect and for each read
    attempts: int = 4
    backoff: float = 2.0
    backoff_cap: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    jitter: Callable[[float, float], float] = field(default=random.uniform, compare=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, timeout: float = 20.0) -> HttpPolicy:
        """The policy with the retry settings of the environment and the site's timeout; a bad value is a
        PullError naming the variable."""
        env = os.environ if env is None else env
        values: dict[str, float | int] = {"timeout": timeout}
        for name, (var, default) in ENV.items():
            text = env.get(var, "").strip()
            if not text:
                values[name] = default
                continue
            try:
                value = int(text) if isinstance(default, int) else float(text)
            except ValueError:
                value = -1
            if not value > 0 or value != value or value == float("inf"):
                kind = "a whole number" if isinstance(default, int) else "a number of seconds"
                raise PullError(f"{var}={text!r} must be {kind} greater than 0", site_wide=True)
            values[name] = value
        return cls(**values)  # type: ignore[arg-type]

    @property
    def timeouts(self) -> httpx.Timeout:
        return httpx.Timeout(self.timeout)

    def backoff_delay(self, attempt: int) -> float:
        """The wait after the `attempt`-th try (1-based): exponential, capped, with jitter."""
        full = min(self.backoff_cap, self.backoff * 2 ** (attempt - 1))
        return full / 2 + self.jitter(0.0, full / 2)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After`: delay-seconds or an HTTP date -> seconds from now (>= 0); anything else None."""
    if not value or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def error_codes(content: bytes) -> tuple[str, ...]:
    """The vendor's error codes in an error body, where they are plain code words: Yelp `error.code`,
    Google `error.status` and the `reason` of `error.details[]` / `error.errors[]`, legacy Places `status`.
    Never any free text (descriptions and messages are not read)."""
    try:
        body = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return ()
    if not isinstance(body, dict):
        return ()
    candidates: list[object] = []
    error = body.get("error")
    if isinstance(error, dict):
        candidates += [error.get("status"), error.get("code")]
        for key in ("details", "errors"):
            items = error.get(key)
            if isinstance(items, list):
                candidates += [item.get("reason") for item in items[:5] if isinstance(item, dict)]
    candidates.append(body.get("status"))
    return tuple(dict.fromkeys(c for c in candidates if isinstance(c, str) and _CODE.match(c)))


def error_code(content: bytes) -> str | None:
    """The first of `error_codes`, for messages."""
    codes = error_codes(content)
    return codes[0] if codes else None


def is_quota(code: str | None) -> bool:
    return bool(code) and code.upper() in QUOTA_CODES  # type: ignore[union-attr]


@dataclass(frozen=True)
class Call:
    """What one request is about, for its messages: `yelp COL`, and the credential's variable."""

    label: str  # e.g. "yelp COL (business midlands-psychiatry-columbia)"
    credential: str  # e.g. "API key (CLINICOPS_YELP_API_KEY)"


def get(client: httpx.Client, url: str, call: Call, policy: HttpPolicy, *, params: dict | None = None,
        headers: dict | None = None) -> httpx.Response:
    """GET with the policy: a 2xx response, or PullError with one line that says what went wrong."""
    for attempt in range(1, policy.attempts + 1):
        try:
            response = client.get(url, params=params, headers=headers)
        except httpx.TimeoutException as e:
            kind = "connect" if isinstance(e, httpx.ConnectTimeout) else "read" if isinstance(
                e, httpx.ReadTimeout) else "network"
            raise PullError(f"{call.label}: no answer within {policy.timeout:g} s ({kind} timeout); "
                            "it is pulled again next run") from None
        except httpx.TransportError as e:
            raise PullError(f"{call.label}: could not reach the site ({type(e).__name__}); "
                            "it is pulled again next run") from None
        status = response.status_code
        if 200 <= status < 300:
            return response
        codes = error_codes(response.content)
        code = codes[0] if codes else None
        retryable = status == 429 or 500 <= status <= 599
        if status == 429 and any(c.upper() in DAILY_QUOTA_CODES for c in codes):
            raise quota_error(call, status, code)
        if "API_KEY_INVALID" in codes:  # Google answers a bad key with 400 INVALID_ARGUMENT
            raise status_error(call, status, ("API_KEY_INVALID",))
        if retryable and attempt < policy.attempts:
            asked = retry_after_seconds(response.headers.get("Retry-After"))
            if asked is not None and asked > policy.backoff_cap:
                raise PullError(f"{call.label}: HTTP {status}{_code(code)}, and the site asks to wait "
                                f"{asked:.0f} s (more than the {policy.backoff_cap:g} s cap); "
                                "it is pulled again next run", site_wide=status == 429)
            delay = asked if asked is not None else policy.backoff_delay(attempt)
            log.info("%s: HTTP %d, trying again in %.1f s (try %d of %d)", call.label, status, delay, attempt + 1,
                     policy.attempts)
            policy.sleep(delay)
            continue
        raise status_error(call, status, codes, tries=attempt if retryable else None)
    raise AssertionError("unreachable")  # pragma: no cover - the loop always returns or raises


def _code(code: str | None) -> str:
    return f" {code}" if code else ""


def quota_error(call: Call, status: int | None, code: str | None) -> PullError:
    http = f"HTTP {status} " if status else ""
    return PullError(f"{call.label}: the site's quota is used up ({http}{code or 'rate limit'}); "
                     "it is pulled again next run", site_wide=True)


def status_error(call: Call, status: int, codes: tuple[str, ...], *, tries: int | None = None) -> PullError:
    """The one-line message for a final non-2xx answer (codes: the vendor's error codes, see error_codes)."""
    code = codes[0] if codes else None
    if status == 401 or code == "API_KEY_INVALID":
        return PullError(f"{call.label}: the {call.credential} was refused (HTTP {status}{_code(code)}); "
                         "set a valid one", site_wide=True)
    quota = next((c for c in codes if is_quota(c)), None)
    if quota:  # also a 403 that says so (Google's dailyLimitExceeded, quotaExceeded)
        return quota_error(call, status, quota)
    if status == 403:
        return PullError(f"{call.label}: access denied (HTTP 403{_code(code)}): the {call.credential} is not "
                         "allowed to read this (API not enabled, or no access to this id)")
    if status == 429:
        return PullError(f"{call.label}: still rate-limited (HTTP 429{_code(code)}) after {tries} tries; "
                         "it is pulled again next run", site_wide=True)
    if 500 <= status <= 599:
        return PullError(f"{call.label}: the site answered HTTP {status}{_code(code)} "
                         f"{tries} time{'s' if tries != 1 else ''}; it is pulled again next run")
    if status == 404:
        return PullError(f"{call.label}: the site does not know this id (HTTP 404{_code(code)}); "
                         "check clinicops.toml [review_sites]")
    return PullError(f"{call.label}: the site refused the request (HTTP {status}{_code(code)})")
