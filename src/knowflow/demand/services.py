"""Everything that changes topic requests: ask, vote, withdraw a vote, merge, propose.

Each service checks the permission first, validates, and writes in one transaction; emails
(to candidate experts and champions on creation) are queued in the outbox in that transaction,
so a request that rolled back tells nobody.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.demand import notifications
from knowflow.demand.models import FORMATS, LEVELS, TopicRequest, Vote
from knowflow.demand.permissions import can_ask, can_merge, can_propose_from, can_vote
from knowflow.errors import Conflict, DomainError, Forbidden
from knowflow.events.models import Session
from knowflow.events.services import session_create
from knowflow.topics.models import Topic

MAX_TITLE = 200
MAX_REASON = 500


class RequestClosed(Conflict):
    """The request was answered or merged: it takes no more votes or changes."""


class AlreadyVoted(Conflict):
    pass


def _check_open(request: TopicRequest, doing: str) -> None:
    if request.status == TopicRequest.Status.MERGED:
        raise RequestClosed(f"This request was merged into another one: {doing} there instead.")
    if request.status != TopicRequest.Status.OPEN:
        raise RequestClosed(f"This request was answered with a session: {doing} is closed.")


def _check_choice(value: str, choices: list[tuple[str, str]], field: str) -> str:
    values = [v for v, _ in choices]
    if value not in values:
        allowed = ", ".join(v for v in values if v) + " or empty for any"
        raise DomainError(f"'{value}' is not a valid {field}; use one of: {allowed}.", field=field)
    return value


@transaction.atomic
def request_create(
    *,
    actor: Person,
    title: str,
    description: str = "",
    topics: Iterable[Topic] = (),
    format: str = "",
    level: str = "",
) -> TopicRequest:
    """Ask for a topic. Tells the candidate experts and the champions of the candidate circles
    (``notifications.request_reached_enqueue``), each once per request."""
    if not can_ask(actor=actor):
        raise Forbidden("You cannot ask for topics.")
    title = title.strip()
    if not title:
        raise DomainError("Say what you need in a sentence.", field="title")
    if len(title) > MAX_TITLE:
        raise DomainError(f"The title is longer than {MAX_TITLE} characters.", field="title")
    _check_choice(format, FORMATS, "format")
    _check_choice(level, LEVELS, "level")
    request = TopicRequest.objects.create(
        title=title, description=description.strip(), format=format, level=level, requester=actor
    )
    request.topics.set(list(topics))
    notifications.request_reached_enqueue(request=request)
    return request


@transaction.atomic
def request_vote(*, request: TopicRequest, actor: Person, reason: str = "") -> Vote:
    """Add the actor's vote (with an optional reason); one vote per person and request."""
    request = TopicRequest.objects.select_for_update().get(pk=request.pk)
    _check_open(request, "voting")
    if not can_vote(actor=actor, request=request):
        raise Forbidden("You asked for this topic: your voice counts already.")
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise DomainError(f"The reason is longer than {MAX_REASON} characters.", field="reason")
    if Vote.objects.filter(request=request, person=actor).exists():
        raise AlreadyVoted("You have voted for this request already.")
    try:
        with transaction.atomic():
            return Vote.objects.create(request=request, person=actor, reason=reason)
    except IntegrityError as error:  # a second click that raced the first
        raise AlreadyVoted("You have voted for this request already.") from error


@transaction.atomic
def request_unvote(*, request: TopicRequest, actor: Person) -> None:
    """Withdraw the actor's vote."""
    _check_open(request, "withdrawing a vote")
    deleted, _ = Vote.objects.filter(request=request, person=actor).delete()
    if not deleted:
        raise DomainError("You have not voted for this request.")


@transaction.atomic
def request_merge(*, request: TopicRequest, into: TopicRequest, actor: Person) -> TopicRequest:
    """Merge the duplicate ``request`` into ``into``: its votes move over (someone who voted for
    both keeps one vote, the one on ``into``), its requester becomes a voter of ``into`` unless
    they asked for it or voted already, and ``request`` points at ``into`` (its page redirects).
    Returns ``into``."""
    if not can_merge(actor=actor, request=request):
        raise Forbidden("Only the requester and enablers can merge this request.")
    locked = {
        r.pk: r
        for r in TopicRequest.objects.select_for_update().filter(pk__in=[request.pk, into.pk])
    }
    request, into = locked[request.pk], locked.get(into.pk, into)
    if request.pk == into.pk:
        raise DomainError("A request cannot be merged into itself.", field="into")
    _check_open(request, "merging")
    if into.status == TopicRequest.Status.MERGED:
        raise DomainError(
            "That request was itself merged: merge into the one it points to.", field="into"
        )
    taken = set(Vote.objects.filter(request=into).values_list("person_id", flat=True))
    taken.add(into.requester_id)
    moving = Vote.objects.filter(request=request)
    moving.filter(person_id__in=taken).delete()
    moved_people = set(moving.values_list("person_id", flat=True))
    moving.update(request=into)
    if request.requester_id not in taken and request.requester_id not in moved_people:
        Vote.objects.create(
            request=into, person_id=request.requester_id, reason=f"Asked: {request.title}"[:500]
        )
    into.topics.add(*request.topics.all())
    request.status = TopicRequest.Status.MERGED
    request.merged_into = into
    request.save(update_fields=["status", "merged_into"])
    return into


@transaction.atomic
def request_propose(*, request: TopicRequest, actor: Person) -> Session:
    """Answer ``request`` with a proposed session in one step: the request's title, topics,
    format and level carried over, the actor as its speaker; the request is marked answered
    and links to it. Its requester and voters become the audience *Find a time* starts with
    (``selectors.audience_for_session``)."""
    request = TopicRequest.objects.select_for_update().get(pk=request.pk)
    _check_open(request, "proposing")
    if not can_propose_from(actor=actor, request=request):
        raise Forbidden("You cannot propose sessions.")
    lines = [request.description] if request.description else []
    link = f"{settings.KNOWFLOW_BASE_URL}/requests/{request.pk}/"
    lines.append(f"Asked for in the topic request [“{request.title}”]({link}).")
    session = session_create(
        actor=actor,
        title=request.title,
        abstract="\n\n".join(lines),
        format=request.format or Session.Format.TALK,
        level=request.level or Session.Level.INTRODUCTORY,
        topics=list(request.topics.all()),
    )
    request.status = TopicRequest.Status.ANSWERED
    request.session = session
    request.answered_by = actor
    request.answered_at = timezone.now()
    request.save(update_fields=["status", "session", "answered_by", "answered_at"])
    return session
