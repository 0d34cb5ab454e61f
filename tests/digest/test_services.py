"""The digest job: who gets one, when (08:00 in their zone), what is in it, and never twice."""

from __future__ import annotations

from datetime import timedelta

import pytest

from knowflow.accounts.services import person_deactivate
from knowflow.digest.models import DigestSubscription
from knowflow.digest.services import digest_enqueue_due, digest_frequency_set
from knowflow.errors import DomainError, Forbidden
from knowflow.events.models import Attendance, Registration
from knowflow.feedback.models import Kind, SurveyRequest, SurveyTemplate
from knowflow.library.models import Resource
from knowflow.mail.models import OutboxMessage
from tests.digest.helpers import (
    MONDAY,
    THURSDAY_BEFORE,
    at,
    circle_with_new_date,
    scheduled_date,
    wednesday_at,
)
from tests.factories import make_occurrence, make_person, make_session, make_topic

pytestmark = pytest.mark.django_db


def digests() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(kind__startswith="digest.").order_by("id"))


def run_at(moment: object) -> None:
    with at(moment):
        digest_enqueue_due()


def worker_sees_everyone() -> None:
    """The worker's pass on the Thursday: it notes each new person's next 08:00."""
    run_at(THURSDAY_BEFORE + timedelta(hours=1))


def test_digest_comes_at_0800_local_on_first_working_day_not_at_0759() -> None:
    with at(THURSDAY_BEFORE):
        ada = make_person(name="Ada", tz="Europe/Berlin")
    circle_with_new_date(ada, start=wednesday_at(9), title="Tracing in practice")  # 10:00 Berlin

    run_at(MONDAY + timedelta(hours=6, minutes=59))  # 07:59 in Berlin
    assert digests() == []

    run_at(MONDAY + timedelta(hours=7))  # 08:00 in Berlin
    [email] = digests()
    assert (email.kind, email.recipient) == ("digest.weekly", ada.email)
    assert email.subject == "Your Knowflow week: 1 new session date"
    assert "- Tracing in practice, Wednesday 09 December, 10:00–11:00 (Europe/Berlin)" in email.body


def test_first_working_day_is_the_persons_own() -> None:
    """Someone who works Tuesday to Saturday gets theirs on Tuesday at 08:00."""
    with at(THURSDAY_BEFORE):
        bo = make_person(name="Bo", tz="UTC")
        bo.working_hours = [None] + [["09:00", "17:00"]] * 5 + [None]
        bo.save(update_fields=["working_hours"])
    circle_with_new_date(bo, start=wednesday_at(10), title="Pairing")

    run_at(MONDAY + timedelta(hours=8))
    assert digests() == []
    run_at(MONDAY + timedelta(days=1, hours=7, minutes=59))
    assert digests() == []
    run_at(MONDAY + timedelta(days=1, hours=8))
    assert [e.recipient for e in digests()] == [bo.email]


def test_tokyo_and_los_angeles_each_get_theirs_at_their_own_0800() -> None:
    """Tokyo's Monday 08:00 is Sunday 23:00 UTC; Los Angeles' is Monday 16:00 UTC. Each sees
    only the date inside their own working hours."""
    with at(THURSDAY_BEFORE):
        kenji = make_person(name="Kenji", tz="Asia/Tokyo")
        lena = make_person(name="Lena", tz="America/Los_Angeles")
    circle_with_new_date(kenji, start=MONDAY + timedelta(days=1, hours=1), title="Tokyo morning")
    circle = kenji.memberships.get().circle
    lena.memberships.create(circle=circle)
    with at(THURSDAY_BEFORE):
        scheduled_date(
            circle=circle, start=MONDAY + timedelta(days=1, hours=18), title="LA morning"
        )

    run_at(MONDAY - timedelta(hours=1, minutes=1))  # Sunday 22:59 UTC
    assert digests() == []
    run_at(MONDAY - timedelta(hours=1))  # Sunday 23:00 UTC: Monday 08:00 in Tokyo
    [tokyo] = digests()
    assert tokyo.recipient == kenji.email
    assert "Tokyo morning, Tuesday 08 December, 10:00–11:00 (Asia/Tokyo)" in tokyo.body
    assert "LA morning" not in tokyo.body  # 03:00 in Tokyo: outside Kenji's hours

    run_at(MONDAY + timedelta(hours=15, minutes=59))
    assert len(digests()) == 1
    run_at(MONDAY + timedelta(hours=16))  # Monday 08:00 in Los Angeles
    [_, los_angeles] = digests()
    assert los_angeles.recipient == lena.email
    assert "LA morning, Tuesday 08 December, 10:00–11:00 (America/Los_Angeles)" in los_angeles.body
    assert "Tokyo morning" not in los_angeles.body


def test_empty_digest_is_not_sent_and_the_week_counts_as_done() -> None:
    with at(THURSDAY_BEFORE):
        quiet = make_person(tz="UTC")
    worker_sees_everyone()
    run_at(MONDAY + timedelta(hours=8))
    assert digests() == []
    subscription = DigestSubscription.objects.get(person=quiet)
    assert subscription.last_period == "2026-W50"
    assert subscription.next_due_at == MONDAY + timedelta(days=7, hours=8)


def test_rerunning_the_job_never_sends_twice() -> None:
    with at(THURSDAY_BEFORE):
        ada = make_person(tz="UTC")
    circle_with_new_date(ada, start=wednesday_at(10), title="Once")
    worker_sees_everyone()
    run_at(MONDAY + timedelta(hours=8))
    run_at(MONDAY + timedelta(hours=8))
    run_at(MONDAY + timedelta(hours=9))
    # A second worker that read the row before the first one moved it on: the period is done.
    DigestSubscription.objects.filter(person=ada).update(next_due_at=MONDAY)
    run_at(MONDAY + timedelta(hours=10))
    assert len(digests()) == 1

    # The next week, with something new, the next one comes.
    with at(MONDAY + timedelta(days=3)):
        scheduled_date(
            circle=ada.memberships.get().circle, start=wednesday_at(24 * 7 + 10), title="Twice"
        )
    run_at(MONDAY + timedelta(days=7, hours=8))
    first, second = digests()
    assert "Once" in first.body and "Once" not in second.body  # not new any more
    assert "- Twice," in second.body


def test_a_deactivated_person_gets_no_digest() -> None:
    with at(THURSDAY_BEFORE):
        gone = make_person(tz="UTC")
        stays = make_person(tz="UTC")
    circle_with_new_date(gone, start=wednesday_at(10), title="For nobody")
    stays.memberships.create(circle=gone.memberships.get().circle)
    worker_sees_everyone()
    person_deactivate(person=gone)
    run_at(MONDAY + timedelta(hours=8))
    assert [e.recipient for e in digests()] == [stays.email]


def test_a_user_switched_off_in_the_admin_gets_no_digest() -> None:
    with at(THURSDAY_BEFORE):
        gone = make_person(tz="UTC")
    circle_with_new_date(gone, start=wednesday_at(10), title="For nobody")
    worker_sees_everyone()
    gone.user.is_active = False
    gone.user.save(update_fields=["is_active"])
    run_at(MONDAY + timedelta(hours=8))
    assert digests() == []


def test_turned_off_means_none_and_daily_means_each_working_day() -> None:
    with at(THURSDAY_BEFORE):
        off = make_person(tz="UTC")
        daily = make_person(tz="UTC")
    circle_with_new_date(off, start=wednesday_at(10), title="News")
    daily.memberships.create(circle=off.memberships.get().circle)
    with at(THURSDAY_BEFORE):
        digest_frequency_set(person=off, frequency="off", actor=off)
        digest_frequency_set(person=daily, frequency="daily", actor=daily)

    run_at(THURSDAY_BEFORE + timedelta(days=1, hours=-4))  # Friday 08:00
    assert [(e.recipient, e.kind) for e in digests()] == [(daily.email, "digest.daily")]
    run_at(MONDAY + timedelta(hours=8))  # nothing new since Friday: nothing sent
    assert len(digests()) == 1
    with at(MONDAY + timedelta(hours=12)):
        scheduled_date(
            circle=off.memberships.get().circle, start=wednesday_at(14), title="Later news"
        )
    run_at(MONDAY + timedelta(days=1, hours=8))
    assert [e.recipient for e in digests()] == [daily.email, daily.email]
    assert "Later news" in digests()[1].body and "- News," not in digests()[1].body


def test_frequency_set_refuses_someone_else_and_a_made_up_value() -> None:
    ada, bob = make_person(), make_person()
    with pytest.raises(Forbidden, match="Only the person themselves"):
        digest_frequency_set(person=ada, frequency="off", actor=bob)
    with pytest.raises(DomainError, match="Choose weekly") as refused:
        digest_frequency_set(person=ada, frequency="hourly", actor=ada)
    assert refused.value.field == "frequency"
    assert not DigestSubscription.objects.exists()


def test_skills_surveys_and_missed_recordings_are_in_the_digest() -> None:
    kubernetes = make_topic("Kubernetes")
    with at(THURSDAY_BEFORE):
        ada = make_person(tz="UTC", skills=[kubernetes])
        cy = make_person(tz="UTC")
        scheduled_date(start=wednesday_at(10), title="Operators", topics=[kubernetes])
        # Missed by Ada (registered, no attendance), attended by Cy.
        held = make_occurrence(
            session=make_session(title="Incident review"), start=THURSDAY_BEFORE - timedelta(days=2)
        )
        for person in (ada, cy):
            Registration.objects.create(
                occurrence=held, person=person, status="going", requested_at=THURSDAY_BEFORE
            )
        Attendance.objects.create(occurrence=held, person=cy, mode=Attendance.Mode.ROOM)
        Resource.objects.create(
            kind=Resource.Kind.RECORDING,
            title="Incident review (video)",
            slug="incident-review-video",
            url="https://video.example.org/1",
            session=held.session,
        )
        SurveyRequest.objects.create(
            occurrence=held,
            person=ada,
            kind=Kind.AFTER_SESSION,
            template=SurveyTemplate.objects.filter(kind=Kind.AFTER_SESSION).first(),
            mode="room",
            status=SurveyRequest.Status.SENT,
            due_at=THURSDAY_BEFORE,
            sent_at=THURSDAY_BEFORE,
            expires_at=MONDAY + timedelta(days=3),
            created_at=THURSDAY_BEFORE,
        )
    worker_sees_everyone()
    run_at(MONDAY + timedelta(hours=8))
    [email] = digests()
    assert email.recipient == ada.email
    assert email.subject == (
        "Your Knowflow week: 1 new session date, 1 survey waiting, 1 recording you missed"
    )
    request_id = SurveyRequest.objects.get(person=ada).pk
    assert email.body.splitlines()[2:] == [
        "New session dates for you, within your working hours:",
        "",
        "- Operators, Wednesday 09 December, 10:00–11:00 (UTC), on your skill Kubernetes",
        f"  https://learn.example.org/sessions/{ada.skills.get().sessions.get().slug}/",
        "",
        "Surveys waiting for your answer:",
        "",
        "- Incident review (open until Thursday 10 December)",
        f"  https://learn.example.org/feedback/requests/{request_id}/",
        "",
        "Recordings of sessions you registered for but missed:",
        "",
        "- Incident review: Incident review (video)",
        "  https://learn.example.org/library/incident-review-video/",
        "",
        "You get this digest every week. Change how often, or turn it off: "
        "https://learn.example.org/digest/",
        email.body.splitlines()[-1],
    ]
    assert email.body.splitlines()[-1].startswith(
        "Unsubscribe in one click: https://learn.example.org/digest/unsubscribe/"
    )


def test_digest_tells_voters_their_topic_request_was_scheduled_but_not_others() -> None:
    from knowflow.demand.models import Vote
    from tests.factories import make_topic_request

    with at(THURSDAY_BEFORE):
        ada = make_person(name="Ada", tz="Europe/Berlin")
        cleo = make_person(name="Cleo", tz="UTC")  # voted for another request
        occurrence = scheduled_date(start=wednesday_at(15), title="Terraform for data engineers")
        request = make_topic_request(
            title="Intro to Terraform", session=occurrence.session, status="answered"
        )
        Vote.objects.create(request=request, person=ada)
        Vote.objects.create(request=make_topic_request(), person=cleo)
    worker_sees_everyone()

    run_at(MONDAY + timedelta(hours=7))  # 08:00 in Berlin

    [email] = [e for e in digests() if e.recipient == ada.email]
    assert email.subject == "Your Knowflow week: 1 topic request scheduled"
    assert (
        "Topic requests you voted for that were scheduled:\n\n"
        "- Intro to Terraform: Terraform for data engineers, Wednesday 09 December, "
        "16:00–17:00 (Europe/Berlin)\n"
        f"  https://learn.example.org/sessions/{occurrence.session.slug}/\n"
    ) in email.body
    assert "<h2>Topic requests you voted for that were scheduled</h2>" in email.html
    assert not [e for e in digests() if e.recipient == cleo.email]
