"""The per-session tallies that the programme and evidence views read stay equal to the
responses: written with each response, and rebuilt the same from the per-occurrence ones."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.db.models import Sum

from knowflow.accounts.models import Person
from knowflow.events.models import Attendance
from knowflow.feedback.models import TALLY_COLUMNS, Response, SessionTally
from knowflow.feedback.services.responses import survey_response_submit
from tests.conftest import signed_in
from tests.factories import make_person
from tests.feedback.helpers import GOOD, attend, ended_occurrence, open_requests, people

pytestmark = pytest.mark.django_db


def snapshot() -> list[tuple]:
    return list(
        SessionTally.objects.values_list("session_id", "template_id", "kind", "mode")
        .annotate(*(Sum(column) for column in TALLY_COLUMNS))
        .order_by("session_id", "kind", "mode")
    )


def test_each_response_is_counted_once_per_session_and_mode_and_a_rebuild_agrees() -> None:
    first = ended_occurrence(days_ago=3)
    second = ended_occurrence(session=first.session, days_ago=1)
    attend(first, people(3))
    attend(second, people(2), mode=Attendance.Mode.ONLINE)
    attend(second, people(1))
    for occurrence in (first, second):
        for request, _ in open_requests(occurrence).values():
            survey_response_submit(request=request, answers={**GOOD, "apply_now": "not_at_all"})
    counted = snapshot()
    by_mode = {mode: n for _s, _t, _k, mode, n, *_ in counted}
    assert by_mode == {"room": 4, "online": 2}
    assert sum(n for *_, n, _u, _a, _s, _aa, _ay in counted) == Response.objects.count() == 6
    # "not at all" is unacceptable: one per response in this template's standards.
    assert sum(row[5] for row in counted) >= 6

    out = io.StringIO()
    call_command("feedback_tallies_rebuild", stdout=out, stderr=io.StringIO())
    assert "2 session tally rows written" in out.getvalue()
    assert snapshot() == counted


def answered(occurrence: object, n: int, answers: dict) -> None:
    attend(occurrence, people(n))
    for request, _ in open_requests(occurrence).values():
        survey_response_submit(request=request, answers=answers)


def per_session() -> dict[int, int]:
    return dict(
        SessionTally.objects.values_list("session_id").annotate(Sum("responses")).order_by()
    )


def test_a_date_deleted_or_moved_in_the_admin_takes_its_responses_out_of_the_session() -> None:
    # Date A: 5 acceptable answers; date B: 2 unacceptable. Were B's 2 still counted per
    # session after B is deleted, the programme (7) minus the results page (5) would show them.
    admin = signed_in(make_person(role=Person.Role.ADMIN))
    first = ended_occurrence(days_ago=3)
    second = ended_occurrence(session=first.session, days_ago=1)
    answered(first, 5, GOOD)
    answered(second, 2, {**GOOD, "apply_now": "not_at_all"})
    assert per_session() == {first.session_id: 7}

    deleted = admin.post(f"/admin/events/occurrence/{second.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert per_session() == {first.session_id: 5}

    other = ended_occurrence(days_ago=2)
    page = admin.get(f"/admin/events/occurrence/{first.pk}/change/").content.decode()
    fields = dict(re.findall(r'name="(\w+)"[^>]*value="([^"]*)"', page))
    moved = admin.post(
        f"/admin/events/occurrence/{first.pk}/change/",
        {**fields, "session": other.session_id, "room": ""},
    )
    assert moved.status_code == 302, moved.content.decode()[:2000]
    assert per_session() == {other.session_id: 5}

    other.session.delete()  # the whole session: its tallies go with it
    assert per_session() == {}
