"""Composing digests costs the same number of queries for 10 people as for 100."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from knowflow.accounts.models import Person
from knowflow.circles.models import Membership
from knowflow.demand.models import Vote
from knowflow.digest.models import DigestSubscription
from knowflow.digest.selectors import digests_for
from knowflow.digest.services import digest_compose_batch
from knowflow.events.models import Attendance, Registration
from knowflow.feedback.models import Kind, SurveyRequest, SurveyTemplate
from knowflow.library.models import Resource
from knowflow.mail.models import OutboxMessage
from tests.digest.helpers import MONDAY, THURSDAY_BEFORE, at, scheduled_date, wednesday_at
from tests.factories import (
    make_circle,
    make_occurrence,
    make_session,
    make_topic,
    make_topic_request,
)

pytestmark = pytest.mark.django_db
NOW = MONDAY + timedelta(hours=8)


def organisation(size: int, tag: str) -> list[DigestSubscription]:
    """`size` people in two circles and with a skill, each with a new date, a survey waiting,
    a missed recording and a topic request they voted for that was scheduled: every part of
    the digest has rows to read."""
    with at(THURSDAY_BEFORE):
        circles = [make_circle(), make_circle()]
        topic = make_topic()
        people = Person.objects.bulk_create(
            Person(
                display_name=f"{tag} {n}",
                slug=f"{tag}-{n}",
                email=f"{tag}{n}@example.org",
                timezone="Europe/Berlin" if n % 2 else "UTC",
            )
            for n in range(size)
        )
        Membership.objects.bulk_create(
            Membership(circle=circles[n % 2], person=p) for n, p in enumerate(people)
        )
        Person.skills.through.objects.bulk_create(
            Person.skills.through(person_id=p.pk, topic_id=topic.pk) for p in people
        )
        for circle in circles:
            scheduled_date(circle=circle, start=wednesday_at(10))
        scheduled_date(start=wednesday_at(12), topics=[topic])
        asked = scheduled_date(start=wednesday_at(14), title=f"Asked for {tag}")
        request = make_topic_request(requester=people[0], session=asked.session, status="answered")
        Vote.objects.bulk_create(Vote(request=request, person=p) for p in people[1:])
        held = make_occurrence(session=make_session(), start=THURSDAY_BEFORE - timedelta(days=2))
        Registration.objects.bulk_create(
            Registration(occurrence=held, person=p, status="going", requested_at=THURSDAY_BEFORE)
            for p in people
        )
        Attendance.objects.create(occurrence=held, person=people[0], mode="room")
        Resource.objects.create(
            kind="recording",
            title="Video",
            slug=f"video-{tag}",
            url="https://v.example.org",
            session=held.session,
        )
        template = SurveyTemplate.objects.filter(kind=Kind.AFTER_SESSION).first()
        SurveyRequest.objects.bulk_create(
            SurveyRequest(
                occurrence=held,
                person=p,
                kind=Kind.AFTER_SESSION,
                template=template,
                mode="room",
                status="sent",
                due_at=THURSDAY_BEFORE,
                expires_at=NOW + timedelta(days=3),
                created_at=THURSDAY_BEFORE,
            )
            for p in people
        )
        rows = DigestSubscription.objects.bulk_create(
            DigestSubscription(person=p, next_due_at=NOW) for p in people
        )
    return list(
        DigestSubscription.objects.filter(pk__in=[r.pk for r in rows]).select_related("person")
    )


def test_composing_reads_the_same_number_of_queries_for_10_and_100_people() -> None:
    small, large = organisation(10, "small"), organisation(100, "large")
    counts = []
    for batch in (small, large):
        people = [s.person for s in batch]
        since = {p.pk: NOW - timedelta(days=7) for p in people}
        with CaptureQueriesContext(connection) as queries:
            digests = digests_for(people=people, since=since, now=NOW)
        counts.append(len(queries))
        assert all(not d.is_empty for d in digests)
        # Everyone sees their circle's date and the skill's date (Berlin's 10:00 is 11:00, in
        # hours too); everyone but the one who attended sees the recording.
        assert sorted(len(d.new_dates) for d in digests) == [2] * len(people)
        assert sum(len(d.recordings) for d in digests) == len(people) - 1
        # The requester and every voter hear that their request was scheduled.
        assert [len(d.requests) for d in digests] == [1] * len(people)
    assert counts[0] == counts[1] <= 12


def test_a_whole_batch_is_a_fixed_number_of_queries(django_assert_max_num_queries: object) -> None:
    large = organisation(100, "large")
    # The reads above, one INSERT of the emails and one UPDATE of the rows (SQLite splits a
    # bulk INSERT into chunks of 999 parameters: two for 100 emails), a savepoint pair.
    with at(NOW), django_assert_max_num_queries(12 + 2 + 1 + 2):  # type: ignore[operator]
        run = digest_compose_batch(subscriptions=large, now=NOW)
    assert (run.composed, run.sent, run.empty) == (100, 100, 0)
    assert OutboxMessage.objects.filter(kind="digest.weekly").count() == 100
