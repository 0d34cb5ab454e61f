"""The organisation export leaves SCIM bearer tokens out unless credentials are asked for, like
API tokens: their hashes let no one in, but the file is shared with whoever moves the data."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from knowflow.accounts.models import Person
from knowflow.integrations.org_data import archive
from knowflow.integrations.org_data.exporting import organisation_export
from knowflow.scim.services import scim_token_create
from tests.factories import make_person

pytestmark = pytest.mark.django_db


def _models(*, include_credentials: bool) -> dict[str, list[dict]]:
    out = io.BytesIO()
    organisation_export(out=out, include_credentials=include_credentials)
    with zipfile.ZipFile(out) as zipped:
        document = json.loads(zipped.read(archive.DATA_NAME))
    return {m["model"]: m["rows"] for m in document["models"]}


def test_scim_tokens_are_exported_only_with_credentials() -> None:
    token, _ = scim_token_create(name="Entra ID", actor=make_person(role=Person.Role.ADMIN))

    assert "scim.ScimToken" not in _models(include_credentials=False)
    [row] = _models(include_credentials=True)["scim.ScimToken"]
    assert (row["fields"]["name"], row["fields"]["key_hash"]) == ("Entra ID", token.key_hash)
