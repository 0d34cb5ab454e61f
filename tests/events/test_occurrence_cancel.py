"""Cancelling one date of a session: the page, the catalogue, registration, calendars, email."""

from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest
from django.utils import timezone

from knowflow.errors import Conflict, Forbidden
from knowflow.events import ical
from knowflow.events.models import Occurrence
from knowflow.events.services import RegistrationClosed, occurrence_cancel, registration_create
from knowflow.integrations.selectors import person_feed_entries
from knowflow.mail.models import OutboxMessage
from tests.conftest import signed_in
from tests.factories import make_occurrence, make_person, make_session


def _date_with_a_registration() -> tuple[object, object, object]:
    speaker = make_person(name="Speaker")
    attendee = make_person(name="Attendee")
    session = make_session(speakers=[speaker], title="Chaos engineering")
    occurrence = make_occurrence(session=session, start=timezone.now() + timedelta(days=4))
    registration_create(occurrence=occurrence, person=attendee, actor=attendee)
    return speaker, attendee, occurrence


@pytest.mark.django_db
def test_cancelling_a_date_sends_a_calendar_cancel_with_a_higher_sequence() -> None:
    speaker, attendee, occurrence = _date_with_a_registration()
    before = occurrence.sequence

    occurrence_cancel(occurrence=occurrence, actor=speaker)

    occurrence.refresh_from_db()
    assert occurrence.cancelled_at is not None
    assert occurrence.sequence == before + 1
    message = OutboxMessage.objects.get(
        recipient=attendee.email, subject="Cancelled: Chaos engineering"
    )
    calendar = icalendar.Calendar.from_ical(message.ics)
    event = next(iter(calendar.walk("VEVENT")))
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == before + 1


@pytest.mark.django_db
def test_cancelled_date_is_cancelled_in_the_feed_and_closed_to_registration() -> None:
    speaker, attendee, occurrence = _date_with_a_registration()
    occurrence_cancel(occurrence=occurrence, actor=speaker)
    newcomer = make_person(name="Late")

    with pytest.raises(RegistrationClosed, match="This date was cancelled."):
        registration_create(occurrence=occurrence, person=newcomer, actor=newcomer)
    events = person_feed_entries(person=attendee)
    assert [e.occurrence_id for e in events] == [occurrence.pk]
    feed = icalendar.Calendar.from_ical(ical.calendar_text(events, name="x"))
    assert [str(e["STATUS"]) for e in feed.walk("VEVENT")] == ["CANCELLED"]


@pytest.mark.django_db
def test_cancelling_a_date_twice_or_by_someone_else_is_refused() -> None:
    speaker, attendee, occurrence = _date_with_a_registration()

    with pytest.raises(Forbidden):
        occurrence_cancel(occurrence=occurrence, actor=attendee)
    occurrence_cancel(occurrence=occurrence, actor=speaker)
    with pytest.raises(Conflict, match="already cancelled"):
        occurrence_cancel(occurrence=occurrence, actor=speaker)


@pytest.mark.django_db
def test_cancelled_date_leaves_the_catalogue_and_shows_on_the_session_page() -> None:
    speaker, attendee, occurrence = _date_with_a_registration()
    client = signed_in(speaker)

    response = client.post(f"/sessions/occurrences/{occurrence.pk}/cancel-date/", follow=True)

    assert response.content.decode().count('<span class="badge">Cancelled</span>') == 1
    catalogue = client.get("/sessions/").content.decode()
    assert "Chaos engineering" not in catalogue
    assert Occurrence.objects.get(pk=occurrence.pk).cancelled_at is not None
