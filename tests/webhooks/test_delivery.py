"""Deliveries reach a real HTTP receiver when the outbound worker's pass runs: signed as
docs/integrations.md says, retried with back-off, logged with their response code, and sent
only to active webhooks subscribed to the event, for changes that commit."""

from __future__ import annotations

import json
from datetime import UTC, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.events.models import Registration
from knowflow.events.services import occurrence_cancel, registration_create
from knowflow.outbound.models import OutboundPost
from knowflow.outbound.services import outbound_deliver_due
from knowflow.webhooks.models import Webhook
from knowflow.webhooks.selectors import webhook_deliveries
from knowflow.webhooks.services import (
    webhook_create,
    webhook_ping,
    webhook_redeliver,
    webhook_rotate_secret,
    webhook_set_active,
)
from tests.conftest import signed_in
from tests.factories import make_occurrence, make_person
from tests.webhooks.receiver import Receiver
from tests.webhooks.verify import verify

pytestmark = pytest.mark.django_db(transaction=True)


def _hook(admin: Person, url: str, events: list[str]) -> tuple[Webhook, str]:
    return webhook_create(actor=admin, url=url, description="", events=events)


def _register(occurrence: object) -> Registration:
    person = make_person(name="Rita Registrant")
    return registration_create(occurrence=occurrence, person=person, actor=person)


def _posts(webhook: Webhook) -> list[OutboundPost]:
    return list(OutboundPost.objects.filter(endpoint=f"webhook:{webhook.pk}").order_by("id"))


def test_a_registration_is_delivered_signed_to_the_receiver(hook_receiver: Receiver) -> None:
    admin = make_person(role=Person.Role.ADMIN)
    webhook, secret = _hook(admin, hook_receiver.url, ["registration.created"])
    occurrence = make_occurrence()
    registration = _register(occurrence)

    outbound_deliver_due(now=timezone.now())

    [received] = hook_receiver.requests
    body = json.loads(received.body)
    assert received.path == "/hooks/knowflow"
    assert received.headers["Content-Type"] == "application/json; charset=utf-8"
    assert received.headers["Knowflow-Event"] == "registration.created"
    assert received.headers["Knowflow-Webhook-Id"] == str(webhook.pk)
    assert received.headers["Knowflow-Delivery"] == body["id"]
    assert verify(secret, received.headers, received.body)
    assert not verify(secret + "x", received.headers, received.body)
    assert not verify(secret, received.headers, received.body + b" ")
    assert body["type"] == "registration.created"
    assert body["data"]["registration"] == {
        "id": registration.pk,
        "status": "going",
        "requested_at": registration.requested_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    assert body["data"]["person"]["name"] == "Rita Registrant"
    assert body["data"]["session"]["slug"] == occurrence.session.slug
    assert _posts(webhook)[0].status == "sent"


def test_a_delivery_older_than_five_minutes_is_refused_by_the_documented_check(
    hook_receiver: Receiver,
) -> None:
    admin = make_person(role=Person.Role.ADMIN)
    webhook, secret = _hook(admin, hook_receiver.url, ["registration.created"])
    _register(make_occurrence())
    sent_at = timezone.now()

    outbound_deliver_due(now=sent_at)

    [received] = hook_receiver.requests
    assert int(received.headers["Knowflow-Timestamp"]) == int(sent_at.timestamp())
    assert verify(secret, received.headers, received.body, now=sent_at.timestamp() + 299)
    assert not verify(secret, received.headers, received.body, now=sent_at.timestamp() + 301)


def test_only_active_webhooks_subscribed_to_the_event_receive_it(
    hook_receiver: Receiver,
) -> None:
    admin = make_person(role=Person.Role.ADMIN)
    wanted, _ = _hook(admin, hook_receiver.url + "/wanted", ["registration.created"])
    other, _ = _hook(admin, hook_receiver.url + "/other", ["occurrence.cancelled"])
    off, _ = _hook(admin, hook_receiver.url + "/off", ["registration.created"])
    webhook_set_active(webhook=off, actor=admin, active=False)

    _register(make_occurrence())
    outbound_deliver_due(now=timezone.now())

    assert [r.path for r in hook_receiver.requests] == ["/hooks/knowflow/wanted"]
    assert (len(_posts(other)), len(_posts(off))) == (0, 0)


def test_a_webhook_turned_off_before_its_turn_gets_nothing(hook_receiver: Receiver) -> None:
    admin = make_person(role=Person.Role.ADMIN)
    webhook, _ = _hook(admin, hook_receiver.url, ["registration.created"])
    _register(make_occurrence())
    webhook_set_active(webhook=webhook, actor=admin, active=False)

    outbound_deliver_due(now=timezone.now())

    assert hook_receiver.requests == []
    assert [p.status for p in _posts(webhook)] == ["cancelled"]


def test_a_change_that_rolls_back_queues_nothing(hook_receiver: Receiver) -> None:
    admin = make_person(role=Person.Role.ADMIN)
    webhook, _ = _hook(admin, hook_receiver.url, ["registration.created"])
    occurrence = make_occurrence()

    with pytest.raises(RuntimeError), transaction.atomic():
        _register(occurrence)
        raise RuntimeError("the request fails after the registration")

    outbound_deliver_due(now=timezone.now())
    assert (_posts(webhook), hook_receiver.requests) == ([], [])


def test_a_500_is_retried_with_back_off_and_shows_in_the_log(hook_receiver: Receiver) -> None:
    admin = make_person(role=Person.Role.ADMIN)
    webhook, secret = _hook(admin, hook_receiver.url, ["occurrence.cancelled"])
    occurrence = make_occurrence()
    occurrence_cancel(occurrence=occurrence, actor=admin)
    hook_receiver.statuses = [500, 500]
    first = timezone.now()

    outbound_deliver_due(now=first)
    [post] = _posts(webhook)
    after_one = (post.status, post.attempts, post.response_code)
    wait_one = post.next_attempt_at - first
    log = signed_in(admin).get(f"/settings/webhooks/{webhook.pk}/").content.decode()

    outbound_deliver_due(now=first + wait_one - timedelta(seconds=1))  # not due yet
    requests_before_due = len(hook_receiver.requests)
    second = post.next_attempt_at
    outbound_deliver_due(now=second)
    post.refresh_from_db()
    wait_two = post.next_attempt_at - second
    outbound_deliver_due(now=post.next_attempt_at)
    post.refresh_from_db()

    assert after_one == ("pending", 1, 500)
    assert wait_one > timedelta(0)
    assert wait_two > wait_one  # it waits longer each time
    assert requests_before_due == 1
    assert "Will retry" in log and '<td data-label="Response">500</td>' in log
    assert (post.status, post.attempts, post.response_code) == ("sent", 3, 200)
    # The same delivery each time (one id), signed afresh with each attempt's timestamp.
    ids = {r.headers["Knowflow-Delivery"] for r in hook_receiver.requests}
    stamps = [r.headers["Knowflow-Timestamp"] for r in hook_receiver.requests]
    assert len(ids) == 1 and len(set(stamps)) == 3
    for received, moment in zip(hook_receiver.requests, (first, second, post.sent_at), strict=True):
        assert verify(secret, received.headers, received.body, now=moment.timestamp())


def test_a_receiver_that_does_not_answer_in_time_is_retried(
    hook_receiver: Receiver, settings: object
) -> None:
    settings.KNOWFLOW_OUTBOUND_TIMEOUT_SECONDS = 0.3
    hook_receiver.delay = 1.0
    admin = make_person(role=Person.Role.ADMIN)
    webhook, _ = _hook(admin, hook_receiver.url, ["registration.created"])
    _register(make_occurrence())

    outbound_deliver_due(now=timezone.now())

    [post] = _posts(webhook)
    [delivery] = webhook_deliveries(webhook=webhook, viewer=admin)
    assert (post.status, post.attempts, post.response_code) == ("pending", 1, None)
    assert "timed out" in post.last_error.lower()
    assert delivery.status_label == "Will retry"


def test_a_rotated_secret_signs_what_was_still_queued(hook_receiver: Receiver) -> None:
    admin = make_person(role=Person.Role.ADMIN)
    webhook, old = _hook(admin, hook_receiver.url, ["registration.created"])
    _register(make_occurrence())
    new = webhook_rotate_secret(webhook=webhook, actor=admin)

    outbound_deliver_due(now=timezone.now())

    [received] = hook_receiver.requests
    assert verify(new, received.headers, received.body)
    assert not verify(old, received.headers, received.body)


def test_a_failed_delivery_is_sent_again_with_the_same_id(hook_receiver: Receiver) -> None:
    admin = make_person(role=Person.Role.ADMIN)
    webhook, secret = _hook(admin, hook_receiver.url, ["registration.created"])
    _register(make_occurrence())
    hook_receiver.statuses = [410]  # a 4xx other than 408/429 fails at once
    outbound_deliver_due(now=timezone.now())
    [failed] = _posts(webhook)
    client = signed_in(admin)

    response = client.post(
        f"/settings/webhooks/{webhook.pk}/deliveries/{failed.pk}/redeliver/", follow=True
    )
    outbound_deliver_due(now=timezone.now())

    first, again = hook_receiver.requests
    assert failed.status == "failed" and failed.response_code == 410
    assert "Queued again with the same delivery id" in response.content.decode()
    assert again.body == first.body
    assert again.headers["Knowflow-Delivery"] == first.headers["Knowflow-Delivery"]
    assert verify(secret, again.headers, again.body)
    [post] = _posts(webhook)  # the same delivery, sent this time
    assert (post.pk, post.status, post.response_code) == (failed.pk, "sent", 200)


def test_only_a_failed_delivery_can_be_sent_again(hook_receiver: Receiver) -> None:
    admin = make_person(role=Person.Role.ADMIN)
    webhook, _ = _hook(admin, hook_receiver.url, ["registration.created"])
    _register(make_occurrence())
    outbound_deliver_due(now=timezone.now())
    [sent] = _posts(webhook)

    response = signed_in(admin).post(
        f"/settings/webhooks/{webhook.pk}/deliveries/{sent.pk}/redeliver/", follow=True
    )

    assert "Only a failed delivery can be sent again" in response.content.decode()
    assert len(_posts(webhook)) == 1


def test_a_ping_reaches_the_receiver(hook_receiver: Receiver) -> None:
    admin = make_person(role=Person.Role.ADMIN)
    webhook, secret = _hook(admin, hook_receiver.url, ["session.scheduled"])

    response = signed_in(admin).post(f"/settings/webhooks/{webhook.pk}/ping/", follow=True)
    outbound_deliver_due(now=timezone.now())

    [received] = hook_receiver.requests
    assert "Ping queued" in response.content.decode()
    assert received.headers["Knowflow-Event"] == "ping"
    assert json.loads(received.body)["data"] == {
        "webhook_id": webhook.pk,
        "message": "A test delivery sent from the webhook's page.",
    }
    assert verify(secret, received.headers, received.body)
    log = signed_in(admin).get(f"/settings/webhooks/{webhook.pk}/").content.decode()
    assert "Delivered" in log and '<td data-label="Response">200</td>' in log


def test_a_webhook_that_is_off_cannot_be_pinged() -> None:
    admin = make_person(role=Person.Role.ADMIN)
    webhook, _ = _hook(admin, "https://example.org/x", ["session.scheduled"])
    webhook_set_active(webhook=webhook, actor=admin, active=False)

    with pytest.raises(Exception, match="This webhook is off"):
        webhook_ping(webhook=webhook, actor=admin)
    with pytest.raises(Exception, match="This webhook is off"):
        webhook_redeliver(webhook=webhook, actor=admin, post_id=0)
    assert _posts(webhook) == []


def test_a_webhook_imported_without_its_secret_sends_nothing_until_a_new_one_is_made(
    hook_receiver: Receiver,
) -> None:
    admin = make_person(role=Person.Role.ADMIN)
    webhook, _ = _hook(admin, hook_receiver.url, ["registration.created"])
    Webhook.objects.filter(pk=webhook.pk).update(secret_sealed="")  # as the export leaves it
    webhook.refresh_from_db()
    _register(make_occurrence())

    outbound_deliver_due(now=timezone.now())
    page = signed_in(admin).get(f"/settings/webhooks/{webhook.pk}/").content.decode()
    with pytest.raises(Exception, match="This webhook has no signing secret"):
        webhook_ping(webhook=webhook, actor=admin)
    secret = webhook_rotate_secret(webhook=webhook, actor=admin)
    _register(make_occurrence())
    outbound_deliver_due(now=timezone.now())

    assert "This webhook has no signing secret" in page
    [received] = hook_receiver.requests
    assert verify(secret, received.headers, received.body)
    assert [p.status for p in _posts(webhook)] == ["cancelled", "sent"]


def test_a_secret_the_keys_cannot_open_fails_the_attempt_and_says_why(
    hook_receiver: Receiver,
) -> None:
    admin = make_person(role=Person.Role.ADMIN)
    webhook, _ = _hook(admin, hook_receiver.url, ["registration.created"])
    Webhook.objects.filter(pk=webhook.pk).update(secret_sealed="gAAAAAsealed-with-another-key")
    _register(make_occurrence())

    outbound_deliver_due(now=timezone.now())

    [post] = _posts(webhook)
    assert hook_receiver.requests == []
    assert (post.status, post.attempts) == ("pending", 1)
    assert post.last_error == (
        "SecretUnreadable: The signing secret can no longer be read (the sealing keys changed): "
        "make a new secret on the webhook's page."
    )


def test_the_log_reads_in_a_fixed_number_of_queries(hook_receiver: Receiver) -> None:
    admin = make_person(role=Person.Role.ADMIN)
    webhook, _ = _hook(admin, hook_receiver.url, ["session.scheduled"])
    client = signed_in(admin)
    webhook_ping(webhook=webhook, actor=admin)
    outbound_deliver_due(now=timezone.now())
    with CaptureQueriesContext(connection) as one:
        client.get(f"/settings/webhooks/{webhook.pk}/")
    for _ in range(4):
        webhook_ping(webhook=webhook, actor=admin)
    outbound_deliver_due(now=timezone.now())
    with CaptureQueriesContext(connection) as five:
        page = client.get(f"/settings/webhooks/{webhook.pk}/").content.decode()

    assert page.count('<td data-label="Response">200</td>') == 5
    assert len(five) == len(one)
