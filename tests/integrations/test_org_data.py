"""The organisation export: complete, deterministic, and round-trips through an empty database."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.utils import timezone

from knowflow.events.services import registration_create
from knowflow.integrations.org_data import EXPORTED_MODELS
from tests.factories import (
    make_circle,
    make_occurrence,
    make_person,
    make_room,
    make_session,
    make_topic,
)


def _export() -> str:
    out = StringIO()
    call_command("export_org", stdout=out)
    return out.getvalue()


def _small_organisation() -> None:
    speaker = make_person(name="Ada Speaker", tz="Asia/Kolkata")
    member = make_person(name="Bo Member", tz="Australia/Sydney")
    topic = make_topic("Kubernetes")
    member.skills.set([topic])
    circle = make_circle(champions=[speaker], name="Platform Guild")
    session = make_session(speakers=[speaker], title="Pods 101", circle=circle)
    session.topics.set([topic])
    occurrence = make_occurrence(
        session=session, room=make_room(capacity=5), start=timezone.now() + timedelta(days=2)
    )
    registration_create(occurrence=occurrence, person=member, actor=member)


@pytest.mark.django_db(transaction=True)
def test_export_then_import_into_empty_database_gives_identical_file(tmp_path: Path) -> None:
    _small_organisation()
    first = _export()
    path = tmp_path / "org.json"
    path.write_text(first, encoding="utf-8")
    for label in reversed(EXPORTED_MODELS):
        apps.get_model(label)._default_manager.all().delete()

    call_command("import_org", str(path))

    assert _export() == first
    document = json.loads(first)
    counts = {block["model"]: len(block["rows"]) for block in document["models"]}
    assert counts["events.Registration"] == 1
    assert counts["accounts.Person"] == 2


@pytest.mark.django_db
def test_import_refuses_a_database_that_already_has_an_organisation(tmp_path: Path) -> None:
    _small_organisation()
    path = tmp_path / "org.json"
    path.write_text(_export(), encoding="utf-8")

    with pytest.raises(CommandError, match="already holds an organisation"):
        call_command("import_org", str(path))


@pytest.mark.django_db
def test_import_refuses_a_file_that_is_not_an_export(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"hello": 1}', encoding="utf-8")

    with pytest.raises(CommandError, match="not a Knowflow organisation export"):
        call_command("import_org", str(path))
    assert apps.get_model("accounts.Person").objects.count() == 0
