"""Dashboard, expertise and network figures on a hand-computed programme."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from knowflow.errors import DomainError, Forbidden
from knowflow.insights import services
from knowflow.insights.selectors import figures, periods, rollups
from tests.insights.conftest import Programme

pytestmark = pytest.mark.django_db


def period() -> periods.Period:
    return periods.preset_period("last-30-days")


def test_dashboard_figures_match_the_hand_computed_programme(programme: Programme) -> None:
    data = figures.dashboard_figures(period=period())
    assert data["sessions_run"] == 2  # the cancelled session and the future date do not count
    assert data["occurrences_run"] == 2
    # room: Pat One 1 h + Pat Four 1.5 h; online: Pat Two 1 h + Pat One 1.5 h; recording: Pat Three 1 h
    assert data["learning_hours"] == {"room": 2.5, "online": 2.5, "recording": 1.0, "total": 6.0}
    assert data["unique_learners"] == 4
    assert data["org_people"] == 8
    assert data["learner_share"] == 50.0
    assert (data["registrations_going"], data["live_attendances"], data["attendance_rate"]) == (
        5,
        4,
        80.0,
    )
    assert (data["speakers_distinct"], data["speakers_first_time"]) == (2, 2)
    assert data["reach"]["org_unit"] == [
        {"label": "Team B", "learners": 2},
        {"label": "Team A", "learners": 1},
        {"label": "Team C", "learners": 1},
    ]
    assert data["reach"]["office"] == [
        {"label": "Berlin", "learners": 2},
        {"label": "New York", "learners": 2},
    ]
    assert data["equity"] == [
        {
            "region": "AMER",
            "zone": "America/New_York",
            "people": 3,
            "people_share": 37.5,
            "occurrences_inside": 1,
            "share_inside_working_hours": 50.0,
            "attendances": 2,
            "attendance_share": 40.0,
        },
        {
            "region": "EMEA",
            "zone": "Europe/Berlin",
            "people": 5,
            "people_share": 62.5,
            "occurrences_inside": 1,
            "share_inside_working_hours": 50.0,
            "attendances": 3,
            "attendance_share": 60.0,
        },
    ]


def test_previous_period_is_empty_and_of_the_same_length(programme: Programme) -> None:
    before = period().previous()
    assert before.end == period().start
    assert before.end - before.start == period().end - period().start
    assert figures.dashboard_figures(period=before)["sessions_run"] == 0


def test_expertise_counts_delivery_preparation_audience_and_units(programme: Programme) -> None:
    rows = {r["name"]: r for r in figures.expertise_figures(period=period())["rows"]}
    sam, sue = rows["Sam Speaker"], rows["Sue Speaker"]
    assert (sam["delivery_hours"], sam["preparation_hours"], sam["hours_shared"]) == (1.0, 3.0, 4.0)
    assert (sam["audience"], sam["units_reached"], sam["only_own_unit"]) == (3, 2, False)
    assert (sue["delivery_hours"], sue["preparation_hours"], sue["hours_shared"]) == (1.5, 4.5, 6.0)
    assert (sue["audience"], sue["units_reached"]) == (2, 2)


def test_network_links_units_and_finds_isolated_ones_and_bridging_circles(
    programme: Programme,
) -> None:
    data = figures.network_figures(period=period())
    assert [(e["a"], e["b"], e["weight"]) for e in data["edges"]] == [
        ("Team A", "Team B", 2),
        ("Team B", "Team C", 1),
    ]
    assert data["isolated"] == ["Team D"]
    assert data["bridging_circles"] == [{"circle": "Testing Guild", "unit_pairs": 1}]
    assert sum(g["new_links"] for g in data["growth"]) == 2


def test_member_is_refused_the_dashboard(programme: Programme) -> None:
    with pytest.raises(Forbidden):
        rollups.dashboard_for(viewer=programme.member, period=period())


def test_custom_period_needs_both_dates_in_order() -> None:
    from datetime import date

    with pytest.raises(DomainError) as missing:
        periods.period_from(start=date(2025, 1, 1))
    with pytest.raises(DomainError) as backwards:
        periods.period_from(start=date(2025, 2, 1), end=date(2025, 1, 1))
    assert (missing.value.field, backwards.value.field) == ("end", "end")
    with pytest.raises(DomainError):
        periods.period_from(preset="last-century")


def test_rollup_serves_the_dashboard_in_one_query_with_its_age(programme: Programme) -> None:
    services.rollups_refresh()
    with CaptureQueriesContext(connection) as queries:
        board = rollups.dashboard_for(
            viewer=programme.enabler, period=periods.preset_period("last-30-days")
        )
    assert len(queries) == 1
    assert board.from_rollup is True
    assert board.figures["sessions_run"] == 2
    assert board.age_minutes == 0


def test_live_dashboard_query_count_does_not_grow_with_the_data(programme: Programme) -> None:
    from tests.factories import make_occurrence, make_session

    with CaptureQueriesContext(connection) as small:
        rollups.compute_all(period=period())
    for i in range(5):
        session = make_session(title=f"More {i}", speakers=[programme.s1])
        make_occurrence(session=session, start=programme.o1.start + timedelta(hours=i + 1))
    with CaptureQueriesContext(connection) as large:
        rollups.compute_all(period=period())
    assert len(large) == len(small)


def test_rollup_made_without_a_viewer_carries_the_evidence_ladder(programme: Programme) -> None:
    # The worker has no signed-in person: the ladder's counts still reach the dashboard.
    services.rollups_refresh()
    board = rollups.dashboard_for(
        viewer=programme.enabler, period=periods.preset_period("last-30-days")
    )
    assert board.from_rollup is True
    assert board.figures["evidence"] == {
        "observed": {"attendance": 2, "application": 0, "results": 0},
        "self_reported": {
            "attendance": 0,
            "reaction": 0,
            "learning": 0,
            "application": 0,
            "results": 0,
        },
        "sessions_with_feedback": 0,
    }
