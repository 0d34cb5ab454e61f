"""Explanations of a proposal: who is inside hours, early, late, off or busy, per label."""

from __future__ import annotations

from datetime import datetime

from knowflow.scheduling.availability import (
    Invitee,
    WorkingHours,
    availability_build,
    candidate_grid,
    epoch_seconds,
)
from knowflow.scheduling.explain import explain_start


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_explain_start_groups_situations_by_label() -> None:
    weekdays = WorkingHours.weekly(start="09:00", end="17:00", workdays=range(5))
    busy = (
        (epoch_seconds(utc("2025-10-28T14:00:00Z")), epoch_seconds(utc("2025-10-28T15:00:00Z"))),
    )
    invitees = [
        Invitee(id="ana", tz="Europe/London", hours=weekdays, label="EMEA"),
        Invitee(id="ben", tz="Europe/Berlin", hours=weekdays, label="EMEA", busy=busy),
        Invitee(id="cy", tz="America/Los_Angeles", hours=weekdays, label="AMER", weight=2),
        Invitee(id="dev", tz="Asia/Kolkata", hours=weekdays, label="APAC"),
        Invitee(
            id="eli",
            tz="Asia/Riyadh",
            hours=WorkingHours.weekly(start="09:00", end="17:00", workdays=(6, 0, 1, 2, 3)),
            label="OTHER",
        ),
    ]
    grid = candidate_grid(
        window_start=utc("2025-10-28T14:00:00Z"),
        window_end=utc("2025-10-28T15:00:00Z"),
        step_min=30,
        duration_min=60,
    )

    explanation = explain_start(availability_build(invitees, grid), 0)

    assert {
        label: [(s.invitee_id, s.local_start, s.status) for s in item.situations]
        for label, item in explanation.items()
    } == {
        "AMER": [("cy", "Tue 07:00 America/Los_Angeles", "early")],
        "APAC": [("dev", "Tue 19:30 Asia/Kolkata", "late")],
        "EMEA": [
            ("ana", "Tue 14:00 Europe/London", "inside"),
            ("ben", "Tue 15:00 Europe/Berlin", "busy"),
        ],
        "OTHER": [("eli", "Tue 17:00 Asia/Riyadh", "late")],
    }
    assert (explanation["EMEA"].inside_weight, explanation["EMEA"].total_weight) == (1.0, 2.0)
    assert explanation["AMER"].total_weight == 2.0
