from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from knowflow.accounts.models import Person
from knowflow.scim.services import scim_token_create
from tests.factories import make_person

SCIM_JSON = "application/scim+json"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


class Scim:
    """A SCIM client over Django's test client, holding a bearer token."""

    def __init__(self, secret: str) -> None:
        self.client = Client()
        self.secret = secret

    def call(self, method: str, path: str, body: Any = None, **params: str) -> Any:
        url = "/scim/v2/" + path.lstrip("/")
        kwargs: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {self.secret}"}
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs["content_type"] = SCIM_JSON
        if params:
            kwargs["QUERY_STRING"] = urlencode(params)
        response = getattr(self.client, method.lower())(url, **kwargs)
        response.json_body = json.loads(response.content) if response.content else None
        return response

    def get(self, path: str, **params: str) -> Any:
        return self.call("GET", path, **params)

    def post(self, path: str, body: Any) -> Any:
        return self.call("POST", path, body)

    def put(self, path: str, body: Any) -> Any:
        return self.call("PUT", path, body)

    def patch(self, path: str, *operations: dict) -> Any:
        return self.call("PATCH", path, {"schemas": [PATCH], "Operations": list(operations)})

    def delete(self, path: str) -> Any:
        return self.call("DELETE", path)


@pytest.fixture
def admin(db: None) -> Person:
    return make_person(role=Person.Role.ADMIN, name="Ada Admin")


@pytest.fixture
def scim(admin: Person) -> Scim:
    _, secret = scim_token_create(name="Entra ID", actor=admin)
    return Scim(secret)


def user_body(user_name: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "schemas": [USER],
        "userName": user_name,
        "displayName": extra.pop("displayName", user_name.split("@")[0].title()),
        "emails": [{"value": user_name, "type": "work", "primary": True}],
    }
    body.update(extra)
    return body
