"""Owners of resources due for a review are asked, by email, at most once a week."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from knowflow.library import notifications, services
from knowflow.library.models import Resource
from knowflow.mail.models import OutboxMessage
from tests.factories import make_person

pytestmark = pytest.mark.django_db


def _stale_resource(owner: object, title: str, days: int = 400) -> Resource:
    resource = services.resource_create(
        actor=owner, kind="article", title=title, url="https://example.org/a"
    )
    Resource.objects.filter(pk=resource.pk).update(
        last_reviewed_on=timezone.localdate() - timedelta(days=days)
    )
    return resource


def test_owner_gets_one_email_a_week_listing_their_stale_resources() -> None:
    owner = make_person(name="Olga Owner")
    _stale_resource(owner, "Kafka in 2019")
    _stale_resource(owner, "Old CI guide")
    services.resource_create(actor=owner, kind="article", title="Fresh", url="https://e.org/f")

    assert notifications.library_review_reminders_enqueue() == 1
    assert notifications.library_review_reminders_enqueue() == 0  # the hourly pass, same week

    message = OutboxMessage.objects.get(recipient=owner.email)
    assert (message.kind, message.subject) == (
        "library.review_reminder",
        "Still accurate? 2 of your resources are due for a review",
    )
    assert "Kafka in 2019" in message.body and "Old CI guide" in message.body
    assert "Fresh" not in message.body

    next_week = timezone.localdate() + timedelta(days=7)
    assert notifications.library_review_reminders_enqueue(today=next_week) == 1


def test_confirmed_resources_ask_nothing() -> None:
    owner = make_person(name="Carl Confirmer")
    resource = _stale_resource(owner, "Terraform basics")

    services.resource_confirm_reviewed(resource=resource, actor=owner)

    assert notifications.library_review_reminders_enqueue() == 0
    assert not OutboxMessage.objects.filter(recipient=owner.email).exists()
