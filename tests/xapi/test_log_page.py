"""The learning record store's delivery log: admins see where statements go and how each
delivery went (status, the LRS's answer, the last error), never whom a statement names."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.events.attendance import attendance_record
from knowflow.events.models import Attendance
from knowflow.outbound.services import outbound_deliver_due
from tests.conftest import signed_in
from tests.factories import make_person
from tests.feedback.helpers import ended_occurrence
from tests.xapi.lrs import Lrs

pytestmark = pytest.mark.django_db


def _cells(html: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", cell).strip()
        for cell in re.findall(r'<td data-label="[^"]+">(.*?)</td>', html, flags=re.S)
    ]


def test_an_admin_sees_each_delivery_and_the_lrs_answer_but_not_who(lrs: Lrs) -> None:
    speaker = make_person()
    occurrence = ended_occurrence(speakers=[speaker])
    learner = make_person(name="Grace Learner")
    attendance_record(
        occurrence=occurrence, person=learner, mode=Attendance.Mode.ROOM, actor=speaker
    )
    with override_settings(KNOWFLOW_XAPI_PASSWORD="wrong"):
        outbound_deliver_due(now=timezone.now() + timedelta(seconds=1))
    admin = make_person(role=Person.Role.ADMIN)

    page = signed_in(admin).get("/settings/xapi/").content.decode()

    assert f"xAPI statements go to <strong>{lrs.url}</strong>" in page
    cells = _cells(page)
    assert cells[1:5] == [
        f"Attended: {occurrence.session.title}",
        "Failed",
        "401",
        "1",
    ]
    assert "Grace Learner" not in page
    assert learner.email not in page
    assert lrs.secret not in page


@pytest.mark.usefixtures("no_lrs")
def test_without_an_lrs_the_page_says_how_to_configure_it() -> None:
    admin = make_person(role=Person.Role.ADMIN)

    page = signed_in(admin).get("/settings/xapi/").content.decode()

    assert "No learning record store is configured, so no statement is queued or sent." in page
    assert "No statement has been queued yet." in page


def test_it_is_for_admins_only(lrs: Lrs) -> None:
    enabler = make_person(role=Person.Role.ENABLER)

    page = signed_in(enabler).get("/settings/xapi/")

    assert page.status_code == 403
    assert "for admins" in page.content.decode()
