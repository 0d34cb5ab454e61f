"""The outbound queue, against a real HTTP server: what a receiving system sees, what the
delivery log says, and that a dead endpoint, a killed worker or a removed endpoint loses or
repeats nothing it should not."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from knowflow.outbound.models import OutboundPost
from knowflow.outbound.selectors import outbound_posts
from knowflow.outbound.services import (
    Post,
    Target,
    outbound_deliver_due,
    outbound_enqueue_many,
    outbound_retry,
    register_endpoints,
)
from tests.http_receiver import Receiver

pytestmark = pytest.mark.django_db

# endpoint id -> URL; None = the endpoint was removed
ENDPOINTS: dict[str, str | None] = {}


def _resolve(endpoint_id: str, body: str, now: object) -> Target | None:
    url = ENDPOINTS.get(endpoint_id)
    if url is None:
        return None
    return Target(
        url=url, headers={"X-Test-Endpoint": endpoint_id, "X-Body-Length": str(len(body))}
    )


register_endpoints("test", _resolve)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    ENDPOINTS.clear()
    with Receiver() as server:
        yield server
    ENDPOINTS.clear()


def closed_port_url() -> str:
    """A URL on which nothing listens: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


def post(n: int, endpoint: str = "test:a", *, at_most_once: bool = False) -> Post:
    return Post(
        kind="tests.event",
        endpoint=endpoint,
        body=f'{{"n": {n}}}',
        dedupe_key=f"{endpoint}:{n}",
        at_most_once=at_most_once,
    )


def test_a_post_reaches_the_receiver_with_its_body_and_the_resolved_headers(receiver) -> None:
    ENDPOINTS["a"] = receiver.url + "/hooks/a?x=1"
    outbound_enqueue_many([post(1)])

    report = outbound_deliver_due()

    assert report.sent == 1
    [request] = receiver.requests
    assert request.path == "/hooks/a?x=1"
    assert request.json() == {"n": 1}
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.headers["X-Test-Endpoint"] == "a"
    [row] = outbound_posts(endpoint="test:a")
    assert (row.status, row.response_code, row.attempts) == ("sent", 200, 1)
    assert row.sent_at is not None and row.duration_ms is not None


def test_the_same_dedupe_key_is_queued_once(receiver) -> None:
    ENDPOINTS["a"] = receiver.url
    outbound_enqueue_many([post(1)])
    outbound_enqueue_many([post(1), post(1)])

    outbound_deliver_due()

    assert len(receiver.requests) == 1


def test_a_post_of_a_change_rolled_back_is_never_sent(receiver) -> None:
    ENDPOINTS["a"] = receiver.url
    with pytest.raises(RuntimeError), transaction.atomic():
        outbound_enqueue_many([post(1)])
        raise RuntimeError("the change failed")

    assert outbound_deliver_due().sent == 0
    assert receiver.requests == []


def test_a_server_error_is_retried_with_back_off_and_logged_with_its_code(receiver) -> None:
    ENDPOINTS["a"] = receiver.url
    outbound_enqueue_many([post(1)])
    receiver.answer(500, b"database down")
    now = timezone.now()

    first = outbound_deliver_due(now=now)
    [row] = outbound_posts(endpoint="test:a")
    assert first.retrying == 1
    assert (row.status, row.response_code, row.attempts) == ("pending", 500, 1)
    assert "HTTP 500: database down" in row.last_error
    assert row.next_attempt_at == now + timedelta(minutes=1)

    # Not due again before its back-off; sent once it is and the receiver is back.
    assert outbound_deliver_due(now=now + timedelta(seconds=30)).retrying == 0
    receiver.answer(204)
    assert outbound_deliver_due(now=now + timedelta(minutes=1)).sent == 1
    row.refresh_from_db()
    assert (row.status, row.response_code, row.attempts, row.last_error) == ("sent", 204, 2, "")
    assert len(receiver.requests) == 2


@pytest.mark.parametrize(
    ("code", "status"),
    [(404, "failed"), (410, "failed"), (429, "pending"), (408, "pending"), (503, "pending")],
)
def test_a_client_error_fails_at_once_but_throttling_and_timeouts_are_retried(
    receiver, code: int, status: str
) -> None:
    ENDPOINTS["a"] = receiver.url
    outbound_enqueue_many([post(1)])
    receiver.answer(code)

    outbound_deliver_due()

    [row] = outbound_posts(endpoint="test:a")
    assert (row.status, row.response_code) == (status, code)


def test_a_redirect_is_not_followed_and_says_the_url_must_be_corrected(receiver) -> None:
    ENDPOINTS["a"] = receiver.url
    outbound_enqueue_many([post(1)])
    receiver.answer(lambda request: (301, b""))

    outbound_deliver_due()

    [row] = outbound_posts(endpoint="test:a")
    assert row.status == "failed"
    assert "redirects are not followed" in row.last_error
    assert len(receiver.requests) == 1


def test_a_dead_endpoint_does_not_hold_back_another_and_costs_one_attempt_per_pass(
    receiver,
) -> None:
    ENDPOINTS["dead"] = closed_port_url()
    ENDPOINTS["live"] = receiver.url
    now = timezone.now()
    # The dead endpoint's posts come first in the queue.
    outbound_enqueue_many([post(n, "test:dead") for n in range(3)], now=now - timedelta(seconds=5))
    outbound_enqueue_many([post(n, "test:live") for n in range(2)], now=now)

    report = outbound_deliver_due(now=now)

    assert report.sent == 2 and report.retrying == 1
    assert sorted(r.json()["n"] for r in receiver.requests) == [0, 1]
    dead = outbound_posts(endpoint="test:dead")
    assert sorted(row.attempts for row in dead) == [0, 0, 1]
    # Its other posts wait with the one that failed, instead of each costing a timeout.
    assert {row.next_attempt_at for row in dead} == {now + timedelta(minutes=1)}
    assert "could not connect" in next(row for row in dead if row.attempts).last_error


def test_a_removed_endpoint_gets_nothing_and_its_posts_are_cancelled(receiver) -> None:
    ENDPOINTS["a"] = None
    outbound_enqueue_many([post(1)])

    report = outbound_deliver_due()

    assert report.cancelled == 1 and receiver.requests == []
    [row] = outbound_posts(endpoint="test:a")
    assert row.status == "cancelled"


def test_no_answer_in_time_is_sent_again_at_least_once_but_never_when_at_most_once(
    receiver, settings
) -> None:
    settings.KNOWFLOW_OUTBOUND_TIMEOUT_SECONDS = 0.3
    receiver.delay = 1.0
    ENDPOINTS["a"] = receiver.url
    ENDPOINTS["chat"] = receiver.url
    outbound_enqueue_many([post(1, "test:a"), post(2, "test:chat", at_most_once=True)])

    outbound_deliver_due()

    webhook = outbound_posts(endpoint="test:a")[0]
    chat = outbound_posts(endpoint="test:chat")[0]
    assert webhook.status == "pending" and "no answer came" in webhook.last_error
    assert chat.status == "failed" and "not sent again (at most once)" in chat.last_error


def test_a_post_left_sending_by_a_killed_worker_is_sent_again_unless_at_most_once(
    receiver, settings
) -> None:
    ENDPOINTS["a"] = receiver.url
    outbound_enqueue_many([post(1, "test:a"), post(2, "test:a", at_most_once=True)])
    long_ago = timezone.now() - timedelta(seconds=settings.KNOWFLOW_OUTBOUND_LEASE_SECONDS + 1)
    OutboundPost.objects.update(status="sending", claim_token="dead", claimed_at=long_ago)

    report = outbound_deliver_due()

    assert report.interrupted == 2 and report.sent == 1
    assert [r.json() for r in receiver.requests] == [{"n": 1}]
    once = OutboundPost.objects.get(at_most_once=True)
    assert once.status == "failed" and "may have arrived" in once.last_error


def test_a_post_still_within_its_lease_is_left_to_its_worker(receiver) -> None:
    ENDPOINTS["a"] = receiver.url
    outbound_enqueue_many([post(1)])
    OutboundPost.objects.update(status="sending", claim_token="alive", claimed_at=timezone.now())

    assert outbound_deliver_due().interrupted == 0
    assert receiver.requests == []


def test_an_admin_can_queue_a_failed_post_again(receiver) -> None:
    ENDPOINTS["a"] = receiver.url
    outbound_enqueue_many([post(1)])
    receiver.answer(404)
    outbound_deliver_due()
    [row] = outbound_posts(endpoint="test:a")
    receiver.answer(200)

    assert outbound_retry(post_ids=[row.pk]) == 1
    assert outbound_deliver_due().sent == 1
    row.refresh_from_db()
    assert row.status == "sent"


def test_a_post_to_an_unknown_prefix_or_a_bad_kind_is_refused_when_queued() -> None:
    with pytest.raises(ValueError, match="endpoint key"):
        outbound_enqueue_many([Post(kind="tests.x", endpoint="nocolon", body="{}", dedupe_key="k")])
    with pytest.raises(ValueError, match="dotted kind"):
        outbound_enqueue_many([Post(kind="Bad Kind", endpoint="test:a", body="{}", dedupe_key="k")])
    assert not OutboundPost.objects.exists()


def test_a_post_whose_app_is_not_installed_fails_with_a_clear_reason_and_is_retried() -> None:
    outbound_enqueue_many([post(1, "nobody:1")])

    outbound_deliver_due()

    [row] = outbound_posts(endpoint="nobody:1")
    assert row.status == "pending" and "No app handles the endpoints 'nobody:…'" in row.last_error
