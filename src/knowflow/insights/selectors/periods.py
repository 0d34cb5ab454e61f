"""Reporting periods: the presets the dashboard offers, and a custom one from two dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone

from knowflow.errors import DomainError


@dataclass(frozen=True)
class Period:
    name: str
    start: datetime
    end: datetime

    def previous(self) -> Period:
        length = self.end - self.start
        return Period(name=f"before {self.name}", start=self.start - length, end=self.start)

    def to_dict(self) -> dict:
        return {"name": self.name, "start": self.start.isoformat(), "end": self.end.isoformat()}


PRESETS = {"last-30-days": 30, "last-90-days": 90, "last-365-days": 365}
DEFAULT_PRESET = "last-90-days"
# What pages call each preset; the codes stay in URLs, rollups, exports and the API.
PRESET_LABELS = {
    "last-30-days": "Last 30 days",
    "last-90-days": "Last 90 days",
    "last-365-days": "Last 365 days",
}


def period_label(name: str) -> str:
    """A period's name in words: "Last 90 days" for a preset, the dates of a custom one."""
    return PRESET_LABELS.get(name, name)


def preset_period(name: str, *, now: datetime | None = None) -> Period:
    """A named period ending today at midnight UTC (so a day's rollup stays valid all day)."""
    days = PRESETS[name]
    now = now or timezone.now()
    end = datetime.combine(now.date() + timedelta(days=1), time.min, tzinfo=now.tzinfo)
    return Period(name=name, start=end - timedelta(days=days), end=end)


def period_from(*, preset: str = "", start: date | None = None, end: date | None = None) -> Period:
    """A preset period, or a custom one from ``start`` to ``end`` (both days included)."""
    if start or end:
        if not (start and end):
            raise DomainError(
                "Give both a start and an end date.", field="start" if not start else "end"
            )
        if end < start:
            raise DomainError("The period ends before it starts.", field="end")
        return Period(
            name=f"{start.isoformat()} to {end.isoformat()}",
            start=datetime.combine(start, time.min, tzinfo=UTC),
            end=datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC),
        )
    preset = preset or DEFAULT_PRESET
    if preset not in PRESETS:
        raise DomainError(
            f"Unknown period '{preset}'; use one of: {', '.join(PRESETS)}.", field="period"
        )
    return preset_period(preset)
