"""docs/integrations.md stays true: every JSON example of "Outgoing webhooks" is a body the
published schema accepts, and its Python snippet verifies a real delivery (and refuses a
tampered one)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.utils import timezone
from jsonschema import Draft202012Validator

import knowflow.webhooks
from knowflow.accounts.models import Person
from knowflow.outbound.services import outbound_deliver_due
from knowflow.webhooks.services import webhook_create, webhook_ping
from tests.factories import make_person
from tests.webhooks.receiver import Receiver

DOCS = Path(__file__).resolve().parents[2] / "docs" / "integrations.md"
SCHEMA = json.loads(
    (Path(knowflow.webhooks.__file__).parent / "schema" / "deliveries.schema.json").read_text()
)


def _section() -> str:
    text = DOCS.read_text()
    start = text.index("## Outgoing webhooks")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", _section(), flags=re.DOTALL)


def test_every_json_example_is_a_valid_delivery() -> None:
    validator = Draft202012Validator(SCHEMA)
    examples = [json.loads(block) for block in _blocks("json")]

    assert sorted(body["type"] for body in examples) == sorted(SCHEMA["properties"]["type"]["enum"])
    assert {
        body["type"]: [e.message for e in validator.iter_errors(body)] for body in examples
    } == {body["type"]: [] for body in examples}


@pytest.mark.django_db(transaction=True)
def test_the_python_snippet_verifies_a_real_delivery(hook_receiver: Receiver) -> None:
    [snippet] = _blocks("python")
    namespace: dict = {}
    exec(snippet, namespace)  # noqa: S102 - our own documentation
    verify = namespace["verify"]
    admin = make_person(role=Person.Role.ADMIN)
    webhook, secret = webhook_create(
        actor=admin, url=hook_receiver.url, description="", events=["session.scheduled"]
    )
    webhook_ping(webhook=webhook, actor=admin)

    outbound_deliver_due(now=timezone.now())

    [received] = hook_receiver.requests
    assert verify(secret, received.headers, received.body) is True
    assert verify(secret, received.headers, received.body.replace(b"ping", b"pong")) is False
    assert verify("kfwh_another", received.headers, received.body) is False
    stale = {
        **received.headers,
        "Knowflow-Timestamp": str(int(received.headers["Knowflow-Timestamp"]) - 301),
    }
    assert verify(secret, stale, received.body) is False
