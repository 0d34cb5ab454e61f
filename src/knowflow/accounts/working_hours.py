"""Working hours: one local-time window per weekday, possibly crossing midnight.

Stored as seven entries, Monday first, each ``None`` (not a working day) or ``["09:00",
"17:00"]``. An end earlier than the start means the window ends on the next day (a night
shift: ``["22:00", "06:00"]``). Conversions to UTC go through ``zoneinfo`` date by date, so a
window keeps its local wall-clock times across a DST change.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class InvalidWorkingHours(ValueError):
    pass


def parse_clock(value: str) -> time:
    match = _HHMM.match(value.strip())
    if not match:
        raise InvalidWorkingHours(f"'{value}' is not a time of day like 09:00.")
    return time(int(match.group(1)), int(match.group(2)))


@dataclass(frozen=True)
class Window:
    start: time
    end: time

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start

    def label(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


@dataclass(frozen=True)
class WorkingHours:
    days: tuple[Window | None, ...]  # seven entries, Monday first

    @classmethod
    def default(cls) -> WorkingHours:
        nine_to_five = Window(time(9), time(17))
        return cls(days=(nine_to_five,) * 5 + (None, None))

    @classmethod
    def from_json(cls, raw: object) -> WorkingHours:
        if not isinstance(raw, list) or len(raw) != 7:
            raise InvalidWorkingHours("Working hours need one entry per weekday (seven).")
        days: list[Window | None] = []
        for weekday, entry in zip(WEEKDAYS, raw, strict=True):
            if entry in (None, "", []):
                days.append(None)
                continue
            if not isinstance(entry, (list, tuple)) or len(entry) != 2:
                raise InvalidWorkingHours(f"{weekday}: give a start and an end, like 09:00–17:00.")
            start, end = parse_clock(str(entry[0])), parse_clock(str(entry[1]))
            if start == end:
                raise InvalidWorkingHours(f"{weekday}: the start and the end are the same.")
            days.append(Window(start, end))
        return cls(days=tuple(days))

    @classmethod
    def from_text(cls, values: list[str]) -> WorkingHours:
        """Parse seven ``"09:00-17:00"`` strings (empty: not a working day), as typed in a form."""
        raw: list[list[str] | None] = []
        for weekday, value in zip(WEEKDAYS, values, strict=True):
            value = value.strip().replace("–", "-")
            if not value:
                raw.append(None)
                continue
            parts = value.split("-")
            if len(parts) != 2:
                raise InvalidWorkingHours(f"{weekday}: write hours as 09:00-17:00.")
            raw.append([parts[0].strip(), parts[1].strip()])
        return cls.from_json(raw)

    def to_json(self) -> list[list[str] | None]:
        return [
            None if window is None else [f"{window.start:%H:%M}", f"{window.end:%H:%M}"]
            for window in self.days
        ]

    def to_text(self) -> list[str]:
        return [
            "" if window is None else f"{window.start:%H:%M}-{window.end:%H:%M}"
            for window in self.days
        ]

    def windows_utc(
        self, zone: ZoneInfo, start: datetime, end: datetime
    ) -> Iterator[tuple[datetime, datetime]]:
        """Yield the UTC intervals of the working windows that overlap ``[start, end)``."""
        utc = ZoneInfo("UTC")
        first: date = start.astimezone(zone).date() - timedelta(days=1)
        last: date = end.astimezone(zone).date()
        day = first
        while day <= last:
            window = self.days[day.weekday()]
            if window is not None:
                end_day = day + timedelta(days=1) if window.crosses_midnight else day
                w_start = datetime.combine(day, window.start, tzinfo=zone).astimezone(utc)
                w_end = datetime.combine(end_day, window.end, tzinfo=zone).astimezone(utc)
                if w_end > start and w_start < end:
                    yield w_start, w_end
            day += timedelta(days=1)

    def covers(self, zone: ZoneInfo, start: datetime, end: datetime) -> bool:
        """True when the whole of ``[start, end)`` lies inside one working window."""
        return any(ws <= start and end <= we for ws, we in self.windows_utc(zone, start, end))
