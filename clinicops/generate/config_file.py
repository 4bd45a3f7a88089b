"""The demo practice's commented `clinicops.toml`, and the vocabulary (referral words, type words, review-site ids)
the simulation types into the exports."""

from __future__ import annotations

import json
import random
from datetime import date

from clinicops.generate.layout import DEFAULT_SIZE, PRACTICE_NAME, TIMEZONE, PracticeSize, _closures, _layout, _period

_REFERRALS: dict[str, tuple[str, ...]] = {  # canonical source -> the variants the generator types
    "google": ("Google", "google search", " GOOGLE ", "google maps", "Google Ads", "googled you"),
    "yelp": ("yelp!", "Yelp", "yelp review"),
    "psychology_today": ("Psychology Today", "psych today", "PsychologyToday.com"),
    "physician_referral": ("dr. smith referral", "PCP", "pcp referral", "Dr referral", "primary care doctor",
                           "referred by Dr. Lee"),
    "therapist_referral": ("my therapist", "Therapist", "therapist referral", "counselor"),
    "friend_family": ("friend", "Friend", "family member", "word of mouth", "my sister"),
    "insurance_directory": ("BCBS directory", "insurance website", "Aetna"),
    "social_media": ("Instagram", "instagram ad", "Facebook", "FB", "TikTok"),
    "website": ("website", "clinic website", "online"),
    "returning_patient": ("returning patient", "existing patient"),
}
_UNMAPPED = ("saw a billboard", "radio ad", "NAMI walk", "news story")  # left out of the config: 'other'
_REFERRAL_WEIGHTS = {  # first-touch mix
    "google": 26, "yelp": 4, "psychology_today": 12, "physician_referral": 16, "therapist_referral": 10,
    "friend_family": 9, "insurance_directory": 4, "social_media": 5, "website": 4, "returning_patient": 2,
    "other": 2, "unknown": 6,
}
_TYPE_WORDS = {  # synonyms some rows use instead of the canonical type
    "ketamine_infusion": "IV Ketamine",
    "booster_infusion": "Ketamine Booster",
    "esketamine_session": "Spravato",
    "med_management": "Med Check",
    "consultation": "New Patient Consult",
}
_YELP_ID = "midlands-psychiatry__columbia"  # contains "__": the file-naming rule must cope
_GBP_ACCOUNT = "accounts/1098234756"
_GBP_LOCATION = "4729384756"


def _place_id(loc_id: str) -> str:
    rng = random.Random(f"place:{loc_id}")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-"
    return "ChIJ" + "".join(rng.choice(alphabet) for _ in range(23))


def _toml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def _inline(table: dict[str, str]) -> str:
    return "{ " + ", ".join(f"{k} = {_toml_str(v)}" for k, v in table.items()) + " }"


def demo_config_toml(size: PracticeSize = DEFAULT_SIZE, *, end_date: date | None = None) -> str:
    """The commented `clinicops.toml` of the demo practice (closures cover the years of the period ending at
    end_date, default today)."""
    locs, provs = _layout(size)
    end_date = end_date or date.today()
    first, last = _period(end_date, size.months)
    out = [
        "# clinicops.toml: the configuration of one practice (written by `clinicops demo` / `clinicops generate`).",
        "# Validated on every run; a bad key is refused with a message that names it.",
        "# Review-site API keys never go here: they come from the environment (CLINICOPS_YELP_API_KEY,",
        "# CLINICOPS_GOOGLE_API_KEY, CLINICOPS_GOOGLE_BUSINESS_PROFILE_TOKEN) or a Prefect Secret block.",
        "",
        "[practice]",
        f"name = {_toml_str(PRACTICE_NAME)}",
        f'timezone = "{TIMEZONE}"      # IANA zone; naive timestamps in the exports are local to it',
        "late_cancel_hours = 24                 # a patient cancellation less than this before start is late",
        "series_size = 6                        # infusions that make a completed IV ketamine series",
        "series_window_days = 42                # ... within this many days of the first infusion (day 0)",
        "",
        "# Locations: closures are local dates the location is closed; a weekday missing from `hours` is closed.",
        "# Resources are the chairs (infusions) and rooms (visits) whose utilization is reported.",
    ]
    for loc in locs:
        closures = _closures(loc, first, last)
        out += [
            "",
            "[[locations]]",
            f'id = "{loc.id}"',
            f"name = {_toml_str(loc.name)}" + (f"   # {loc.note}" if loc.note else ""),
            "closures = [  # US holidays (observed)" + ("; also the day after Thanksgiving" if loc.id != "COL" else ""),
        ]
        for i in range(0, len(closures), 6):
            out.append("  " + ", ".join(f'"{d.isoformat()}"' for d in closures[i:i + 6]) + ",")
        out += [
            "]",
            f"hours = {_inline(loc.hours)}",
            "resources = [",
            *(f'  {{ id = "{c}", kind = "chair" }},' for c in loc.chairs),
            *(f'  {{ id = "{r}", kind = "room" }},' for r in loc.rooms),
            "]",
        ]
    out += [
        "",
        "# Providers: weekly availability (a list or comma-separated spans for a day with a break).",
        "# Staff names are not PHI.",
    ]
    for p in provs:
        out += [
            "",
            "[[providers]]",
            f'id = "{p.id}"',
            f"name = {_toml_str(p.name)}   # {p.note}",
            f'location_id = "{p.location_id}"',
            f"availability = {_inline(p.availability)}",
        ]
    out += [
        "",
        "# Referral sources: canonical source = the free-text variants typed at intake (compared case- and",
        "# space-insensitively). Anything unmapped counts as 'other', an empty value as 'unknown'.",
        "[referral_sources]",
    ]
    for source, variants in _REFERRALS.items():
        words = list(dict.fromkeys(v.strip().lower() for v in variants))
        out.append(f"{source} = [{', '.join(_toml_str(w) for w in words)}]")
    out += [
        "",
        "# More words for the canonical appointment types, as the scheduling system names them.",
        "[appointment_types]",
        *(f"{_toml_str(word)} = \"{canonical}\"" for canonical, word in _TYPE_WORDS.items()),
        "",
        "# Review sites: location id = the site's id for it. Yelp's and Google Places' terms restrict storing",
        "# review text, so it is kept only with keep_review_text = true. Where a location has a Business Profile,",
        "# that wins over its Places data. `api_base = \"http://127.0.0.1:PORT\"` points a site at a test server.",
        "[review_sites]",
        "keep_review_text = false",
        "",
        "[review_sites.yelp]                     # Yelp business id or alias",
        f'COL = "{_YELP_ID}"',
        "",
        "[review_sites.google]                   # Google place id",
        *(f'{loc.id} = "{_place_id(loc.id)}"' for loc in locs),
        "",
        "[review_sites.google_business_profile]  # the number L of accounts/A/locations/L",
        f'account = "{_GBP_ACCOUNT}"',
        f'COL = "{_GBP_LOCATION}"',
        "",
    ]
    return "\n".join(out)

