"""The organisation export leaves a webhook's sealed secret out unless credentials are asked
for: the file can be shared with whoever moves the data, not with whoever may sign deliveries."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from knowflow.accounts.models import Person
from knowflow.integrations.org_data import archive
from knowflow.integrations.org_data.exporting import organisation_export
from knowflow.webhooks.services import webhook_create
from tests.factories import make_person

pytestmark = pytest.mark.django_db


def _exported_webhooks(*, include_credentials: bool) -> list[dict]:
    out = io.BytesIO()
    organisation_export(out=out, include_credentials=include_credentials)
    with zipfile.ZipFile(out) as zipped:
        document = json.loads(zipped.read(archive.DATA_NAME))
    [webhooks] = [m["rows"] for m in document["models"] if m["model"] == "webhooks.Webhook"]
    return [row["fields"] for row in webhooks]


def test_the_export_leaves_the_sealed_secret_out_unless_credentials_are_asked_for() -> None:
    webhook, _ = webhook_create(
        actor=make_person(role=Person.Role.ADMIN),
        url="https://lms.example.org/hook",
        description="LMS",
        events=["session.scheduled"],
    )

    [plain] = _exported_webhooks(include_credentials=False)
    [full] = _exported_webhooks(include_credentials=True)

    assert (plain["url"], plain["secret_sealed"]) == ("https://lms.example.org/hook", "")
    assert full["secret_sealed"] == webhook.secret_sealed != ""
