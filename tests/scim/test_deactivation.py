"""Deactivating through SCIM: history stays, places go to the waitlist, pickers forget them."""

from __future__ import annotations

import pytest

from knowflow.accounts.models import Person
from knowflow.accounts.selectors import person_picker_options
from knowflow.events.models import Registration, Session
from knowflow.events.services import registration_create
from knowflow.scim.models import ScimUser
from tests.conftest import signed_in
from tests.factories import make_occurrence, make_person, make_session
from tests.scim.conftest import ENTERPRISE, Scim, user_body

pytestmark = pytest.mark.django_db


def _provisioned_speaker(scim: Scim) -> tuple[Person, str]:
    created = scim.post("Users", user_body("zelda@example.org", displayName="Zelda Zimmer"))
    assert created.status_code == 201, created.json_body
    return Person.objects.get(email="zelda@example.org"), created.json_body["id"]


def _statuses(occurrence: object) -> dict[str, str]:
    return {
        r.person.display_name: r.status
        for r in Registration.objects.filter(occurrence=occurrence).select_related("person")
    }


@pytest.mark.parametrize("how", ["patch", "put", "delete"])
def test_deactivated_person_keeps_authorship_and_gives_up_their_place(scim: Scim, how: str) -> None:
    zelda, user_id = _provisioned_speaker(scim)
    session = make_session(speakers=[zelda], title="Reading flame graphs")
    session.status = Session.Status.SCHEDULED
    session.save(update_fields=["status"])
    occurrence = make_occurrence(capacity=1)
    registration_create(occurrence=occurrence, person=zelda, actor=zelda)
    waiting = make_person(name="Wanda Waiting")
    registration_create(occurrence=occurrence, person=waiting, actor=waiting)
    assert _statuses(occurrence) == {"Zelda Zimmer": "going", "Wanda Waiting": "waitlisted"}
    viewer = make_person(name="Victor Viewer")
    assert [o.label for o in person_picker_options(viewer=viewer, text="Zelda")] == ["Zelda Zimmer"]

    if how == "patch":
        response = scim.patch(
            f"Users/{user_id}", {"op": "replace", "path": "active", "value": False}
        )
        assert response.status_code == 200, response.json_body
        assert response.json_body["active"] is False
    elif how == "put":
        response = scim.put(
            f"Users/{user_id}",
            user_body("zelda@example.org", displayName="Zelda Zimmer", active=False),
        )
        assert response.status_code == 200, response.json_body
        assert response.json_body["active"] is False
    else:
        assert scim.delete(f"Users/{user_id}").status_code == 204
        assert scim.get(f"Users/{user_id}").status_code == 404
        assert not ScimUser.objects.exists()

    zelda.refresh_from_db()
    assert zelda.deactivated_at is not None
    assert zelda.user.is_active is False
    assert _statuses(occurrence).get("Wanda Waiting") == "going"
    assert _statuses(occurrence).get("Zelda Zimmer") != "going"
    assert person_picker_options(viewer=viewer, text="Zelda") == []
    page = signed_in(viewer).get(f"/sessions/{session.slug}/").content.decode()
    assert "Zelda Zimmer" in page
    assert list(session.speakers.all()) == [zelda]


def test_reactivation_and_rehire(scim: Scim) -> None:
    zelda, user_id = _provisioned_speaker(scim)
    scim.patch(f"Users/{user_id}", {"op": "replace", "value": {"active": False}})
    found = scim.get("Users", filter="active eq false").json_body
    assert [u["userName"] for u in found["Resources"]] == ["zelda@example.org"]
    back = scim.patch(f"Users/{user_id}", {"op": "replace", "path": "active", "value": True})
    assert back.json_body["active"] is True
    zelda.refresh_from_db()
    assert zelda.deactivated_at is None
    assert scim.delete(f"Users/{user_id}").status_code == 204
    rehired = scim.post("Users", user_body("zelda@example.org", displayName="Zelda Z."))
    assert rehired.status_code == 201, rehired.json_body
    assert rehired.json_body["id"] != user_id
    zelda.refresh_from_db()
    assert (zelda.deactivated_at, zelda.display_name) == (None, "Zelda Z.")
    assert Person.objects.filter(email="zelda@example.org").count() == 1


def test_group_membership_grants_roles(scim: Scim, settings: object) -> None:
    settings.KNOWFLOW_ROLE_GROUPS = "admin=kf-admins;enabler=learning-team"
    zelda, user_id = _provisioned_speaker(scim)
    group = scim.post(
        "Groups",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "learning-team",
            "members": [{"value": user_id}],
        },
    )
    assert group.status_code == 201, group.json_body
    zelda.refresh_from_db()
    assert zelda.role == Person.Role.ENABLER
    scim.patch(
        f"Groups/{group.json_body['id']}",
        {"op": "replace", "path": "displayName", "value": "kf-admins"},
    )
    zelda.refresh_from_db()
    assert (zelda.role, zelda.user.is_staff) == (Person.Role.ADMIN, True)
    scim.patch(f"Groups/{group.json_body['id']}", {"op": "remove", "path": "members"})
    zelda.refresh_from_db()
    assert (zelda.role, zelda.user.is_staff) == (Person.Role.MEMBER, False)


def test_entra_id_style_patches(scim: Scim) -> None:
    """Entra ID capitalises ops, sends booleans as strings and a manager as a bare id."""
    boss = scim.post("Users", user_body("boss@example.org", **{ENTERPRISE: {"department": "Ops"}}))
    zelda, user_id = _provisioned_speaker(scim)
    response = scim.patch(
        f"Users/{user_id}",
        {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": boss.json_body["id"]},
        {"op": "Replace", "path": "active", "value": "False"},
    )
    assert response.status_code == 200, response.json_body
    assert response.json_body["active"] is False
    assert response.json_body[ENTERPRISE]["manager"]["value"] == boss.json_body["id"]
    zelda.refresh_from_db()
    assert zelda.deactivated_at is not None
    assert zelda.org_unit.name == "Ops"
