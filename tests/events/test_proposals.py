"""A proposer edits their proposal until it is scheduled, and finds it on their home page."""

from __future__ import annotations

import re

import pytest
from django.utils.html import escape

from knowflow.errors import Forbidden
from knowflow.events.models import Session
from knowflow.events.services import session_update
from tests.conftest import signed_in
from tests.factories import make_person, make_session

pytestmark = pytest.mark.django_db

REFUSED = "Only the session's speakers, its circle's champions and enablers can edit it."


def proposal_by(proposer: object, **kwargs: object) -> Session:
    return make_session(
        title="Idea", speakers=[make_person(name="Sol Speaker")], proposed_by=proposer, **kwargs
    )


def test_proposer_edits_their_proposal_from_its_page_without_a_status_field() -> None:
    proposer = make_person(name="Pat Proposer")
    session = proposal_by(proposer)
    client = signed_in(proposer)

    page = client.get(f"/sessions/{session.slug}/").content.decode()
    form = client.get(f"/sessions/{session.slug}/edit/").content.decode()
    response = client.post(
        f"/sessions/{session.slug}/edit/",
        {
            "title": "A better idea",
            "abstract": "Now with details.",
            "format": "workshop",
            "level": "introductory",
            "language": "en",
            "speakers": "Sol Speaker, Pat Proposer",
            "topics": "",
            "circle": "",
        },
    )

    session.refresh_from_db()
    assert (
        f'<a class="button secondary" href="/sessions/{session.slug}/edit/">Edit your proposal</a>'
        in page
    )
    assert 'name="status"' not in form
    assert response.status_code == 302
    assert (session.title, session.format, session.status) == (
        "A better idea",
        "workshop",
        "proposed",
    )
    assert sorted(p.display_name for p in session.speakers.all()) == [
        "Pat Proposer",
        "Sol Speaker",
    ]


def test_proposer_cannot_edit_once_the_session_is_scheduled() -> None:
    proposer = make_person()
    session = proposal_by(proposer, status=Session.Status.SCHEDULED)

    response = signed_in(proposer).post(
        f"/sessions/{session.slug}/edit/",
        {"title": "Changed", "format": "talk", "level": "introductory", "language": "en"},
    )

    session.refresh_from_db()
    assert response.status_code == 403
    assert f"<h1>Not allowed</h1><p>{escape(REFUSED)}</p>" in response.content.decode()
    assert session.title == "Idea"


def test_proposer_who_is_not_a_speaker_cannot_schedule_their_proposal() -> None:
    proposer = make_person()
    session = proposal_by(proposer)

    with pytest.raises(Forbidden) as error:
        session_update(session=session, actor=proposer, title="Changed", status="scheduled")

    session.refresh_from_db()
    assert error.value.message == (
        "A proposer edits what the proposal says; its speakers and enablers schedule or cancel it."
    )
    assert (session.title, session.status) == ("Idea", "proposed")


def test_home_lists_my_open_proposals_with_an_edit_link() -> None:
    proposer = make_person()
    waiting = proposal_by(proposer)
    proposal_by(proposer, status=Session.Status.SCHEDULED)
    make_session(title="Someone else's idea", proposed_by=make_person())

    html = signed_in(proposer).get("/").content.decode()

    section = re.search(r"<h2>My proposals \((\d+)\)</h2>.*?</ul>", html, re.S)
    assert section.group(1) == "1"
    assert re.findall(r'<a href="(/sessions/[^"]+/)">([^<]+)</a>', section.group(0)) == [
        (f"/sessions/{waiting.slug}/", "Idea")
    ]
    assert f'<a href="/sessions/{waiting.slug}/edit/">Edit' in section.group(0)
