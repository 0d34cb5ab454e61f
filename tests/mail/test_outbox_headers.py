"""Per-message headers: sent as given, and refused before writing when they could inject one."""

from __future__ import annotations

import pytest

from knowflow.mail.models import OutboxMessage
from knowflow.mail.services import Email, outbox_deliver_due, outbox_enqueue, outbox_enqueue_many
from tests.smtp import Inbox

pytestmark = pytest.mark.django_db


def test_a_messages_own_headers_are_sent_and_others_have_none(smtp: Inbox) -> None:
    outbox_enqueue(
        kind="library.review_reminder",
        recipient="a@example.org",
        subject="With",
        body="Hello",
        dedupe_key="with",
        headers={"List-Unsubscribe": "<https://learn.example.org/u/1/>"},
    )
    outbox_enqueue(
        kind="library.review_reminder",
        recipient="b@example.org",
        subject="Without",
        body="Hello",
        dedupe_key="without",
    )
    outbox_deliver_due()
    received = {m["Subject"]: m for m in smtp.messages}
    assert received["With"]["List-Unsubscribe"] == "<https://learn.example.org/u/1/>"
    assert received["Without"]["List-Unsubscribe"] is None
    assert received["With"]["Message-ID"].startswith("<outbox-")


@pytest.mark.parametrize(
    "headers",
    [
        {"List-Unsubscribe": "<https://x/>\r\nBcc: everyone@example.org"},
        {"Message-ID": "<mine@example.org>"},
        {"To": "someone-else@example.org"},
        {"Bad Name": "x"},
    ],
)
def test_a_header_that_could_inject_or_replace_one_is_refused_before_writing(
    headers: dict[str, str],
) -> None:
    with pytest.raises(ValueError):
        outbox_enqueue(
            kind="library.review_reminder",
            recipient="a@example.org",
            subject="S",
            body="B",
            dedupe_key="k",
            headers=headers,
        )
    with pytest.raises(ValueError):
        outbox_enqueue_many(
            emails=[
                Email(
                    kind="library.review_reminder",
                    recipient="a@example.org",
                    subject="S",
                    body="B",
                    dedupe_key="k2",
                    headers=headers,
                )
            ]
        )
    assert not OutboxMessage.objects.exists()
