"""The slot calendar: busy 15-minute slots per chair, room and provider, so nothing is double-booked."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from clinicops.generate.layout import SLOT, WEEKDAYS, _Loc, _Prov


def _span_minutes(text: str) -> list[tuple[int, int]]:
    spans = []
    for part in text.split(","):
        a, b = part.strip().split("-")
        spans.append((int(a[:2]) * 60 + int(a[3:]), int(b[:2]) * 60 + int(b[3:])))
    return spans


def _week_masks(week: dict[str, str]) -> list[int]:
    masks = [0] * 7
    for i, day in enumerate(WEEKDAYS):
        for s, e in _span_minutes(week[day]) if day in week else []:
            for slot in range(-(-s // SLOT), e // SLOT):
                masks[i] |= 1 << slot
    return masks


class _Calendar:
    """Busy 15-minute slots per (chair, room or provider, date), as integer bit masks."""

    def __init__(self, loc: _Loc, provs: list[_Prov], closures: list[date]):
        self.loc = loc
        self.hours = _week_masks(loc.hours)
        self.closed = frozenset(closures)
        self.avail = {p.id: _week_masks(p.availability) for p in provs}
        self.busy: dict[tuple[str, date], int] = {}
        self._orders: dict[tuple[int, int], list[int]] = {}

    def open_mask(self, d: date) -> int:
        return 0 if d in self.closed else self.hours[d.weekday()]

    def _order(self, pref: int, step: int) -> list[int]:
        """Slots by distance from the preferred one, on a grid of `step` slots."""
        key = (pref, step)
        if key not in self._orders:
            self._orders[key] = sorted(range(0, 96, step), key=lambda s: (abs(s - pref), s))
        return self._orders[key]

    def free(self, key: str, d: date, mask: int) -> bool:
        return not self.busy.get((key, d), 0) & mask

    def hold(self, key: str, d: date, mask: int) -> None:
        self.busy[(key, d)] = self.busy.get((key, d), 0) | mask

    def release(self, key: str, d: date, mask: int) -> None:
        self.busy[(key, d)] = self.busy.get((key, d), 0) & ~mask

    def place(self, *, duration: int, target: date, earliest: datetime, last_day: date, pref: int,
              providers: list[str], chairs: tuple[str, ...], rooms: tuple[str, ...],
              step: int) -> tuple[datetime, str, str] | None:
        """The first free (start, provider, resource) from `target` on, nearest the preferred slot; None when
        nothing is free within three weeks. Chairs are required when given; a room is taken when one is free."""
        span = -(-duration // SLOT)
        need = (1 << span) - 1
        for offset in range(21):
            d = target + timedelta(days=offset)
            if d > last_day:
                return None
            open_ = self.open_mask(d)
            if not open_ or d < earliest.date():
                continue
            min_slot = -(-(earliest.hour * 60 + earliest.minute + 30) // SLOT) if d == earliest.date() else 0
            wd = d.weekday()
            # free slots per provider and chair that day; `usable` is a quick necessary condition
            pfree = [(p, open_ & self.avail[p][wd] & ~self.busy.get((p, d), 0)) for p in providers]
            usable = 0
            for _, f in pfree:
                usable |= f
            cfree = [(c, open_ & ~self.busy.get((c, d), 0)) for c in chairs]
            if chairs:
                any_chair = 0
                for _, f in cfree:
                    any_chair |= f
                usable &= any_chair
            # start slots s (from min_slot on) whose whole span lies in `usable`: bit s of `fits`
            fits = usable & ~((1 << min_slot) - 1)
            for k in range(1, span):
                fits &= usable >> k
            if not fits:
                continue
            for s in self._order(pref, step):
                if not fits >> s & 1:
                    continue
                m = need << s
                prov = next((p for p, f in pfree if f & m == m), None)
                if prov is None:
                    continue
                res = next((c for c, f in cfree if f & m == m), None)
                if chairs and res is None:
                    continue
                if not chairs:
                    res = next((r for r in rooms if self.free(r, d, m)), "")
                self.hold(prov, d, m)
                if res:
                    self.hold(res, d, m)
                start = datetime.combine(d, time()) + timedelta(minutes=s * SLOT)
                return start, prov, res
        return None


