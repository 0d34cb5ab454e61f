"""The worker's feedback loop: survey requests go out without anyone running a command."""

from __future__ import annotations

import threading
import time

import pytest

from knowflow.feedback.models import SurveyRequest
from knowflow.feedback.services.requests import feedback_tick
from knowflow.mail.models import OutboxMessage
from knowflow.worker import repeat
from tests.feedback.helpers import attend, ended_occurrence, people


@pytest.mark.django_db(transaction=True)
def test_feedback_loop_writes_and_sends_requests_as_a_survey_email() -> None:
    occurrence = ended_occurrence()
    (person,) = people(1)
    attend(occurrence, [person])
    stop = threading.Event()
    worker = threading.Thread(
        target=repeat, args=(feedback_tick,), kwargs={"interval": 0.2, "stop": stop}
    )

    worker.start()
    deadline = time.monotonic() + 20
    while (
        time.monotonic() < deadline
        and not OutboxMessage.objects.filter(recipient=person.email).exists()
    ):
        time.sleep(0.1)
    stop.set()
    worker.join(timeout=10)

    message = OutboxMessage.objects.get(recipient=person.email)
    assert (message.kind, message.subject) == (
        "feedback.survey",
        f"Your feedback: {occurrence.session.title}",
    )
    # The after-session request is sent; the +7/+30/+90 follow-ups wait for their day.
    sent = SurveyRequest.objects.filter(person=person, status=SurveyRequest.Status.SENT)
    assert sent.count() == 1
    assert not worker.is_alive()


@pytest.mark.django_db(transaction=True)
def test_worker_starts_every_periodic_job(monkeypatch: pytest.MonkeyPatch) -> None:
    from knowflow import worker

    started: list[str] = []
    # Imported before threading.Thread is replaced below: some modules (tqdm's) subclass it.
    worker.import_what_the_jobs_use()
    monkeypatch.setattr(
        worker.threading, "Thread", lambda target, name, daemon: _Recorder(name, started)
    )

    worker.start_periodic_jobs(stop=threading.Event())

    assert started == [
        "outbox",
        "outbound",
        "feedback",
        "library reviews",
        "digest",
        "circles",
        "insights",
        "search model",
    ]


class _Recorder:
    def __init__(self, name: str, started: list[str]) -> None:
        self.name, self.started = name, started

    def start(self) -> None:
        self.started.append(self.name)
