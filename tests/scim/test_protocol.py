from __future__ import annotations

from knowflow.accounts.models import Person
from tests.scim.conftest import USER, Scim, user_body


def test_user_create_makes_a_person_found_by_get(scim: Scim) -> None:
    created = scim.post("Users", user_body("grace@example.org", displayName="Grace Hopper"))
    assert created.status_code == 201, created.json_body
    body = created.json_body
    assert body["userName"] == "grace@example.org"
    assert body["displayName"] == "Grace Hopper"
    assert body["active"] is True
    assert created["Location"] == f"http://testserver/scim/v2/Users/{body['id']}"
    person = Person.objects.get(email="grace@example.org")
    assert person.display_name == "Grace Hopper"
    fetched = scim.get(f"Users/{body['id']}")
    assert fetched.status_code == 200
    assert fetched.json_body["emails"] == [
        {"value": "grace@example.org", "type": "work", "primary": True}
    ]
    assert fetched.json_body["schemas"] == [USER]
