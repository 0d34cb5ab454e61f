"""Someone leaves: their history stays, their future places go to the waitlist, they can no
longer sign in or use a token, and pickers stop offering them."""

from __future__ import annotations

import pytest
from django.test import Client

from knowflow.accounts.selectors import people_active, people_pickable
from knowflow.accounts.services import (
    api_token_authenticate,
    api_token_create,
    person_deactivate,
    person_reactivate,
)
from knowflow.errors import DomainError, Forbidden
from knowflow.events.models import Registration
from knowflow.events.services import registration_create
from knowflow.mail.models import OutboxMessage
from tests.factories import PASSWORD, make_occurrence, make_person, make_session

pytestmark = pytest.mark.django_db


def test_a_deactivated_person_gives_up_future_places_to_the_waitlist_without_an_email() -> None:
    occurrence = make_occurrence(capacity=1)
    leaving, waiting = make_person(name="Leaving"), make_person(name="Waiting")
    registration_create(occurrence=occurrence, person=leaving, actor=leaving)
    registration_create(occurrence=occurrence, person=waiting, actor=waiting)
    mails_before = set(OutboxMessage.objects.values_list("pk", flat=True))

    person_deactivate(person=leaving)

    statuses = dict(occurrence.registrations.values_list("person__display_name", "status"))
    assert statuses == {"Leaving": "cancelled", "Waiting": "going"}
    new_mail = OutboxMessage.objects.exclude(pk__in=mails_before)
    assert list(new_mail.values_list("recipient", "kind")) == [(waiting.email, "events.invitation")]


def test_history_and_authorship_stay() -> None:
    speaker = make_person(name="Speaker")
    session = make_session(speakers=[speaker])
    past = make_occurrence(session=session)
    Registration.objects.create(
        occurrence=past, person=speaker, status="going", requested_at=past.start
    )

    person_deactivate(person=speaker)

    assert list(session.speakers.all()) == [speaker]
    speaker.refresh_from_db()
    assert speaker.deactivated_at is not None and not speaker.is_active
    assert speaker.display_name == "Speaker"


def test_a_deactivated_person_cannot_sign_in_use_a_token_or_be_picked() -> None:
    person = make_person(name="Gone")
    _, secret = api_token_create(person=person, name="laptop")
    assert api_token_authenticate(secret=secret) == person

    person_deactivate(person=person)

    assert api_token_authenticate(secret=secret) is None
    assert not Client().login(username=person.user.username, password=PASSWORD)
    assert person not in people_pickable()
    assert person not in people_active()


def test_reactivating_lets_them_back_in_but_places_given_away_stay_given() -> None:
    occurrence = make_occurrence(capacity=1)
    person, other = make_person(), make_person()
    registration_create(occurrence=occurrence, person=person, actor=person)
    registration_create(occurrence=occurrence, person=other, actor=other)
    person_deactivate(person=person)

    person_reactivate(person=person)

    assert Client().login(username=person.user.username, password=PASSWORD)
    assert person in people_pickable()
    assert occurrence.registrations.get(person=person).status == "cancelled"
    assert occurrence.registrations.get(person=other).status == "going"


def test_only_an_admin_deactivates_and_never_themselves() -> None:
    admin, member, target = make_person(role="admin"), make_person(), make_person()

    with pytest.raises(Forbidden):
        person_deactivate(person=target, actor=member)
    with pytest.raises(DomainError, match="yourself"):
        person_deactivate(person=admin, actor=admin)
    target.refresh_from_db()
    admin.refresh_from_db()
    assert target.is_active and admin.is_active
    person_deactivate(person=target, actor=admin)
    target.refresh_from_db()
    assert not target.is_active


def test_deactivating_twice_changes_nothing_the_second_time() -> None:
    person = make_person()
    first = person_deactivate(person=person).deactivated_at

    assert person_deactivate(person=person).deactivated_at == first


def test_an_admin_deactivates_and_reactivates_someone_from_their_page() -> None:
    from tests.conftest import signed_in

    admin, person = make_person(role="admin"), make_person(name="Ada Gone")
    client = signed_in(admin)
    assert "Deactivate Ada Gone" in client.get(f"/accounts/people/{person.slug}/").content.decode()

    response = client.post(f"/accounts/people/{person.slug}/active/", follow=True)

    page = response.content.decode()
    assert "is deactivated" in page and "left the organisation" in page
    assert "Ada Gone" not in client.get("/accounts/people/").content.decode()
    page = client.post(f"/accounts/people/{person.slug}/active/", {"active": "yes"}, follow=True)
    assert "active again" in page.content.decode()
    person.refresh_from_db()
    assert person.is_active


def test_a_member_cannot_deactivate_anyone_and_sees_no_button() -> None:
    from tests.conftest import signed_in

    member, person = make_person(), make_person(name="Staying")
    client = signed_in(member)
    assert "Deactivate" not in client.get(f"/accounts/people/{person.slug}/").content.decode()

    response = client.post(f"/accounts/people/{person.slug}/active/")

    assert response.status_code == 403
    person.refresh_from_db()
    assert person.is_active
