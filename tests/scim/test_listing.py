"""A listing without `attributes` is written directly (`resources.user_document`): it must say
exactly what scim2-models' representation says, for users with and without each optional
part, or the speed would cost correctness."""

from __future__ import annotations

import pytest
from scim2_models import Context

from knowflow.accounts.services import person_deactivate
from knowflow.scim.models import ScimUser
from knowflow.scim.resources import user_document, user_resource
from tests.scim.conftest import ENTERPRISE, GROUP, Scim, user_body

pytestmark = pytest.mark.django_db

BASE = "https://knowflow.example.org/scim/v2"


def _made(scim: Scim) -> list[ScimUser]:
    plain = scim.post("/Users", user_body("plain@example.org")).json_body
    scim.post(
        "/Users",
        user_body(
            "full@example.org",
            externalId="ext-1",
            name={"givenName": "Ada", "familyName": "Lovelace", "formatted": "Ada Lovelace"},
            locale="en-GB",
            timezone="Europe/London",
            schemas=["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
            **{ENTERPRISE: {"department": "Data", "manager": {"value": plain["id"]}}},
        ),
    )
    scim.post(
        "/Users",
        user_body(
            "boss-only@example.org",
            schemas=["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
            **{ENTERPRISE: {"manager": {"value": plain["id"]}}},
        ),
    )
    left = scim.post("/Users", user_body("left@example.org", active=False)).json_body
    scim.post(
        "/Groups",
        {"schemas": [GROUP], "displayName": "Data team", "members": [{"value": plain["id"]}]},
    )
    assert left["active"] is False
    return list(ScimUser.objects.select_related("person__org_unit").prefetch_related("groups"))


def test_the_direct_document_equals_the_models_representation(scim: Scim) -> None:
    users = _made(scim)
    person_deactivate(person=users[0].person)
    users = list(ScimUser.objects.select_related("person__org_unit").prefetch_related("groups"))

    assert len(users) == 4
    for scim_user in users:
        expected = user_resource(scim_user=scim_user, base_url=BASE).model_dump(
            scim_ctx=Context.SEARCH_RESPONSE
        )
        assert user_document(scim_user=scim_user, base_url=BASE) == expected, scim_user.user_name


def test_a_listing_with_or_without_attributes_gives_the_same_users(scim: Scim) -> None:
    _made(scim)

    fast = scim.get("/Users", count="10").json_body
    slow = scim.get("/Users", count="10", excludedAttributes="nickName").json_body

    assert fast["totalResults"] == slow["totalResults"] == 4
    assert fast["Resources"] == slow["Resources"]
