"""Starting circles with approval on and off, the review, roles and hand-over, sunset and
revival; every refusal writes nothing."""

from __future__ import annotations

import pytest
from django.test import override_settings

from knowflow.accounts.models import Person
from knowflow.circles.models import Circle, Membership
from knowflow.circles.services import (
    circle_create,
    circle_hand_over,
    circle_join,
    circle_review,
    circle_revive,
    circle_sunset,
    membership_set_role,
)
from knowflow.errors import Conflict, DomainError, Forbidden
from knowflow.mail.models import OutboxMessage
from knowflow.search.index import index_write
from knowflow.search.models import SearchDocument
from tests.factories import make_circle, make_person

pytestmark = pytest.mark.django_db


def roles(circle: Circle) -> list[tuple[str, str]]:
    return [
        (m.person.display_name, m.role)
        for m in circle.memberships.select_related("person").order_by("person__display_name")
    ]


def decisions() -> list[tuple[str, str]]:
    return list(
        OutboxMessage.objects.filter(kind="circles.decision").values_list("recipient", "subject")
    )


def indexed(circle: Circle) -> bool:
    return SearchDocument.objects.filter(kind="circle", object_id=circle.pk).exists()


def test_approval_off_a_members_circle_is_forming_listed_and_searchable() -> None:
    circle = circle_create(actor=make_person(), name="Go gophers")

    assert circle.state == "forming"
    assert circle.started_at is not None
    assert indexed(circle)
    assert decisions() == []


@override_settings(KNOWFLOW_CIRCLE_APPROVAL=True)
def test_approval_on_a_members_circle_waits_unlisted() -> None:
    circle = circle_create(actor=make_person(), name="Go gophers")

    assert (circle.state, circle.started_at) == ("proposed", None)
    assert not indexed(circle)


@override_settings(KNOWFLOW_CIRCLE_APPROVAL=True)
def test_approval_on_an_enablers_circle_opens_at_once() -> None:
    circle = circle_create(actor=make_person(role=Person.Role.ENABLER), name="Official")

    assert circle.state == "forming"


@override_settings(KNOWFLOW_CIRCLE_APPROVAL=True)
def test_enabler_approves_and_the_starter_is_emailed() -> None:
    starter = make_person(name="Sue Starter")
    circle = circle_create(actor=starter, name="Go gophers")

    circle = circle_review(circle=circle, actor=make_person(role="enabler"), approve=True)

    assert circle.state == "forming"
    assert indexed(circle)
    assert decisions() == [(starter.email, "Your circle “Go gophers” is open")]


@override_settings(KNOWFLOW_CIRCLE_APPROVAL=True)
def test_enabler_declines_with_a_reason_the_starter_reads() -> None:
    starter = make_person()
    circle = circle_create(actor=starter, name="Go gophers")

    circle = circle_review(
        circle=circle, actor=make_person(role="enabler"), approve=False, reason="Join Backend."
    )

    assert (circle.state, circle.decline_reason) == ("declined", "Join Backend.")
    assert decisions() == [(starter.email, "Your circle “Go gophers” was not approved")]
    assert "Join Backend." in OutboxMessage.objects.get(kind="circles.decision").body
    assert not indexed(circle)


@override_settings(KNOWFLOW_CIRCLE_APPROVAL=True)
def test_decline_without_a_reason_is_refused_and_changes_nothing() -> None:
    circle = circle_create(actor=make_person(), name="Go gophers")

    with pytest.raises(DomainError) as error:
        circle_review(circle=circle, actor=make_person(role="enabler"), approve=False, reason=" ")

    assert (error.value.field, error.value.message) == (
        "reason",
        "Say why the circle is declined: its starter reads it.",
    )
    assert Circle.objects.get(pk=circle.pk).state == "proposed"
    assert decisions() == []


@override_settings(KNOWFLOW_CIRCLE_APPROVAL=True)
def test_review_by_a_member_or_twice_is_refused() -> None:
    circle = circle_create(actor=make_person(), name="Go gophers")
    with pytest.raises(Forbidden) as refused:
        circle_review(circle=circle, actor=make_person(), approve=True)
    enabler = make_person(role="enabler")
    circle_review(circle=circle, actor=enabler, approve=True)
    with pytest.raises(Conflict) as twice:
        circle_review(circle=circle, actor=enabler, approve=False, reason="No")

    assert refused.value.message == "Only enablers approve or decline circles."
    assert twice.value.message == "Go gophers is not waiting for approval any more."
    assert Circle.objects.get(pk=circle.pk).state == "forming"
    assert len(decisions()) == 1


@override_settings(KNOWFLOW_CIRCLE_APPROVAL=True)
def test_nobody_joins_a_proposed_circle() -> None:
    circle = circle_create(actor=make_person(), name="Go gophers")

    with pytest.raises(DomainError) as error:
        circle_join(circle=circle, person=(p := make_person()), actor=p)

    assert error.value.message == "Go gophers is not open yet: it waits for an enabler's approval."
    assert circle.memberships.count() == 1


def test_champion_names_a_facilitator_and_cannot_demote_the_last_champion() -> None:
    champion, helper = make_person(name="Cam"), make_person(name="Hel")
    circle = make_circle(name="Ops", champions=[champion])

    membership_set_role(circle=circle, person=helper, role="facilitator", actor=champion)
    with pytest.raises(DomainError) as error:
        membership_set_role(circle=circle, person=champion, role="member", actor=champion)

    assert error.value.message == "A circle keeps at least one champion; name another one first."
    assert roles(circle) == [("Cam", "champion"), ("Hel", "facilitator")]


def test_a_facilitator_cannot_name_roles() -> None:
    champion, facilitator, member = make_person(), make_person(), make_person()
    circle = make_circle(champions=[champion])
    Membership.objects.create(circle=circle, person=facilitator, role="facilitator")
    Membership.objects.create(circle=circle, person=member)

    with pytest.raises(Forbidden) as error:
        membership_set_role(circle=circle, person=member, role="champion", actor=facilitator)

    assert error.value.message == "Only the circle's champions and enablers can name champions."
    assert Membership.objects.get(circle=circle, person=member).role == "member"


def test_hand_over_makes_the_other_champion_and_keeps_the_old_one_as_member() -> None:
    old, new = make_person(name="Old"), make_person(name="New")
    circle = make_circle(name="Ops", champions=[old])

    circle_hand_over(circle=circle, to=new, actor=old)

    assert roles(circle) == [("New", "champion"), ("Old", "member")]


def test_hand_over_by_an_enabler_who_is_not_champion_is_refused() -> None:
    champion = make_person(name="Cam")
    circle = make_circle(name="Ops", champions=[champion])

    with pytest.raises(Forbidden) as error:
        circle_hand_over(circle=circle, to=make_person(), actor=make_person(role="enabler"))

    assert error.value.message == "Only one of the circle's champions can hand it over."
    assert roles(circle) == [("Cam", "champion")]


def test_sunset_circle_stays_searchable_takes_no_members_and_can_be_revived() -> None:
    champion, newcomer = make_person(), make_person()
    circle = circle_create(actor=champion, name="History")

    circle_sunset(circle=circle, actor=champion)
    index_write(kind="circle", object_ids=[circle.pk])  # a later re-index keeps it too
    with pytest.raises(DomainError) as error:
        circle_join(circle=circle, person=newcomer, actor=newcomer)

    assert error.value.message == "History has been sunset: it takes no new members."
    assert Circle.objects.get(pk=circle.pk).state == "sunset"
    assert indexed(circle)
    assert circle.memberships.count() == 1

    circle_revive(circle=circle, actor=champion)
    circle_join(circle=circle, person=newcomer, actor=newcomer)

    assert Circle.objects.get(pk=circle.pk).state == "forming"
    assert circle.memberships.count() == 2


def test_sunset_by_a_member_is_refused_and_changes_nothing() -> None:
    circle = make_circle(champions=[make_person()])
    member = make_person()
    Membership.objects.create(circle=circle, person=member)

    with pytest.raises(Forbidden) as error:
        circle_sunset(circle=circle, actor=member)

    assert error.value.message == "Only the circle's champions and enablers can sunset it."
    assert Circle.objects.get(pk=circle.pk).state == "forming"
