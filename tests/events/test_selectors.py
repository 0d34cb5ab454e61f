"""Fetching one session, date or registration: the same selectors for the pages and the API,
refusing what the viewer may not read."""

from __future__ import annotations

import pytest
from django.utils.html import escape

from knowflow.errors import Forbidden, NotFound
from knowflow.events.selectors import occurrence_get, registration_get, session_get
from knowflow.events.services import registration_create
from tests.conftest import signed_in
from tests.factories import make_occurrence, make_person, make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def registration() -> object:
    speaker = make_person(name="Sol Speaker")
    occurrence = make_occurrence(session=make_session(title="Rust", speakers=[speaker]))
    learner = make_person(name="Lu Learner")
    return registration_create(occurrence=occurrence, person=learner, actor=learner)


def test_registration_get_answers_the_person_registered_and_the_speaker(registration) -> None:
    speaker = registration.occurrence.session.speakers.get()

    own = registration_get(id=registration.pk, viewer=registration.person)
    managed = registration_get(id=registration.pk, viewer=speaker)

    assert (own.pk, managed.pk) == (registration.pk, registration.pk)


def test_registration_get_refuses_someone_else(registration) -> None:
    with pytest.raises(Forbidden) as error:
        registration_get(id=registration.pk, viewer=make_person(name="Oz Outsider"))

    assert error.value.message == "This is someone else's registration."


def test_registration_get_of_no_registration_is_not_found(registration) -> None:
    with pytest.raises(NotFound) as error:
        registration_get(id=registration.pk + 1000, viewer=registration.person)

    assert error.value.message == f"There is no registration with id {registration.pk + 1000}."


def test_session_and_occurrence_get_name_the_input_that_pointed_nowhere() -> None:
    with pytest.raises(NotFound) as by_id:
        session_get(id=987654, field="session_id")
    with pytest.raises(NotFound) as by_slug:
        session_get(slug="no-such-session")
    with pytest.raises(NotFound) as occurrence:
        occurrence_get(id=987654, field="occurrence_id")

    assert (by_id.value.message, by_id.value.field) == (
        "There is no session with id 987654.",
        "session_id",
    )
    assert (by_slug.value.message, by_slug.value.field) == ("There is no such session.", None)
    assert (occurrence.value.message, occurrence.value.field) == (
        "There is no occurrence with id 987654.",
        "occurrence_id",
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/sessions/no-such-session/edit/", "There is no such session."),
        ("/sessions/no-such-session/cancel/", "There is no such session."),
        ("/sessions/occurrences/987654/edit/", "There is no occurrence with id 987654."),
        ("/sessions/occurrences/987654/checklist/", "There is no occurrence with id 987654."),
    ],
)
def test_page_for_a_missing_session_or_date_is_the_sites_not_found_page(
    url: str, message: str
) -> None:
    response = signed_in(make_person()).get(url)

    assert response.status_code == 404
    assert f"<h1>Not found</h1><p>{escape(message)}</p>" in response.content.decode()
