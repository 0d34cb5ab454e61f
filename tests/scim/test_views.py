"""The admin's SCIM page: tokens shown once, stored hashed, listed with their last use."""

from __future__ import annotations

import hashlib
import re

import pytest

from knowflow.accounts.models import Person
from knowflow.scim.models import ScimToken
from tests.conftest import signed_in
from tests.factories import make_person

pytestmark = pytest.mark.django_db


def test_admin_creates_a_token_shown_once_and_stored_hashed() -> None:
    admin = make_person(role=Person.Role.ADMIN, name="Ada Admin")
    client = signed_in(admin)
    response = client.post("/settings/scim/", {"name": "Entra ID"}, follow=True)
    page = response.content.decode()
    secret = re.search(r"<code>(kfscim_[\w-]+)</code>", page).group(1)
    token = ScimToken.objects.get()
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ScimToken.objects.values_list().get())
    assert "Copy it now: it will not be shown again." in page
    assert "http://testserver/scim/v2/" in page
    again = client.get("/settings/scim/").content.decode()
    assert secret not in again
    assert f"{token.prefix}…" in again
    assert "Never" in again
    client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert "Never" not in client.get("/settings/scim/").content.decode()


def test_token_without_a_name_is_a_form_error() -> None:
    client = signed_in(make_person(role=Person.Role.ADMIN))
    response = client.post("/settings/scim/", {"name": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert ScimToken.objects.count() == 0


def test_revoking_asks_first_then_refuses_the_token() -> None:
    admin = make_person(role=Person.Role.ADMIN)
    client = signed_in(admin)
    client.post("/settings/scim/", {"name": "Okta"})
    token = ScimToken.objects.get()
    confirm = client.get(f"/settings/scim/tokens/{token.pk}/revoke/").content.decode()
    assert "Revoke the token “Okta”?" in confirm
    assert ScimToken.objects.count() == 1
    done = client.post(f"/settings/scim/tokens/{token.pk}/revoke/", follow=True)
    assert "Token “Okta” revoked: requests made with it are now refused." in done.content.decode()
    assert ScimToken.objects.count() == 0


def test_members_may_not_see_or_use_the_page() -> None:
    member = make_person()
    client = signed_in(member)
    assert client.get("/settings/scim/").status_code == 403
    assert client.post("/settings/scim/", {"name": "x"}).status_code == 403
    assert ScimToken.objects.count() == 0
    assert "People provisioning" not in client.get("/").content.decode()
    admin_home = signed_in(make_person(role=Person.Role.ADMIN)).get("/").content.decode()
    assert 'href="/settings/scim/">People provisioning</a>' in admin_home
