"""The outbox's move from the integrations app to the mail app keeps every email.

An installation upgraded with emails still waiting (or already sent) must find them in the
mail app afterwards, with the kind each one had, under its dotted name, and still send the
waiting ones. The test migrates a real database back to the state before the move, writes rows
through that state's model, migrates forward and reads them through today's model.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from django.core import mail as django_mail
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from knowflow.mail.models import OutboxMessage
from knowflow.mail.services import outbox_deliver_due

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE_THE_MOVE = [("integrations", "0005_outbox_html"), ("mail", None)]
WRITTEN = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

# (old kind, status) of the rows written before the upgrade, and the kind each must have after.
OLD_ROWS = [
    ("invitation", "sent", "events.invitation"),
    ("update", "sent", "events.update"),
    ("cancellation", "failed", "events.cancellation"),
    ("reminder", "sent", "events.reminder"),
    ("waitlist", "sent", "events.waitlisted"),
    ("survey", "pending", "feedback.survey"),
    ("review", "sent", "library.review_reminder"),
]


def _migrate(targets: list[tuple[str, str | None]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)  # a fresh loader sees what is applied now


def _latest() -> list[tuple[str, str | None]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def before_the_move() -> Iterator[MigrationExecutor]:
    latest = _latest()
    executor = _migrate(BEFORE_THE_MOVE)
    try:
        yield executor
    finally:
        _migrate(latest)


def _write_old_rows(executor: MigrationExecutor) -> None:
    old_apps = executor.loader.project_state(BEFORE_THE_MOVE[:1]).apps
    OldOutboxMessage = old_apps.get_model("integrations", "OutboxMessage")  # noqa: N806
    for number, (kind, status, _) in enumerate(OLD_ROWS):
        OldOutboxMessage.objects.create(
            kind=kind,
            recipient=f"person{number}@example.org",
            subject=f"Email {number}",
            body=f"Hello {number}",
            dedupe_key=f"old:{number}",
            status=status,
            attempts=8 if status == "failed" else 0,
            next_attempt_at=WRITTEN,
            created_at=WRITTEN,
            sent_at=WRITTEN if status == "sent" else None,
        )


def test_outbox_rows_written_before_the_move_are_in_the_mail_app_after_it(
    before_the_move: MigrationExecutor,
) -> None:
    _write_old_rows(before_the_move)

    _migrate(_latest())

    rows = list(
        OutboxMessage.objects.order_by("dedupe_key").values_list(
            "dedupe_key", "kind", "status", "recipient", "subject"
        )
    )
    assert rows == [
        (f"old:{number}", new_kind, status, f"person{number}@example.org", f"Email {number}")
        for number, (_, status, new_kind) in enumerate(OLD_ROWS)
    ]
    assert OutboxMessage._meta.db_table == "mail_outboxmessage"


def test_an_email_waiting_before_the_upgrade_is_sent_after_it(
    before_the_move: MigrationExecutor,
) -> None:
    _write_old_rows(before_the_move)
    _migrate(_latest())

    report = outbox_deliver_due(now=datetime(2026, 12, 1, 9, 0, tzinfo=UTC))

    assert (report.sent, report.failed) == (1, 0)
    assert [(m.to, m.subject) for m in django_mail.outbox] == [(["person5@example.org"], "Email 5")]
    assert OutboxMessage.objects.get(dedupe_key="old:5").status == "sent"


def test_migrating_back_restores_the_old_kinds(before_the_move: MigrationExecutor) -> None:
    _write_old_rows(before_the_move)
    _migrate(_latest())

    executor = _migrate(BEFORE_THE_MOVE)

    old_apps = executor.loader.project_state(BEFORE_THE_MOVE[:1]).apps
    OldOutboxMessage = old_apps.get_model("integrations", "OutboxMessage")  # noqa: N806
    kinds = list(OldOutboxMessage.objects.order_by("dedupe_key").values_list("kind", flat=True))
    assert kinds == [kind for kind, _, _ in OLD_ROWS]
