"""Circles: creating, joining, leaving, champions; refusals that write nothing."""

from __future__ import annotations

import pytest

from knowflow.accounts.models import Person
from knowflow.circles.models import Circle, Membership
from knowflow.circles.services import (
    circle_create,
    circle_join,
    circle_leave,
    circle_update,
    membership_set_role,
)
from knowflow.errors import Conflict, DomainError, Forbidden
from tests.factories import make_circle, make_person, make_topic

pytestmark = pytest.mark.django_db


def members(circle: Circle) -> list[tuple[str, str]]:
    return [
        (m.person.display_name, m.role)
        for m in circle.memberships.select_related("person").order_by("person__display_name")
    ]


def test_circle_create_by_an_enabler_makes_champions_members() -> None:
    enabler = make_person(role=Person.Role.ENABLER)
    champion, topic = make_person(name="Cam Champion"), make_topic("Security")

    circle = circle_create(
        actor=enabler,
        name=" Security guild ",
        mission="Keep us safe",
        topics=[topic],
        champions=[champion],
    )

    assert (circle.name, circle.slug, circle.visibility) == (
        "Security guild",
        "security-guild",
        "open",
    )
    assert list(circle.topics.all()) == [topic]
    assert members(circle) == [("Cam Champion", "champion")]


def test_circle_create_by_a_member_makes_them_its_champion() -> None:
    starter = make_person(name="Sam Starter")

    circle = circle_create(
        actor=starter, name="Rust users", scope="Rust at work", cadence="fortnightly"
    )

    assert (circle.state, circle.cadence, circle.scope, circle.proposed_by) == (
        "forming",
        "fortnightly",
        "Rust at work",
        starter,
    )
    assert members(circle) == [("Sam Starter", "champion")]


def test_circle_create_by_a_member_naming_other_champions_is_refused() -> None:
    with pytest.raises(Forbidden) as error:
        circle_create(actor=make_person(), name="My own club", champions=[make_person()])

    assert error.value.message == "Only enablers name other people as a new circle's champions."
    assert Circle.objects.count() == 0


def test_circle_create_by_a_deactivated_person_is_refused_and_writes_nothing() -> None:
    gone = make_person()
    gone.deactivated_at = gone.created_at
    gone.save()

    with pytest.raises(Forbidden) as error:
        circle_create(actor=gone, name="My own club")

    assert error.value.message == "Only active members start circles."
    assert Circle.objects.count() == 0


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"name": "   "}, "name", "A circle needs a name."),
        (
            {"name": "Secret", "visibility": "hidden"},
            "visibility",
            "Visibility must be 'open' or 'invite_only'.",
        ),
    ],
)
def test_circle_create_bad_fields_are_refused(kwargs: dict, field: str, message: str) -> None:
    with pytest.raises(DomainError) as error:
        circle_create(actor=make_person(role=Person.Role.ENABLER), **kwargs)

    assert (error.value.field, error.value.message) == (field, message)
    assert Circle.objects.count() == 0


def test_circle_create_duplicate_name_is_a_conflict() -> None:
    make_circle(name="Data")

    with pytest.raises(Conflict) as error:
        circle_create(actor=make_person(role=Person.Role.ENABLER), name="data")

    assert error.value.message == "There is already a circle called data."
    assert Circle.objects.count() == 1


def test_circle_update_by_a_champion_changes_mission_and_visibility() -> None:
    champion = make_person()
    circle = make_circle(champions=[champion])

    circle_update(circle=circle, actor=champion, mission="New mission", visibility="invite_only")

    circle.refresh_from_db()
    assert (circle.mission, circle.visibility) == ("New mission", "invite_only")


def test_circle_update_by_a_plain_member_is_refused_and_writes_nothing() -> None:
    member = make_person()
    circle = make_circle(name="Kept")
    Membership.objects.create(circle=circle, person=member)

    with pytest.raises(Forbidden):
        circle_update(circle=circle, actor=member, name="Renamed")

    assert Circle.objects.get(pk=circle.pk).name == "Kept"


def test_circle_join_open_circle_makes_a_member() -> None:
    person = make_person(name="Jo Joiner")
    circle = make_circle()

    membership = circle_join(circle=circle, person=person, actor=person)

    assert membership.role == Membership.Role.MEMBER
    assert members(circle) == [("Jo Joiner", "member")]


def test_circle_join_twice_is_a_conflict() -> None:
    person = make_person(name="Jo Joiner")
    circle = make_circle(name="Data")
    circle_join(circle=circle, person=person, actor=person)

    with pytest.raises(Conflict) as error:
        circle_join(circle=circle, person=person, actor=person)

    assert error.value.message == "Jo Joiner is already a member of Data."
    assert Membership.objects.count() == 1


def test_circle_join_invite_only_by_oneself_is_refused_with_a_message() -> None:
    person = make_person()
    circle = make_circle(visibility="invite_only")

    with pytest.raises(Forbidden) as error:
        circle_join(circle=circle, person=person, actor=person)

    assert error.value.message == "This circle is invite-only: ask one of its champions to add you."
    assert Membership.objects.count() == 0


def test_circle_join_invite_only_added_by_a_champion() -> None:
    champion, newcomer = make_person(name="A Champ"), make_person(name="B New")
    circle = make_circle(visibility="invite_only", champions=[champion])

    circle_join(circle=circle, person=newcomer, actor=champion)

    assert members(circle) == [("A Champ", "champion"), ("B New", "member")]


def test_circle_join_someone_else_by_a_plain_member_is_refused() -> None:
    member, other = make_person(), make_person()
    circle = make_circle()

    with pytest.raises(Forbidden) as error:
        circle_join(circle=circle, person=other, actor=member)

    assert error.value.message == "Only the circle's champions and enablers can add members."
    assert Membership.objects.count() == 0


def test_circle_leave_removes_the_membership() -> None:
    person = make_person()
    circle = make_circle()
    circle_join(circle=circle, person=person, actor=person)

    circle_leave(circle=circle, person=person, actor=person)

    assert Membership.objects.count() == 0


def test_circle_leave_last_champion_is_refused() -> None:
    champion = make_person()
    circle = make_circle(champions=[champion])

    with pytest.raises(DomainError) as error:
        circle_leave(circle=circle, person=champion, actor=champion)

    assert error.value.message == "The last champion cannot leave; name another champion first."
    assert members(circle) == [(champion.display_name, "champion")]


def test_circle_leave_a_champion_may_leave_when_another_remains() -> None:
    first, second = make_person(name="First"), make_person(name="Second")
    circle = make_circle(champions=[first])
    membership_set_role(circle=circle, person=second, role="champion", actor=first)

    circle_leave(circle=circle, person=first, actor=first)

    assert members(circle) == [("Second", "champion")]


def test_circle_leave_when_not_a_member_is_refused() -> None:
    person = make_person(name="Outsider")
    circle = make_circle(name="Data")

    with pytest.raises(DomainError) as error:
        circle_leave(circle=circle, person=person, actor=person)

    assert error.value.message == "Outsider is not a member of Data."
