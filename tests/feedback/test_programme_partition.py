"""The programme view's SQL hides exactly the cells the pure rule hides.

The programme view checks each session's split by attendance mode or office in one SQL
statement (`feedback.selectors.programme`), not by calling `visible_cells`; if the two ever
disagreed, the programme and a session's results page would show different cells, and
together they could be subtracted to single someone out. Hypothesis writes sessions'
tallies (sizes, ties, people without an office, k from 1 to 6) and compares.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowflow.accounts.models import Person
from knowflow.anonymity.partition import visible_cells
from knowflow.feedback.models import Kind, ResponseTally, SessionTally, SurveyTemplate
from knowflow.feedback.selectors.anonymity import SegmentFilters
from knowflow.feedback.selectors.programme import ProgrammeFilters, programme_view
from tests.factories import make_occurrence, make_office, make_person

pytestmark = pytest.mark.django_db

MODES = ("online", "recording", "room")
OFFICES = (None, 0, 1, 2)  # an index into the offices written for the example; None: no office

# One segment: people of one attendance mode and office who answered (at least one).
segment = st.tuples(st.sampled_from(MODES), st.sampled_from(OFFICES), st.integers(1, 9))
sessions = st.lists(st.lists(segment, min_size=1, max_size=5), min_size=1, max_size=4)


def shown_by_rule(cells: dict, k: int, value: object) -> dict[int, int]:
    """{session: responses of its `value` cell} for the sessions where the rule shows it."""
    return {
        session: split[value]
        for session, split in cells.items()
        if value in visible_cells(split, k=k)
    }


def programme(enabler: Person, **kwargs: object) -> dict[object, int]:
    view = programme_view(viewer=enabler, filters=ProgrammeFilters(**kwargs), limit=1000)
    return {row.key: row.n for row in view.rows}


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=sessions, k=st.integers(1, 6))
def test_programme_sql_shows_exactly_the_cells_the_rule_shows(
    data: list[list[tuple[str, int | None, int]]], k: int
) -> None:
    with transaction.atomic(), override_settings(KNOWFLOW_FEEDBACK_MIN_GROUP=k):
        enabler = make_person(role=Person.Role.ENABLER)
        offices = [make_office() for _ in range(3)]
        template = SurveyTemplate.objects.filter(kind=Kind.AFTER_SESSION).first()
        by_mode: dict[int, dict[str, int]] = {}
        by_office: dict[int, dict[int | None, int]] = {}
        for segments in data:
            occurrence = make_occurrence(start=timezone.now() - timedelta(days=2))
            session = occurrence.session_id
            by_mode[session], by_office[session] = defaultdict(int), defaultdict(int)
            for mode, office, n in segments:
                office_id = None if office is None else offices[office].pk
                by_mode[session][mode] += n
                by_office[session][office_id] += n
                ResponseTally.objects.create(
                    occurrence=occurrence,
                    template=template,
                    kind=Kind.AFTER_SESSION,
                    mode=mode,
                    office_id=office_id,
                    responses=n,
                )
            for mode, n in by_mode[session].items():
                SessionTally.objects.create(
                    session_id=session,
                    template=template,
                    kind=Kind.AFTER_SESSION,
                    mode=mode,
                    responses=n,
                )

        # No cut: a session shows whole, when it holds k or more.
        totals = {session: sum(split.values()) for session, split in by_mode.items()}
        assert programme(enabler) == {s: n for s, n in totals.items() if n >= k}
        # A mode cut (read from the per-session tallies), one mode at a time.
        for mode in MODES:
            cut = SegmentFilters(mode=mode)
            assert programme(enabler, segment=cut) == shown_by_rule(by_mode, k, mode), mode
        # An office cut (read from the per-occurrence tallies; None is a cell, never chosen).
        for office in offices:
            cut = SegmentFilters(office_id=office.pk)
            expected = shown_by_rule(by_office, k, office.pk)
            assert programme(enabler, segment=cut) == expected, office.name
        # Grouped by mode: every cell the rule shows, summed per mode.
        per_mode: dict[str, int] = defaultdict(int)
        for mode in MODES:
            for n in shown_by_rule(by_mode, k, mode).values():
                per_mode[mode] += n
        assert programme(enabler, group_by="mode") == dict(per_mode)
        transaction.set_rollback(True)
