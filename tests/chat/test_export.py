"""The organisation export leaves a chat channel's sealed webhook URL out unless credentials
are asked for: an incoming-webhook URL is the credential that posts to the channel. A channel
imported without it posts nothing until it is connected again."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from knowflow.chat.models import ChatChannel
from knowflow.events.services import occurrence_create
from knowflow.integrations.org_data import archive
from knowflow.integrations.org_data.exporting import organisation_export
from knowflow.outbound.models import OutboundPost
from tests.chat.helpers import channel_to
from tests.conftest import signed_in
from tests.factories import make_circle, make_person, make_session

pytestmark = pytest.mark.django_db

SLACK_URL = "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"


def _export(*, include_credentials: bool) -> str:
    out = io.BytesIO()
    organisation_export(out=out, include_credentials=include_credentials)
    with zipfile.ZipFile(out) as zipped:
        return zipped.read(archive.DATA_NAME).decode()


def _channels(text: str) -> list[dict]:
    [rows] = [m["rows"] for m in json.loads(text)["models"] if m["model"] == "chat.ChatChannel"]
    return [row["fields"] for row in rows]


def test_the_export_leaves_the_sealed_webhook_url_out_unless_credentials_are_asked_for() -> None:
    channel = channel_to(SLACK_URL, circle=make_circle())

    plain = _export(include_credentials=False)
    full = _export(include_credentials=True)

    [plain_row] = _channels(plain)
    [full_row] = _channels(full)
    assert (plain_row["name"], plain_row["webhook_url_sealed"]) == ("#data-eng", "")
    assert channel.webhook_url_sealed not in plain
    assert full_row["webhook_url_sealed"] == channel.webhook_url_sealed != ""


def test_a_channel_imported_without_its_url_gets_no_posts() -> None:
    champion = make_person()
    circle = make_circle(champions=[champion])
    channel = channel_to(SLACK_URL, circle=circle)
    ChatChannel.objects.filter(pk=channel.pk).update(webhook_url_sealed="")  # as the export

    start = timezone.now() + timedelta(days=3)
    occurrence_create(
        session=make_session(circle=circle),
        actor=champion,
        start=start,
        end=start + timedelta(hours=1),
        online_url="https://meet.example.org/k8s",
        capacity=20,
    )

    assert list(OutboundPost.objects.filter(endpoint=channel.endpoint)) == []


def test_a_channel_without_its_url_says_so_on_the_channels_page() -> None:
    champion = make_person()
    circle = make_circle(champions=[champion])
    channel = channel_to(SLACK_URL, circle=circle)
    ChatChannel.objects.filter(pk=channel.pk).update(webhook_url_sealed="")

    page = signed_in(champion).get(f"/chat/circles/{circle.slug}/").content.decode()

    assert '<span class="badge warn">No webhook URL</span>' in page
    assert "Imported without credentials: remove it and connect it again." in page
