"""A bookings CSV read through the mapping profile its name matches (`profiles.py`).

The canonical layout is read by `bookings.read_bookings_csv` exactly as before; any other profile reads
the export's own columns with the same hostile-input rules (`read_delimited`), maps them to the canonical
text columns a batch at a time, and hands them to `booking_batch`. A CSV that no profile matches and that
is not the canonical layout is rejected by name.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from clinicops.sources.bookings import FREE_TEXT, booking_batch, read_bookings_csv
from clinicops.sources.common import Batch, FileRejected, ReadContext
from clinicops.sources.delimited import TextRows, read_delimited
from clinicops.sources.profiles import Profile, ProfileError, map_columns, profile_for
from clinicops.sources.vocabulary import AppointmentTypes


def profile_rows(path: Path, name: str, profile: Profile, batch_rows: int = 50_000) -> Iterator[TextRows]:
    """The export's records mapped to canonical text columns, in batches (read problems and lines kept)."""
    free_text = [c for target, spec in profile.columns.items() if target in FREE_TEXT and isinstance(spec, tuple)
                 for c in spec]
    from clinicops.sources.delimited import header_key

    for rows in read_delimited(path, name, required=profile.required_source_columns(),
                               known=profile.source_columns(), free_text=[header_key(c) for c in free_text],
                               delimiter=profile.delimiter, skip_rows_after_header=profile.skip_rows_after_header,
                               batch_rows=batch_rows):
        mapped = map_columns(rows.columns, rows.num_rows, profile)
        yield TextRows(columns=mapped, lines=rows.lines, last_lines=rows.last_lines, problem=rows.problem,
                       problem_column=rows.problem_column)


def choose_profile(ctx: ReadContext) -> Profile | None:
    """The practice's and the shipped booking profiles first, then the intake profiles, the canonical
    bookings layout last."""
    try:
        booking = profile_for(ctx.file_name, ctx.profiles_dir)
        if booking is not None and not booking.is_fallback:
            return booking
        return profile_for(ctx.file_name, ctx.profiles_dir, kind="intake") or booking
    except ProfileError as e:
        raise FileRejected(f"{ctx.file_name}: no mapping profile could be used ({e})") from None


def read_bookings(path: Path, ctx: ReadContext) -> Iterator[Batch]:
    """A CSV in inbox/bookings: through the profile its name matches (an intake export through an intake
    profile), else as the canonical bookings layout."""
    profile = choose_profile(ctx)
    if profile is not None and profile.kind == "intake":
        from clinicops.sources.intake import read_intake_with

        yield from read_intake_with(path, ctx, profile)
        return
    if profile is None or profile.is_canonical:
        try:
            yield from read_bookings_csv(path, ctx)
        except FileRejected as e:
            reason = str(e).removeprefix(f"{ctx.file_name}: ")
            if "column" not in reason and "header" not in reason:
                raise
            raise FileRejected(f"{ctx.file_name}: no mapping profile matches this file name and it is not the "
                               f"canonical bookings layout ({reason})") from None
        return
    types = AppointmentTypes(ctx.config)
    for rows in profile_rows(path, ctx.file_name, profile, ctx.batch_rows):
        yield Batch("bookings", booking_batch(rows, ctx, types, profile.name))
