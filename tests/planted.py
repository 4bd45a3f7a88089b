"""A practice home whose inbox holds a file of every input format the readers accept, with identifiers planted
in every field where a value is possible (file names included), for the privacy test
(tests/flows/test_privacy_everywhere.py).

Every planted identifier is made up and distinctive, so finding one anywhere is a leak, not a coincidence:
names nobody is called, phone numbers in the 555-01xx range written in several spellings (bare 10 digits
too), e-mails at example.org/.net, birth dates before 2000, MRNs, street addresses, clinical notes.

Where each kind of identifier is planted (operations.md, "Privacy"):
- PHI columns (patient id / MRN, names, birth date, phone, e-mail, address), columns the reader drops
  (extra contact columns of every layout, a SimplePractice summary row), FHIR's Patient `display`, contained
  Patients, notes and comments, session notes and adverse-event text, referral answers, reviewer names,
  profile links and photos, the rows of hostile and headerless files: any identifier (names included).
- Columns the contract keeps as data (ids, codes, times) and file names: only identifiers the one mask
  recognises (e-mail, phone, digit runs of 7+, birth dates outside date columns), in rows the rules set
  aside. operations.md masks those columns' values in the quarantine (and file names everywhere outside the
  landing area) for e-mails, phones, digit runs and dates only — a name there would legitimately pass — and
  an accepted row's appointment id or location id is data by contract, so no identifier is planted in an
  accepted row's kept id.
- Kept review text (Business Profile, review CSVs, Yelp / Places with keep_review_text): e-mails and phones
  only, since the spec masks exactly those in kept text; a name goes only into the text of a review the
  rules set aside (the quarantine blanks free text).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from clinicops.home import Home

# ---- the identifiers -------------------------------------------------------------------------------------------

NAMES = ["Thaddeus", "Wolfenbarger", "Ottoline", "Scrimgeour", "Philomena", "Grimsditch", "Eustacia", "Vanderbeek",
         "Lysander", "Pettigrew-Oakes", "Clementine", "Haverbrook", "Barnaby", "Fitzwarren", "Perpetua",
         "Auchinleck", "Ignatia", "Thistlewood", "Rosalind", "Featherstonhaugh", "Percival", "Dunwoody"]
PHONES = ["(803) 555-0142", "803-555-0173", "803.555.0164", "+1 803 555 0188", "8035550119", "+18035550127",
          "803 555 0135", "1-803-555-0156"]
EMAILS = ["thaddeus.w1971@example.org", "ottoline.scrimgeour@example.net", "p.grimsditch@example.org",
          "eustacia_v@example.net", "lysander.po@example.org", "rosalind.f@example.net"]
BIRTH_DATES = ["1971-03-14", "03/14/1971", "1958-07-22", "07/22/1958", "1990-12-03", "12.03.1990", "1946-05-30"]
MRNS = ["MRN-88213307", "PTX7Q2WOLF", "MRN-40917266", "QZ-SCRIM-5841", "MRN-73305518", "PT-GRIMS-0917",
        "HB-66120043"]
ADDRESSES = ["4417 Brackenridge Lane", "Apt 9B, 22 Quillfeather Court", "PO Box 8817 Lugoffwick"]
NOTES = ["tearful about the custody hearing", "husband reports relapse on oxycodone",
         "lives alone since the Quillfeather fire", "SI passive, no plan, safety contract signed"]
SITE_LINKS = ["https://www.yelp.com/user_details?userid=wolfenbarger71", "https://lh3.googleusercontent.com/a/Scrimgeour",
              "https://www.google.com/maps/contrib/115550142000000000001/reviews"]

T, W, OT, S, PH, G, E, V, LY, PO, C, HB, BA, FI, PE, AU, IG, TH, RO, FE, PER, DU = NAMES
THADDEUS, OTTOLINE, PHILOMENA = f"{T} {W}", f"{OT} {S}", f"{PH} {G}"
EUSTACIA, LYSANDER, CLEMENTINE = f"{E} {V}", f"{LY} {PO}", f"{C} {HB}"
BARNABY, PERPETUA, IGNATIA = f"{BA} {FI}", f"{PE} {AU}", f"{IG} {TH}"
ROSALIND, PERCIVAL = f"{RO} {FE}", f"{PER} {DU}"

YELP_ID = "test-practice-columbia"
PLACE_ID = "ChIJcolumbia"
BP_ACCOUNT = "accounts/1122334455"
BP_NUMBER = "4567890123456789"
PLANTED_DAY = "2026-11-24"


def needles() -> list[str]:
    """Every planted identifier as it is searched for (case-insensitive; phones and digit-heavy ids also in
    their digits-only form, see `digits_of`)."""
    found = [*NAMES, *PHONES, *EMAILS, *BIRTH_DATES, *MRNS, *ADDRESSES, *NOTES, *SITE_LINKS]
    found += [e.split("@")[0] for e in EMAILS]  # the local part alone
    found += [a.split(", ")[-1] for a in ADDRESSES] + ["Brackenridge", "Quillfeather", "Lugoffwick"]
    return sorted(set(found), key=str.lower)


def digits_of(value: str) -> str | None:
    """The digits-only form to search for, where a value carries a run of 7+ digits once its separators
    are removed (phones, MRNs, birth dates): '(803) 555-0142' -> '8035550142'; also the number without a
    leading country code 1."""
    digits = re.sub(r"\D", "", value)
    return digits if len(digits) >= 7 else None


def digit_needles() -> list[str]:
    found = set()
    for value in [*PHONES, *MRNS, *BIRTH_DATES, *ADDRESSES]:
        digits = digits_of(value)
        if digits:
            found.add(digits)
            if len(digits) == 11 and digits.startswith("1"):
                found.add(digits[1:])
            if value in PHONES:
                found.add(digits[-7:])  # the local number alone (555-0142)
    return sorted(found)


# ---- what the inbox holds, and what must become of it ----------------------------------------------------------

@dataclass
class Planted:
    """One inbox file: its records (rows, JSON lines, Appointments, reviews + summaries) and its expected fate."""

    source: str
    name: str
    records: int  # what the file holds that must each be accepted or quarantined (0 for a rejected file)
    accepted: int | None = None  # the accepted records expected (None: not checked)
    rejected: bool = False
    reason: str = ""  # a part of the rejection reason expected
    rules: set[str] = field(default_factory=set)  # quarantine rules expected among this file's


CONFIG = f'''
[practice]
name = "Privacy Practice"
timezone = "America/New_York"

[[locations]]
id = "COL"
name = "Columbia"
hours = {{ mon = "08:00-17:00", tue = "08:00-17:00", wed = "08:00-17:00", thu = "08:00-17:00", fri = "08:00-17:00" }}
resources = [{{id = "CHAIR-1", kind = "chair"}}, {{id = "CHAIR-2", kind = "chair"}}, {{id = "ROOM-A", kind = "room"}}]

[[locations]]
id = "GRN"
name = "Greenville"
hours = {{ mon = "08:00-17:00", tue = "08:00-17:00" }}
resources = [ {{ id = "CHAIR-G1", kind = "chair" }} ]

[[providers]]
id = "P-OKAFOR"
name = "Dr. Okafor"
location_id = "COL"
availability = {{ mon = "08:00-16:00", tue = "08:00-16:00", wed = "08:00-16:00", fri = "08:00-16:00" }}

[referral_sources]
google = ["google", "google search"]
physician_referral = ["dr referral", "pcp"]
yelp = ["yelp"]

[review_sites]
keep_review_text = true

[review_sites.yelp]
COL = "{YELP_ID}"

[review_sites.google]
COL = "{PLACE_ID}"

[review_sites.google_business_profile]
account = "{BP_ACCOUNT}"
GRN = "{BP_NUMBER}"
'''


def live_config(url: str) -> str:
    """CONFIG with every site's API pointed at the fake server (tests/fake_sites.py)."""
    text = CONFIG
    for table in ("[review_sites.yelp]", "[review_sites.google]", "[review_sites.google_business_profile]"):
        text = text.replace(table, f'{table}\napi_base = "{url}"\ntimeout_seconds = 5')
    return text


def _csv(header: list[str], rows: list[list[str]], delimiter: str = ",", crlf: bool = False) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


CANONICAL = ["appointment_id", "patient_id", "location_id", "provider_id", "resource_id", "appointment_type", "start",
             "duration_minutes", "end", "status", "created_at", "cancelled_at", "cancelled_by", "referral_source",
             "updated_at", "patient_first_name", "patient_last_name", "patient_dob", "patient_phone", "patient_email",
             "patient_address", "patient_name", "Emergency Contact", "Insurance Member ID", "notes"]


def _booking(appointment_id: str, start: str, **values: str) -> list[str]:
    row = {
        "appointment_id": appointment_id, "patient_id": MRNS[0], "location_id": "COL", "provider_id": "P-OKAFOR",
        "resource_id": "CHAIR-1", "appointment_type": "ketamine_infusion", "start": start, "duration_minutes": "90",
        "end": "", "status": "Completed", "created_at": "2026-11-01 09:00", "cancelled_at": "", "cancelled_by": "",
        "referral_source": f"my neighbour {OTTOLINE} {PHONES[2]}", "updated_at": "",
        "patient_first_name": T, "patient_last_name": W, "patient_dob": BIRTH_DATES[0], "patient_phone": PHONES[0],
        "patient_email": EMAILS[0], "patient_address": ADDRESSES[0], "patient_name": THADDEUS,
        "Emergency Contact": f"{EUSTACIA} {PHONES[1]}", "Insurance Member ID": MRNS[6], "notes": NOTES[0],
    }
    row.update(values)
    return [row[c] for c in CANONICAL]


def canonical_bookings() -> bytes:
    return _csv(CANONICAL, [
        _booking("PV-1", "2026-11-16 10:00"),  # accepted: PHI in every PHI and dropped column, referral unmatched
        _booking("PV-2", "2026-11-18 10:00", status="No Show", referral_source="Google Search", patient_id=MRNS[1]),
        _booking("PV-3", "2026-11-19 10:00", status="Late Cancel", cancelled_at="2026-11-18 20:00",
                 cancelled_by="patient", referral_source=f"{PHILOMENA} ({EMAILS[2]})", patient_id=MRNS[2]),
        # set aside: identifiers the mask knows, in the columns the contract keeps (ids, codes, times)
        _booking(f"PV-{PHONES[4]}", "2026-11-17 10:00", location_id=PHONES[0], referral_source=""),
        _booking("PV-5", "2026-11-17 11:00", provider_id=EMAILS[0], resource_id=PHONES[3]),
        _booking("PV-6", "2026-11-17 12:00", appointment_type=f"DOB {BIRTH_DATES[1]}", status=f"call {PHONES[1]}"),
        _booking("PV-7", f"{PHONES[4]}", created_at=PHONES[5], updated_at=EMAILS[3]),
        _booking("PV-8", "2026-11-20 10:00", duration_minutes=PHONES[4], cancelled_by=EMAILS[1],
                 cancelled_at=PHONES[6], status="Canceled"),
        _booking(f"PV-9 {MRNS[0]}", "2026-11-20 12:00", end=PHONES[7], duration_minutes=""),
    ], crlf=True)


def simplepractice() -> bytes:
    header = ["Date of Service", "Time", "Client", "Client ID", "Clinician", "Service", "Location", "Status",
              "Duration", "Client Email", "Client Phone", "Client DOB", "Client Address", "Billing Notes"]
    rows = [
        [f"Total for {OTTOLINE}", "3", f"{PHONES[2]}", MRNS[3], "", "", "", "", "", EMAILS[1], "", "", "", NOTES[1]],
        ["11/16/2026", "10:00 AM", OTTOLINE, MRNS[3], "P-OKAFOR", "99214 Office/outpatient visit, est", "COL", "Show",
         "30", EMAILS[1], PHONES[2], BIRTH_DATES[3], ADDRESSES[1], NOTES[1]],
        ["11/18/2026", "02:30 PM", f"{S}, {OT}", MRNS[3], "P-OKAFOR", "90837 Psychotherapy, 60 min", "COL", "No Show",
         "60", EMAILS[1], PHONES[6], BIRTH_DATES[2], ADDRESSES[1], NOTES[2]],
        ["11/19/2026", "09:00 AM", BARNABY, MRNS[4], EMAILS[4], "90834 Psychotherapy, 45 min", "COL", "Show", "45",
         EMAILS[4], PHONES[7], BIRTH_DATES[4], ADDRESSES[2], NOTES[3]],  # set aside: an e-mail as the clinician
    ]
    return b"\xef\xbb\xbf" + _csv(header, rows, crlf=True)


def jane() -> bytes:
    header = ["Appointment ID", "Date", "Start Time", "End Time", "Patient", "Patient Number", "Staff Member",
              "Treatment", "Location", "Room", "State", "Booked At", "Cancelled At", "Patient Email", "Patient Phone",
              "Patient Birthday", "Chart Note"]
    rows = [
        ["J-1", "2026-11-18", "10:00 AM", "11:30 AM", PERPETUA, MRNS[5], "P-OKAFOR", "Ketamine Infusion", "COL",
         "CHAIR-2", "Arrived", "2026-11-02T14:05:00Z", "", EMAILS[5], PHONES[4], BIRTH_DATES[5], NOTES[0]],
        ["J-2", "2026-11-19", "10:00 AM", "11:30 AM", PERPETUA, MRNS[5], "P-OKAFOR", "Ketamine Infusion", "COL",
         "CHAIR-2", "Cancelled", "2026-11-02T14:05:00Z", "2026-11-10T09:00:00Z", EMAILS[5], PHONES[4],
         BIRTH_DATES[5], NOTES[1]],
        ["J-3", "2026-11-20", "10:00 AM", "11:30 AM", IGNATIA, MRNS[6], "P-OKAFOR", "Ketamine Infusion", "COL",
         f"Room {PHONES[5]}", "Booked", "2026-11-02T14:05:00Z", "", EMAILS[3], PHONES[5], BIRTH_DATES[6], NOTES[2]],
    ]
    return _csv(header, rows, delimiter=";", crlf=True)


def intake_form() -> bytes:
    header = ["Client ID", "Client Name", "Submitted", "How did you hear about us?", "Date of Birth", "Phone",
              "Email", "Home Address", "Reason for visit"]
    rows = [
        [MRNS[0], THADDEUS, "11/01/2026 09:30 AM", f"My therapist {PHILOMENA} {PHONES[4]}", BIRTH_DATES[0], PHONES[0],
         EMAILS[0], ADDRESSES[0], NOTES[3]],
        [MRNS[5], PERPETUA, "11/01/2026 10:15 AM", "google", BIRTH_DATES[5], PHONES[4], EMAILS[5], ADDRESSES[2],
         NOTES[1]],
        [MRNS[6], IGNATIA, "11/02/2026 11:00 AM", f"my sister\n{CLEMENTINE}, {EMAILS[3]}", BIRTH_DATES[6], PHONES[5],
         EMAILS[3], ADDRESSES[1], NOTES[2]],  # a line break inside the free-text answer is allowed
    ]
    return _csv(header, rows)


def canonical_intake() -> bytes:
    return _csv(["patient_id", "intake_date", "referral_source", "patient_name", "patient_phone"], [
        [MRNS[1], "2026-11-03", f"referred by my cousin {LYSANDER} call {PHONES[1]}", LYSANDER, PHONES[1]],
        [MRNS[2], "2026-11-03", "Yelp!", PHILOMENA, PHONES[3]],
        [f"{MRNS[3]}\x1b[31m", "2026-11-04", f"{BARNABY}", OTTOLINE, PHONES[2]],  # set aside: an escape in the id
    ])


def _contained_patient(local: str, mrn: str, name: tuple[str, str], phone: str, email: str, dob: str,
                       address: str) -> dict:
    return {"resourceType": "Patient", "id": local,
            "identifier": [{"system": "urn:oid:1.2.36.146.595.217.0.1", "value": mrn}],
            "name": [{"family": name[1], "given": [name[0]], "text": f"{name[0]} {name[1]}"}],
            "telecom": [{"system": "phone", "value": phone}, {"system": "email", "value": email}],
            "birthDate": dob, "address": [{"line": [address], "city": "Lugoffwick", "postalCode": "29078"}]}


def _appointment(appointment_id: str, patient_ref: str, display: str, status: str, start: str, **extra) -> dict:
    resource = {
        "resourceType": "Appointment", "id": appointment_id, "status": status,
        "meta": {"lastUpdated": "2026-11-20T17:00:00Z"},
        "serviceType": [{"coding": [{"code": "ketamine_infusion", "display": "IV ketamine"}]}],
        "start": start, "minutesDuration": 60, "created": "2026-11-02T14:00:00Z",
        "description": f"Infusion for {display}, DOB {BIRTH_DATES[2]}",
        "comment": f"{NOTES[0]}; call {PHONES[6]}",
        "patientInstruction": f"{display}: no food 6 h before; ride home with {BARNABY} {PHONES[7]}",
        "note": [{"text": NOTES[3], "authorString": CLEMENTINE}],
        "participant": [
            {"actor": {"reference": patient_ref, "display": display}, "status": "accepted"},
            {"type": [{"coding": [{"code": "PPRF"}]}], "actor": {"reference": "Practitioner/P-OKAFOR",
                                                                  "display": "Dr. Okafor"}, "status": "accepted"},
            {"actor": {"reference": "Location/COL", "display": "Columbia"}, "status": "accepted"},
            {"actor": {"reference": "Device/CHAIR-2"}, "status": "accepted"},
        ],
    }
    resource.update(extra)
    return resource


def fhir_searchset() -> bytes:
    contained = _contained_patient("pat1", MRNS[4], (BA, FI), PHONES[7], EMAILS[4], BIRTH_DATES[4], ADDRESSES[2])
    bad = _appointment("F-3", f"Patient/{MRNS[1]}", LYSANDER, "booked", "2026-11-23T15:00:00Z")
    bad["participant"][2] = {"actor": {"reference": f"Location/{PHONES[0]}", "display": ADDRESSES[0]}}
    return json.dumps({"resourceType": "Bundle", "type": "searchset", "total": 3, "entry": [
        {"fullUrl": "https://ehr.example/fhir/Appointment/F-1",
         "resource": _appointment("F-1", f"Patient/{MRNS[1]}", LYSANDER, "fulfilled", "2026-11-17T15:00:00Z")},
        {"resource": _appointment("F-2", "#pat1", BARNABY, "booked", "2026-11-24T15:00:00Z", contained=[contained])},
        {"resource": bad},  # set aside: a phone number as the location
        {"resource": _contained_patient(MRNS[1], MRNS[1], (LY, PO), PHONES[1], EMAILS[4], BIRTH_DATES[2],
                                        ADDRESSES[0]), "search": {"mode": "include"}},
        {"resource": {"resourceType": "OperationOutcome", "issue": [{"severity": "warning", "code": "processing",
                                                                      "diagnostics": f"patient {THADDEUS} merged"}]}},
    ]}, indent=2).encode("utf-8")


def fhir_single() -> bytes:
    return json.dumps(_appointment("F-4", f"https://ehr.example/fhir/Patient/{MRNS[2]}/_history/3", PHILOMENA,
                                   "noshow", "2026-11-18T19:00:00Z")).encode("utf-8")


def fhir_transaction() -> bytes:
    return json.dumps({"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": _appointment("F-5", f"Patient/{MRNS[0]}", THADDEUS, "cancelled", "2026-11-21T15:00:00Z",
                                  cancelationReason={"coding": [{"code": "pat"}], "text": f"{T} is in rehab"}),
         "request": {"method": "PUT", "url": "Appointment/F-5"}},
        {"request": {"method": "DELETE", "url": f"Patient/{MRNS[0]}"}},
    ]}).encode("utf-8")


SESSION_COLUMNS = ["session_id", "appointment_id", "patient_id", "location_id", "chair_id", "provider_id", "chair_in",
                   "infusion_start", "infusion_end", "chair_out", "medication", "route", "dose_mg", "weight_kg",
                   "infusion_number", "bp_systolic_pre", "bp_diastolic_pre", "bp_systolic_max", "heart_rate_max",
                   "spo2_min", "phq9_pre", "phq9_post", "gad7_pre", "adverse_events", "aborted", "updated_at",
                   "notes", "patient_first_name", "patient_last_name", "patient_dob", "patient_phone",
                   "patient_email", "patient_name", "nurse", "Patient Address"]


def _session(session_id: str, **values: str) -> dict[str, str]:
    row = {
        "session_id": session_id, "appointment_id": "PV-1", "patient_id": MRNS[0], "location_id": "COL",
        "chair_id": "CHAIR-1", "provider_id": "P-OKAFOR", "chair_in": "2026-11-16 10:00",
        "infusion_start": "2026-11-16 10:10", "infusion_end": "2026-11-16 10:50", "chair_out": "2026-11-16 11:30",
        "medication": "ketamine", "route": "IV", "dose_mg": "40", "weight_kg": "80", "infusion_number": "1",
        "bp_systolic_pre": "120", "bp_diastolic_pre": "80", "bp_systolic_max": "140", "heart_rate_max": "90",
        "spo2_min": "97", "phq9_pre": "18", "phq9_post": "9", "gad7_pre": "12",
        "adverse_events": f"nausea; RN note: {T} vomited, husband {BARNABY} called from {PHONES[7]}",
        "aborted": "false", "updated_at": "", "notes": f"{NOTES[1]}; {THADDEUS} {PHONES[0]} {EMAILS[0]}",
        "patient_first_name": T, "patient_last_name": W, "patient_dob": BIRTH_DATES[0], "patient_phone": PHONES[0],
        "patient_email": EMAILS[0], "patient_name": THADDEUS, "nurse": f"RN Auchinleck re {THADDEUS}",
        "Patient Address": ADDRESSES[0],
    }
    row.update(values)
    return row


def _sessions() -> list[dict[str, str]]:
    return [
        _session("S-1"),  # accepted
        _session("S-2", appointment_id="", patient_id=MRNS[2], adverse_events=f"dizziness\n{PHILOMENA} fainted",
                 notes=f"{NOTES[2]}\n{EMAILS[2]}"),  # accepted: no appointment id, line breaks in free text
        _session(f"S-{PHONES[4]}", chair_id=PHONES[0], medication=EMAILS[1]),  # set aside
        _session("S-4", spo2_min=PHONES[4], dose_mg=PHONES[3], chair_out=EMAILS[3]),  # set aside
    ]


def sessions_csv() -> bytes:
    rows = _sessions()
    return _csv(SESSION_COLUMNS, [[r[c] for c in SESSION_COLUMNS] for r in rows])


def sessions_jsonl() -> bytes:
    rows = [{**r, "session_id": r["session_id"] + "-J", "patient": {"name": THADDEUS, "telecom": PHONES[5]}}
            for r in _sessions()]
    rows[0]["weight_kg"] = 80  # numbers as JSON numbers
    lines = [json.dumps(r) for r in rows]
    lines.append(f'{{"session_id": "S-5-J", "notes": "{NOTES[3]} {THADDEUS} {PHONES[0]}"')  # not JSON
    lines.append('{"session_id": ' + "[" * 100 + "]" * 100 + f', "notes": "{OTTOLINE}"}}')  # nested too deep
    lines.append(json.dumps([THADDEUS, PHONES[0], EMAILS[0]]))  # not an object
    return ("\n".join(lines) + "\n").encode("utf-8")


def _yelp_user(name: str, link: str) -> dict:
    return {"id": "wolf71", "profile_url": link, "image_url": SITE_LINKS[1], "name": name}


def yelp_reviews() -> bytes:
    return json.dumps({"reviews": [
        {"id": "yelp-r1", "url": "https://www.yelp.com/biz/x?hrid=yelp-r1", "rating": 5,
         "text": f"Call them at {PHONES[2]} or write to {EMAILS[4]}", "time_created": "2026-11-20 09:15:00",
         "user": _yelp_user(ROSALIND, SITE_LINKS[0])},
        {"id": "yelp-r2", "rating": 9, "text": f"{THADDEUS} from chair 2 says hi, {PHONES[1]}",
         "time_created": "2026-11-21 09:15:00", "user": _yelp_user(PERCIVAL, SITE_LINKS[0])},  # set aside
    ], "total": 2, "possible_languages": ["en"]}).encode("utf-8")


def yelp_details() -> bytes:
    return json.dumps({"id": "WavvLdfdP6g8aZTtbBQHTw", "alias": YELP_ID, "name": "Privacy Practice",
                       "rating": 4.5, "review_count": 31, "display_phone": "(803) 555-0100"}).encode("utf-8")


def places_legacy() -> bytes:
    return json.dumps({"html_attributions": [], "status": "OK", "result": {
        "place_id": PLACE_ID, "rating": 4.4, "user_ratings_total": 99, "reviews": [
            {"author_name": ROSALIND, "author_url": SITE_LINKS[2], "profile_photo_url": SITE_LINKS[1], "rating": 4,
             "language": "en", "relative_time_description": "a week ago", "time": 1763500000,
             "text": f"Front desk {PHONES[5]}, {EMAILS[5]}"},
            {"author_name": PERCIVAL, "author_url": SITE_LINKS[0], "rating": 0, "time": 1763600000,
             "text": f"{OTTOLINE} was in the next chair"},  # set aside
        ]}}).encode("utf-8")


def places_new() -> bytes:
    return json.dumps({"id": PLACE_ID, "rating": 4.6, "userRatingCount": 212, "reviews": [
        {"name": f"places/{PLACE_ID}/reviews/ChNew1", "rating": 5,
         "text": {"text": f"Ring {PHONES[6]}", "languageCode": "en"},
         "originalText": {"text": f"Ring {PHONES[6]}", "languageCode": "en"},
         "authorAttribution": {"displayName": ROSALIND, "uri": SITE_LINKS[2], "photoUri": SITE_LINKS[1]},
         "publishTime": "2026-11-18T15:42:07.123456789Z"},
        {"name": f"places/{PLACE_ID}/reviews/ChNew2", "rating": 6,
         "text": {"text": f"{EUSTACIA} cried all session", "languageCode": "en"},
         "originalText": {"text": f"{EUSTACIA} cried all session", "languageCode": "en"},
         "authorAttribution": {"displayName": PERCIVAL, "uri": SITE_LINKS[0], "photoUri": SITE_LINKS[1]},
         "publishTime": "2026-11-19T15:42:07Z"},  # set aside
    ]}).encode("utf-8")


def business_profile() -> bytes:
    parent = f"{BP_ACCOUNT}/locations/{BP_NUMBER}"

    def review(review_id: str, stars: str, comment: str, reviewer: str) -> dict:
        return {"name": f"{parent}/reviews/{review_id}", "reviewId": review_id,
                "reviewer": {"profilePhotoUrl": SITE_LINKS[1], "displayName": reviewer, "isAnonymous": False},
                "starRating": stars, "comment": comment, "createTime": "2026-11-20T10:00:00Z",
                "updateTime": "2026-11-21T10:00:00Z",
                "reviewReply": {"comment": f"Thank you, {reviewer}!", "updateTime": "2026-11-21T10:00:00Z"}}

    return json.dumps({"reviews": [
        review("BP-1", "FIVE", f"Text me on {PHONES[4]} or {EMAILS[1]}", ROSALIND),
        review("BP-2", "SEVEN", f"{LYSANDER} told me about it", PERCIVAL),  # set aside
    ], "averageRating": 4.5, "totalReviewCount": 2}).encode("utf-8")


def review_csv() -> bytes:
    header = ["site", "review_id", "location_id", "rating", "published_at", "text", "reviewer", "reviewer_email",
              "reviewer_phone", "profile_url", "Patient Name", "Contact"]
    return _csv(header, [
        ["healthgrades", "HG-1", "COL", "5", "2026-11-10", f"Reach me {PHONES[0]} / {EMAILS[2]}", ROSALIND,
         EMAILS[5], PHONES[5], SITE_LINKS[0], THADDEUS, f"{ADDRESSES[0]} {PHONES[1]}"],
        ["zocdoc", "ZD-1", "COL", "7", "2026-11-11", f"{PHILOMENA} was lovely", PERCIVAL, EMAILS[3], PHONES[3],
         SITE_LINKS[2], OTTOLINE, ADDRESSES[1]],  # set aside
        ["zocdoc", f"ZD-{PHONES[4]}", f"{EMAILS[0]}", "4", PHONES[7], "fine", PERCIVAL, EMAILS[3], PHONES[3],
         SITE_LINKS[2], OTTOLINE, ADDRESSES[1]],  # set aside: identifiers in the kept columns
    ])


# ---- hostile files ------------------------------------------------------------------------------------------

def headerless() -> bytes:
    return (f"A77,{MRNS[1]},{LYSANDER},{BIRTH_DATES[2]},{PHONES[0]},{ADDRESSES[0]}\n"
            f"A78,{MRNS[0]},{THADDEUS},{BIRTH_DATES[0]},{PHONES[4]},{EMAILS[0]}\n").encode()


def unbalanced_quote() -> bytes:
    header = ",".join(CANONICAL[:15])
    good = ",".join(_booking("UQ-1", "2026-11-16 14:00", referral_source="google")[:15])
    swallowing = ",".join(_booking("UQ-2", "2026-11-16 15:00",
                                   referral_source=f'"my cousin {LYSANDER} {PHONES[1]}')[:15])
    swallowed = ",".join(_booking("UQ-3", "2026-11-17 15:00", referral_source=f"{CLEMENTINE} {EMAILS[3]}",
                                  patient_id=MRNS[5])[:15])
    return f"{header}\n{good}\n{swallowing}\n{swallowed}\n".encode()


def surplus_cells() -> bytes:
    header = ",".join(CANONICAL[:15])
    good = ",".join(_booking("SC-1", "2026-11-16 16:00", referral_source="pcp")[:15])
    surplus = ",".join([*_booking("SC-2", "2026-11-17 16:00", referral_source="")[:15], THADDEUS, PHONES[4],
                        EMAILS[0], BIRTH_DATES[0]])
    return f"{header}\n{good}\n{surplus}\n".encode()


def duplicate_column() -> bytes:
    header = ",".join([*CANONICAL[:15], "Status "])
    row = ",".join([*_booking("DC-1", "2026-11-16 16:00", referral_source=THADDEUS)[:15], "No Show"])
    return f"{header}\n{row}\n".encode()


def not_utf8() -> bytes:
    return (",".join(CANONICAL[:15]) + "\n" + ",".join(_booking("NU-1", "2026-11-16 16:00")[:15])
            + f",Ren\xe9e {OTTOLINE}\n").encode("latin-1")


def build_home(root: Path, *, config: str = CONFIG) -> tuple[Home, list[Planted], Path]:
    """The planted home, its files' expected fates, and the outside file an inbox symlink points at."""
    home = Home(root / "home")
    home.make_dirs()
    home.config_file.write_text(config)
    files: list[Planted] = []

    def put(source: str, name: str, data: bytes, planted: Planted) -> None:
        (home.inbox(source) / name).write_bytes(data)
        files.append(planted)

    b, s, r = "bookings", "sessions", "reviews"
    name = f"bookings {PHONES[4]} ({EMAILS[0]}).csv"
    put(b, name, canonical_bookings(), Planted(b, name, 9, accepted=3))
    name = f"attendance_report_{PHONES[1]}.csv"
    put(b, name, simplepractice(), Planted(b, name, 3, accepted=2))
    name = f"jane_appointments_{PHONES[3]}.csv"
    put(b, name, jane(), Planted(b, name, 3, accepted=2))
    name = f"intake_form_responses_{BIRTH_DATES[1].replace('/', '-')}.csv"
    put(b, name, intake_form(), Planted(b, name, 3, accepted=3))
    name = f"intake_{MRNS[0]}.csv"
    put(b, name, canonical_intake(), Planted(b, name, 3, accepted=2, rules={"control_characters"}))
    name = f"fhir_searchset_{PHONES[5]}.json"
    put(b, name, fhir_searchset(), Planted(b, name, 3, accepted=2))
    name = f"appointment_{BIRTH_DATES[2]}.json"
    put(b, name, fhir_single(), Planted(b, name, 1, accepted=1))
    name = f"fhir_transaction_{PHONES[2]}.json"
    put(b, name, fhir_transaction(), Planted(b, name, 1, accepted=1))
    name = f"export_{PHONES[0]}.csv"
    put(b, name, headerless(), Planted(b, name, 0, rejected=True, reason="not a header"))
    name = f"bookings_quote_{PHONES[6]}.csv"
    put(b, name, unbalanced_quote(), Planted(b, name, 2, accepted=1, rules={"malformed_row"}))
    name = f"bookings surplus {EMAILS[2]}.csv"
    put(b, name, surplus_cells(), Planted(b, name, 2, accepted=1, rules={"malformed_row"}))
    name = f"bookings_twice_{BIRTH_DATES[4]}.csv"
    put(b, name, duplicate_column(), Planted(b, name, 0, rejected=True, reason="appears twice"))
    name = f"bookings_latin1_{PHONES[7]}.csv"
    put(b, name, not_utf8(), Planted(b, name, 0, rejected=True, reason="not UTF-8"))
    outside = root / f"outside_{PHONES[4]}.csv"
    outside.write_bytes(canonical_bookings())
    name = f"linked {EMAILS[1]}.csv"
    os.symlink(outside, home.inbox(b) / name)
    files.append(Planted(b, name, 0, rejected=True, reason=""))

    name = f"sessions_{PHONES[4]}.csv"
    put(s, name, sessions_csv(), Planted(s, name, 4, accepted=2))
    name = f"sessions {BIRTH_DATES[0]} {EMAILS[0]}.jsonl"
    put(s, name, sessions_jsonl(), Planted(s, name, 7, accepted=2))

    put(r, f"yelp__{YELP_ID}__reviews__{PLANTED_DAY}.json", yelp_reviews(),
        Planted(r, f"yelp__{YELP_ID}__reviews__{PLANTED_DAY}.json", 2, accepted=1))
    put(r, f"yelp__{YELP_ID}__details__{PLANTED_DAY}.json", yelp_details(),
        Planted(r, f"yelp__{YELP_ID}__details__{PLANTED_DAY}.json", 1, accepted=1))
    put(r, f"google__{PLACE_ID}__details__2026-11-23.json", places_legacy(),
        Planted(r, f"google__{PLACE_ID}__details__2026-11-23.json", 3, accepted=2))
    put(r, f"google__{PLACE_ID}__details__{PLANTED_DAY}.json", places_new(),
        Planted(r, f"google__{PLACE_ID}__details__{PLANTED_DAY}.json", 3, accepted=2))
    name = f"google_business_profile__{BP_NUMBER}__reviews__{PLANTED_DAY}.json"
    put(r, name, business_profile(), Planted(r, name, 3, accepted=2))
    name = f"reviews {EMAILS[5]} {PHONES[6]}.csv"
    put(r, name, review_csv(), Planted(r, name, 3, accepted=1))
    return home, files, outside
