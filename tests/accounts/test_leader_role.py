"""The leader role is set like any other: by an admin, in the service or the Django admin."""

from __future__ import annotations

import pytest

from knowflow.accounts.models import Person
from knowflow.accounts.services import person_create, person_update_profile
from knowflow.errors import Forbidden
from tests.conftest import signed_in
from tests.factories import make_person

pytestmark = pytest.mark.django_db


def test_leader_is_a_role_of_its_own_below_enabler() -> None:
    leader = make_person(role=Person.Role.LEADER)

    assert (leader.role, leader.get_role_display()) == ("leader", "Leader")
    assert (leader.is_leader, leader.is_enabler, leader.is_admin) == (True, False, False)
    assert (leader.user.is_staff, leader.user.is_superuser) == (False, False)


def test_admin_makes_a_member_a_leader_and_back() -> None:
    admin = make_person(role=Person.Role.ADMIN)
    member = make_person()

    person_update_profile(person=member, actor=admin, role=Person.Role.LEADER)
    as_leader = Person.objects.select_related("user").get(pk=member.pk)
    person_update_profile(person=member, actor=admin, role=Person.Role.MEMBER)

    assert (as_leader.role, as_leader.user.is_staff) == ("leader", False)
    assert Person.objects.get(pk=member.pk).role == "member"


def test_a_member_cannot_make_themselves_a_leader_nor_a_leader_an_enabler() -> None:
    member, leader = make_person(), make_person(role=Person.Role.LEADER)

    with pytest.raises(Forbidden) as promoted_member:
        person_update_profile(person=member, actor=member, role=Person.Role.LEADER)
    with pytest.raises(Forbidden) as promoted_leader:
        person_update_profile(person=leader, actor=leader, role=Person.Role.ENABLER)

    assert promoted_member.value.message == "Only an admin can change roles."
    assert promoted_leader.value.message == "Only an admin can change roles."
    assert [Person.objects.get(pk=p.pk).role for p in (member, leader)] == ["member", "leader"]


def test_person_create_accepts_the_leader_role() -> None:
    person = person_create(display_name="Lina Leader", username="lina", role="leader")

    assert Person.objects.get(pk=person.pk).role == "leader"


def test_django_admin_offers_the_leader_role_and_filters_by_it() -> None:
    admin = make_person(role=Person.Role.ADMIN)
    leader = make_person(role=Person.Role.LEADER, name="Lea Leader")
    make_person(name="Mo Member")
    client = signed_in(admin)

    form = client.get(f"/admin/accounts/person/{leader.pk}/change/").content.decode()
    listed = client.get("/admin/accounts/person/?role__exact=leader").content.decode()

    assert '<option value="leader" selected>Leader</option>' in form
    assert "Lea Leader" in listed and "Mo Member" not in listed
