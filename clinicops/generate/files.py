"""Writing the exports: the column orders, the CSV / JSON Lines sinks, and which file each booking version goes to."""

from __future__ import annotations

import bisect
import csv
import json
from datetime import date, datetime, time, timedelta
from pathlib import Path

from clinicops.generate.booking import _Appt, _Version
from clinicops.generate.layout import ZONE, _add_months

BOOKING_COLUMNS = (
    "appointment_id", "patient_id", "location_id", "provider_id", "resource_id", "appointment_type", "start",
    "duration_minutes", "end", "status", "created_at", "cancelled_at", "cancelled_by", "referral_source",
    "updated_at", "patient_first_name", "patient_last_name", "patient_dob", "patient_phone", "patient_email",
)
# the delta feed: another column order and an extra column, as a second export job would write it
CHANGE_COLUMNS = (
    "appointment_id", "updated_at", "status", "change_type", "start", "end", "duration_minutes", "location_id",
    "provider_id", "resource_id", "appointment_type", "patient_id", "created_at", "cancelled_at", "cancelled_by",
    "referral_source", "patient_last_name", "patient_first_name", "patient_dob", "patient_phone", "patient_email",
)
SESSION_COLUMNS = (
    "session_id", "appointment_id", "patient_id", "location_id", "chair_id", "provider_id", "chair_in",
    "infusion_start", "infusion_end", "chair_out", "medication", "route", "dose_mg", "weight_kg", "infusion_number",
    "bp_systolic_pre", "bp_diastolic_pre", "bp_systolic_max", "heart_rate_max", "spo2_min", "phq9_pre", "phq9_post",
    "gad7_pre", "adverse_events", "aborted", "notes", "updated_at",
)
REVIEW_CSV_COLUMNS = ("site", "review_id", "location_id", "rating", "published_at", "text")


class _Sinks:
    """Files written by this run: the first write truncates and writes the header, later writes append."""

    def __init__(self):
        self.started: set[Path] = set()
        self.rows: dict[Path, int] = {}

    def csv(self, path: Path, columns: tuple[str, ...], rows: list[dict], *, bom: bool = False,
            crlf: bool = False) -> None:
        first = path not in self.started
        with open(path, "w" if first else "a", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=columns, lineterminator="\r\n" if crlf else "\n", extrasaction="ignore")
            if first:
                if bom:
                    f.write("\ufeff")
                w.writeheader()
            w.writerows(rows)
        self.started.add(path)
        self.rows[path] = self.rows.get(path, 0) + len(rows)

    def jsonl(self, path: Path, rows: list[dict]) -> None:
        first = path not in self.started
        with open(path, "w" if first else "a", encoding="utf-8", newline="") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        self.started.add(path)
        self.rows[path] = self.rows.get(path, 0) + len(rows)


def _fmt(t: datetime | None, offset: bool, *, minutes: bool = False) -> str:
    if t is None:
        return ""
    if offset:
        return t.replace(tzinfo=ZONE).isoformat(timespec="seconds")
    # as strftime("%Y-%m-%d %H:%M[:%S]") writes it, several times faster
    text = f"{t.year:04d}-{t.month:02d}-{t.day:02d} {t.hour:02d}:{t.minute:02d}"
    return text if minutes else f"{text}:{t.second:02d}"


def _booking_row(a: _Appt, v: _Version, change: str = "") -> dict:
    p = a.patient
    end = v.start + timedelta(minutes=a.duration)
    return {
        "appointment_id": a.id,
        "patient_id": p.id,
        "location_id": a.location,
        "provider_id": a.provider,
        "resource_id": a.resource,
        "appointment_type": a.type_word,
        "start": _fmt(v.start, v.offset, minutes=True),
        "duration_minutes": "" if a.use_end else str(a.duration),
        "end": _fmt(end, v.offset, minutes=True) if a.use_end else "",
        "status": v.word,
        "created_at": _fmt(a.created, v.offset),
        "cancelled_at": _fmt(v.cancelled_at, v.offset),
        "cancelled_by": v.cancelled_by,
        "referral_source": a.referral,
        "updated_at": _fmt(v.updated, v.offset),
        "patient_first_name": p.first,
        "patient_last_name": p.last,
        "patient_dob": p.dob.isoformat(),
        "patient_phone": p.phone,
        "patient_email": p.email,
        "change_type": change or v.change,
    }


def _month_key(t: datetime | date) -> str:
    return f"{t.year:04d}-{t.month:02d}"


class _BookingFiles:
    """Where each version of an appointment is written: the export of its creation month (the latest version
    by that month's end), else the weekly delta file of the week the change happened in."""

    def __init__(self, inbox: Path, start: date, end_date: date, as_of: datetime, *,
                 held_from: datetime | None = None, day_file: Path | None = None):
        self.inbox, self.as_of = inbox, as_of
        # versions after `held_from` go to `day_file` instead (the next night's file, for the incremental bench)
        self.held_from, self.day_file = held_from, day_file
        self._exports: dict[str, Path] = {}
        self._changes: dict[int, Path] = {}
        self.cutoff: dict[str, datetime] = {}
        d = start.replace(day=1)
        while d <= end_date:
            nxt = _add_months(d, 1)
            self.cutoff[_month_key(d)] = min(datetime.combine(nxt, time()), as_of)
            d = nxt
        monday = start + timedelta(days=(7 - start.weekday()) % 7 or 7)
        self.weeks: list[date] = []
        while monday < end_date:
            self.weeks.append(monday)
            monday += timedelta(days=7)
        self.weeks.append(end_date)
        self.week_ends = [datetime.combine(d, time()) for d in self.weeks[:-1]]
        self.first_export = self.export(_month_key(start))

    def export(self, month: str) -> Path:
        if month not in self._exports:
            self._exports[month] = self.inbox / f"bookings_export_{month}.csv"
        return self._exports[month]

    def change(self, i: int) -> Path:
        if i not in self._changes:
            self._changes[i] = self.inbox / f"bookings_changes_{self.weeks[i].isoformat()}.csv"
        return self._changes[i]

    def route(self, appts: list[_Appt]) -> tuple[dict[Path, list[dict]], list[tuple[int, _Appt]]]:
        """Rows per file, and (delta file index, appointment) of each appointment's last delta row."""
        files: dict[Path, list[dict]] = {}
        last_delta: list[tuple[int, _Appt]] = []
        for a in sorted(appts, key=lambda x: (x.created, x.id)):
            month = _month_key(a.created)
            cutoff = self.cutoff[month] if self.held_from is None else min(self.cutoff[month], self.held_from)
            before = [v for v in a.versions if v.updated <= cutoff]
            if before:  # always, unless the appointment was made after held_from
                files.setdefault(self.export(month), []).append(_booking_row(a, before[-1]))
            weekly: dict[int, _Version] = {}
            held: _Version | None = None
            for v in a.versions[len(before):]:
                if self.held_from is not None and v.updated > self.held_from:
                    held = v
                    continue
                weekly[min(bisect.bisect_right(self.week_ends, v.updated), len(self.weeks) - 1)] = v
            if held is not None and self.day_file is not None:
                files.setdefault(self.day_file, []).append(_booking_row(a, held))
            for i, v in weekly.items():
                files.setdefault(self.change(i), []).append(_booking_row(a, v))
            if weekly:
                last_delta.append((max(weekly), a))
        return files, last_delta



def _session_out(row: dict, *, json_values: bool) -> dict:
    out = {}
    for key in SESSION_COLUMNS:
        value = row[key]
        if isinstance(value, datetime):
            value = value.isoformat(timespec="seconds")
        if json_values:
            out[key] = None if value == "" else value
        else:
            out[key] = "true" if value is True else "false" if value is False else "" if value is None else value
    return out

