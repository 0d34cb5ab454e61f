"""The emails topic requests write, through the mail outbox (`knowflow.mail`).

- a new request reaches its candidate experts and the champions of its candidate circles:
  "someone asked for a topic you know";
- its requester and voters hear when the session it became is scheduled (its first date) and
  when that session's recording is published.

Each dedupe key names the request and the person (and the recording), so nobody is told twice
about one request, whatever retries or repeated signals happen.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings

from knowflow.accounts.models import Person
from knowflow.demand.models import TopicRequest
from knowflow.mail.kinds import outbox_kind
from knowflow.mail.services import outbox_enqueue

REACHED = outbox_kind("demand.reached", "Topic request for you")
SCHEDULED = outbox_kind("demand.scheduled", "Topic request scheduled")
RECORDING = outbox_kind("demand.recording", "Topic request recording")
MAX_EXPERTS_TOLD = 5
MAX_CIRCLES_TOLD = 3


def request_url(request: TopicRequest) -> str:
    return f"{settings.KNOWFLOW_BASE_URL}/requests/{request.pk}/"


def request_reached_enqueue(*, request: TopicRequest) -> int:
    """Tell the candidate experts and the candidate circles' champions about a new request,
    each person once (an expert who also champions a circle gets one email). The requester is
    never told about their own request. Returns the number of emails queued."""
    from knowflow.demand.selectors import request_candidate_circles, request_candidate_experts

    why: dict[int, tuple[Person, str]] = {}
    for expert in request_candidate_experts(request=request, limit=MAX_EXPERTS_TOLD):
        why[expert.person.pk] = (expert.person, f"Why you: {expert.why}.")
    for found in request_candidate_circles(request=request, limit=MAX_CIRCLES_TOLD):
        for champion in found.champions:
            why.setdefault(
                champion.pk,
                (champion, f"You champion {found.circle.name}, a circle on these topics."),
            )
    topics = ", ".join(t.name for t in request.topics.all())
    queued = 0
    for person, reason in why.values():
        if person.pk == request.requester_id or not person.email or not person.is_active:
            continue
        queued += outbox_enqueue(
            kind=REACHED,
            recipient=person.email,
            subject=f"Someone asked for a topic you know: {request.title}",
            body=(
                f"Hello {person.display_name},\n\n"
                f"{request.requester.display_name} asked for a session: “{request.title}”"
                + (f" (topics: {topics})" if topics else "")
                + f".\n{reason}\n\n"
                "If you could teach it, open the request and choose “Propose a session”: "
                "the title and topics are carried over, and the people who asked become the "
                f"audience when you find a time.\n\n{request_url(request)}\n"
            ),
            dedupe_key=f"demand.reached:{request.pk}:{person.pk}",
        )
    return queued


def request_scheduled_enqueue(
    *, request: TopicRequest, people: list[Person], session_title: str, slug: str, start: datetime
) -> int:
    """Tell the requester and voters that the session their request became has a date."""
    queued = 0
    link = f"{settings.KNOWFLOW_BASE_URL}/sessions/{slug}/"
    for person in people:
        when = start.astimezone(person.zone).strftime("%a %-d %b %Y, %H:%M %Z")
        queued += outbox_enqueue(
            kind=SCHEDULED,
            recipient=person.email,
            subject=f"Scheduled: {session_title}",
            body=(
                f"Hello {person.display_name},\n\n"
                f"The topic you asked for, “{request.title}”, is now a session with a date: "
                f"{session_title}, first on {when}.\n\nRegister here: {link}\n"
            ),
            dedupe_key=f"demand.scheduled:{request.pk}:{person.pk}",
        )
    return queued


def request_recording_enqueue(
    *,
    request: TopicRequest,
    people: list[Person],
    resource_title: str,
    resource_slug: str,
    resource_id: int,
) -> int:
    """Tell the requester and voters that the recording of their session is out."""
    queued = 0
    link = f"{settings.KNOWFLOW_BASE_URL}/library/{resource_slug}/"
    for person in people:
        queued += outbox_enqueue(
            kind=RECORDING,
            recipient=person.email,
            subject=f"Recording available: {resource_title}",
            body=(
                f"Hello {person.display_name},\n\n"
                f"The recording of the session you asked for (“{request.title}”) is out: "
                f"{resource_title}.\n\nWatch it here: {link}\n"
            ),
            dedupe_key=f"demand.recording:{request.pk}:{resource_id}:{person.pk}",
        )
    return queued
