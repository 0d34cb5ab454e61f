"""The call for proposals: organisers open it (dates, formats, questions); any member proposes a
talk — a draft first if they like, edited until the call closes — with co-speakers who confirm,
and the days and hours they can give it in their own time zone.

Every refusal names its field and writes nothing. A proposal is its submitter's until a
decision: co-speakers confirm or decline, organisers read it, reviewers read its anonymised
version (`review.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.conferences.models import (
    Conference,
    Proposal,
    ProposalSpeaker,
    ProposalStar,
    Star,
    Track,
)
from knowflow.conferences.permissions import can_manage_conferences, can_see_conferences
from knowflow.errors import Conflict, DomainError, Forbidden, NotFound
from knowflow.events.models import Session
from knowflow.mail.kinds import outbox_kind
from knowflow.mail.services import outbox_enqueue

COSPEAKER = outbox_kind("conferences.cospeaker", "Asked to co-speak")
DEFAULT_FORMATS = [Session.Format.TALK, Session.Format.WORKSHOP, Session.Format.LIGHTNING]
MAX_QUESTIONS = 10
MAX_CO_SPEAKERS = 3
TITLE_LENGTH = (5, 200)
ABSTRACT_LENGTH = (20, 5000)
ANSWER_LENGTH = 2000


class CallState:
    NOT_ANNOUNCED = "not announced"
    NOT_OPEN_YET = "not open yet"
    OPEN = "open"
    CLOSED = "closed"


def call_state(conference: Conference, *, now: datetime | None = None) -> str:
    now = now or timezone.now()
    if conference.cfp_opens_at is None or conference.cfp_closes_at is None:
        return CallState.NOT_ANNOUNCED
    if now < conference.cfp_opens_at:
        return CallState.NOT_OPEN_YET
    if now >= conference.cfp_closes_at:
        return CallState.CLOSED
    return CallState.OPEN


def call_formats(conference: Conference) -> list[str]:
    return list(conference.cfp_formats) or [str(f) for f in DEFAULT_FORMATS]


# The call ------------------------------------------------------------------------------------


@transaction.atomic
def call_update(
    *,
    actor: Person,
    conference: Conference,
    opens_at: datetime,
    closes_at: datetime,
    formats: list[str],
    questions: list[str],
) -> Conference:
    """Open (or change) the call: when it takes proposals, which formats, which questions."""
    if not can_manage_conferences(actor=actor):
        raise Forbidden("Only enablers run a conference's call for proposals.")
    if closes_at <= opens_at:
        raise DomainError("The call must close after it opens.", field="closes_at")
    if timezone.localtime(closes_at, ZoneInfo(conference.timezone)).date() > conference.ends_on:
        raise DomainError(
            f"The call must close before the conference ends ({conference.ends_on:%-d %b %Y}).",
            field="closes_at",
        )
    if not formats:
        raise DomainError("Choose at least one format the call takes.", field="formats")
    unknown = [f for f in formats if f not in Session.Format.values]
    if unknown:
        raise DomainError(f"There is no format “{unknown[0][:30]}”.", field="formats")
    # Each question once: answers are kept by their question.
    cleaned = list(dict.fromkeys(" ".join(q.split()) for q in questions if q.strip()))
    if len(cleaned) > MAX_QUESTIONS:
        raise DomainError(f"At most {MAX_QUESTIONS} questions.", field="questions")
    if any(len(q) > 300 for q in cleaned):
        raise DomainError("A question has at most 300 characters.", field="questions")
    conference.cfp_opens_at, conference.cfp_closes_at = opens_at, closes_at
    conference.cfp_formats = formats
    conference.cfp_questions = cleaned
    conference.save(update_fields=["cfp_opens_at", "cfp_closes_at", "cfp_formats", "cfp_questions"])
    return conference


# Proposals -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposalFields:
    """What a speaker writes; `submit` asks for the proposal to be complete and sent."""

    title: str
    abstract: str
    format: str
    level: str
    track: Track | None
    answers: dict[str, str]
    co_speakers: list[Person]
    available_days: list[date]
    available_from: time | None
    available_until: time | None
    submit: bool = False


def _check_open(conference: Conference, what: str) -> None:
    state = call_state(conference)
    if state == CallState.OPEN:
        return
    if state == CallState.CLOSED:
        closed = timezone.localtime(conference.cfp_closes_at)
        raise Conflict(f"The call for proposals closed on {closed:%-d %b %Y, %H:%M %Z}: {what}.")
    raise Conflict(f"The call for proposals is not open: {what}.")


def _check_fields(conference: Conference, actor: Person, fields: ProposalFields) -> None:
    title = " ".join(fields.title.split())
    low, high = TITLE_LENGTH
    if not low <= len(title) <= high:
        raise DomainError(f"A title has {low} to {high} characters.", field="title")
    low, high = ABSTRACT_LENGTH
    if not low <= len(fields.abstract.strip()) <= high:
        raise DomainError(
            f"An abstract has {low} to {high} characters: say what people will learn.",
            field="abstract",
        )
    if fields.format not in call_formats(conference):
        raise DomainError("Choose one of the formats this call takes.", field="format")
    if fields.level not in Session.Level.values:
        raise DomainError("Choose a level.", field="level")
    if fields.track is not None and fields.track.conference_id != conference.pk:
        raise DomainError("Choose a track of this conference.", field="track")
    for question, answer in fields.answers.items():
        if question not in conference.cfp_questions:
            raise DomainError("Answer the call's own questions.", field="answers")
        if len(answer) > ANSWER_LENGTH:
            raise DomainError(f"An answer has at most {ANSWER_LENGTH} characters.", field="answers")
    others = [p for p in fields.co_speakers if p.pk != actor.pk]
    if len(others) > MAX_CO_SPEAKERS:
        raise DomainError(f"At most {MAX_CO_SPEAKERS} co-speakers.", field="co_speakers")
    if any(not p.is_active for p in others):
        raise DomainError("A co-speaker has left the organisation.", field="co_speakers")
    first, last = conference.starts_on, conference.ends_on
    if any(not first <= day <= last for day in fields.available_days):
        raise DomainError("Choose days of the conference.", field="available_days")
    if (fields.available_from is None) != (fields.available_until is None):
        raise DomainError(
            "Give both the earliest and the latest time, or neither.", field="available_until"
        )
    if (
        fields.available_from is not None
        and fields.available_until is not None
        and fields.available_until == fields.available_from
    ):
        # A latest end before the earliest start crosses the speaker's midnight (20:00–05:00
        # for a speaker in Sydney at a London conference); the same time twice is no window.
        raise DomainError(
            "The latest end must differ from the earliest start.", field="available_until"
        )
    if fields.submit:
        missing = [q for q in conference.cfp_questions if not fields.answers.get(q, "").strip()]
        if missing:
            raise DomainError(f"Answer “{missing[0]}” to submit.", field="answers")
        if not fields.available_days:
            raise DomainError(
                "Say on which days you can give it to submit.", field="available_days"
            )


def _cospeaker_asked(proposal: Proposal, person: Person) -> None:
    if not person.email:
        return
    url = f"{settings.KNOWFLOW_BASE_URL}/conferences/{proposal.conference.slug}/cfp/"
    outbox_enqueue(
        kind=COSPEAKER,
        recipient=person.email,
        subject=f"{proposal.submitter.display_name} named you as co-speaker: {proposal.title}",
        body=(
            f"Hello {person.display_name},\n\n"
            f"{proposal.submitter.display_name} named you as a co-speaker of “{proposal.title}”, "
            f"proposed to {proposal.conference.name}. You are on the proposal once you confirm; "
            f"until then it does not count you.\n\nConfirm or decline: {url}\n"
        ),
        dedupe_key=f"conferences.cospeaker:{proposal.pk}:{person.pk}",
    )


@transaction.atomic
def proposal_save(
    *,
    actor: Person,
    conference: Conference,
    fields: ProposalFields,
    proposal: Proposal | None = None,
) -> Proposal:
    """Create or edit a proposal (its submitter, while the call is open), as a draft or
    submitted. Newly named co-speakers are asked to confirm (one email each, once)."""
    if not can_see_conferences(actor=actor):
        raise Forbidden("Proposals are for the organisation's members.")
    if proposal is not None:
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if proposal.submitter_id != actor.pk:
            raise Forbidden("Only the person who proposed it edits a proposal.")
        if proposal.state not in (Proposal.State.DRAFT, Proposal.State.SUBMITTED):
            raise Conflict(f"This proposal is {proposal.get_state_display().lower()}.")
    # The call's dates as they are now, not as the caller read them.
    conference = Conference.objects.get(pk=conference.pk)
    _check_open(conference, "proposals cannot be written or changed")
    _check_fields(conference, actor, fields)
    if proposal is None:
        proposal = Proposal(conference=conference, submitter=actor)
    proposal.title = " ".join(fields.title.split())  # one line: it is an email's subject too
    proposal.abstract = fields.abstract.strip()
    proposal.format, proposal.level, proposal.track = fields.format, fields.level, fields.track
    proposal.answers = {q: fields.answers.get(q, "").strip() for q in conference.cfp_questions}
    proposal.available_days = sorted(day.isoformat() for day in set(fields.available_days))
    proposal.available_from, proposal.available_until = (
        fields.available_from,
        fields.available_until,
    )
    proposal.available_zone = actor.timezone
    if fields.submit and proposal.state == Proposal.State.DRAFT:
        proposal.state = Proposal.State.SUBMITTED
        proposal.submitted_at = timezone.now()
    proposal.save()
    wanted = {p.pk: p for p in fields.co_speakers if p.pk != actor.pk}
    ProposalSpeaker.objects.filter(proposal=proposal).exclude(person_id__in=wanted).delete()
    known = set(
        ProposalSpeaker.objects.filter(proposal=proposal).values_list("person_id", flat=True)
    )
    for pk, person in wanted.items():
        if pk not in known:
            ProposalSpeaker.objects.create(proposal=proposal, person=person)
            _cospeaker_asked(proposal, person)
    return proposal


@transaction.atomic
def proposal_withdraw(*, actor: Person, proposal: Proposal) -> Proposal:
    """The submitter takes a proposal back (before a decision)."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.submitter_id != actor.pk:
        raise Forbidden("Only the person who proposed it withdraws a proposal.")
    if proposal.state not in (Proposal.State.DRAFT, Proposal.State.SUBMITTED):
        raise Conflict(f"This proposal is {proposal.get_state_display().lower()}.")
    proposal.state = Proposal.State.WITHDRAWN
    proposal.save(update_fields=["state", "updated_at"])
    return proposal


@transaction.atomic
def cospeaker_answer(*, actor: Person, proposal: Proposal, confirm: bool) -> ProposalSpeaker:
    """A named co-speaker confirms (they are on the proposal) or declines (they are not)."""
    row = (
        ProposalSpeaker.objects.select_for_update().filter(proposal=proposal, person=actor).first()
    )
    if row is None:
        raise NotFound("You are not named on this proposal.")
    if proposal.state in (
        Proposal.State.ACCEPTED,
        Proposal.State.REJECTED,
        Proposal.State.WITHDRAWN,
    ):
        raise Conflict(f"This proposal is {proposal.get_state_display().lower()}.")
    now = timezone.now()
    row.confirmed_at, row.declined_at = (now, None) if confirm else (None, now)
    row.save(update_fields=["confirmed_at", "declined_at"])
    return row


# Reading -------------------------------------------------------------------------------------


def proposals_of(*, person: Person, conference: Conference) -> QuerySet[Proposal]:
    return (
        Proposal.objects.filter(conference=conference, submitter=person)
        .select_related("track")
        .prefetch_related("speakers__person")
        .order_by("-created_at", "-id")
    )


def asked_to_cospeak(*, person: Person, conference: Conference) -> QuerySet[ProposalSpeaker]:
    """The proposals naming this person as a co-speaker (not withdrawn), newest first."""
    return (
        ProposalSpeaker.objects.filter(proposal__conference=conference, person=person)
        .exclude(proposal__state=Proposal.State.WITHDRAWN)
        .select_related("proposal__submitter")
        .order_by("-proposal__created_at", "-id")
    )


def proposal_get(*, conference: Conference, pk: int) -> Proposal:
    proposal = (
        Proposal.objects.filter(conference=conference, pk=pk)
        .select_related("track", "submitter")
        .first()
    )
    if proposal is None:
        raise NotFound("There is no such proposal.")
    return proposal


def speakers_of(proposal: Proposal) -> list[Person]:
    """Who gives it: the submitter and the co-speakers who confirmed."""
    confirmed = [
        row.person
        for row in proposal.speakers.select_related("person").filter(confirmed_at__isnull=False)
    ]
    return [proposal.submitter, *confirmed]


def availability_text(proposal: Proposal) -> str:
    """ "Tue 4, Wed 5 Jun, 09:00–13:00 Asia/Kolkata" as the speaker wrote it."""
    days = [date.fromisoformat(day) for day in proposal.available_days]
    if not days:
        return "not given"
    text = ", ".join(f"{day:%a} {day.day} {day:%b}" for day in days)
    if proposal.available_from and proposal.available_until:
        text += (
            f", {proposal.available_from:%H:%M}–{proposal.available_until:%H:%M} "
            f"{proposal.available_zone}"
        )
    return text


# Audience interest before the programme exists ------------------------------------------------

WANTABLE = (Proposal.State.SUBMITTED, Proposal.State.ACCEPTED)


def proposal_star_set(*, actor: Person, proposal: Proposal, starred: bool) -> bool:
    """A member would like to see a submitted proposal (or no longer); True when it changed."""
    if not can_see_conferences(actor=actor):
        raise Forbidden("Proposals are for the organisation's members.")
    if proposal.state not in WANTABLE:
        raise Conflict("Only submitted proposals can be wanted.")
    if starred:
        _, created = ProposalStar.objects.get_or_create(proposal=proposal, person=actor)
        if created and proposal.talk_id is not None:  # accepted already: the talk too
            Star.objects.get_or_create(talk_id=proposal.talk_id, person=actor)
        return created
    deleted, _ = ProposalStar.objects.filter(proposal=proposal, person=actor).delete()
    return deleted > 0


def proposal_stars_to_talk(*, proposal: Proposal) -> int:
    """When a proposal becomes a talk, everyone who wanted it has the talk in their agenda (and
    counts in the programme's audience data). Returns how many stars were added."""
    if proposal.talk_id is None:
        return 0
    have = set(Star.objects.filter(talk_id=proposal.talk_id).values_list("person_id", flat=True))
    people = [
        person_id
        for person_id in ProposalStar.objects.filter(proposal=proposal).values_list(
            "person_id", flat=True
        )
        if person_id not in have
    ]
    Star.objects.bulk_create(
        [Star(talk_id=proposal.talk_id, person_id=person_id) for person_id in people],
        ignore_conflicts=True,  # a star made meanwhile on the programme page
    )
    return len(people)


def without_speakers(text: str, names: list[str]) -> str:
    """The text with each speaker's name (and each of its words of four letters or more)
    replaced by [speaker]: what members and reviewers read, so names do not sway them."""
    words = {name for name in names if name.strip()}
    words |= {part for name in names for part in re.split(r"[\s\-'’]+", name) if len(part) >= 4}
    for word in sorted(words, key=len, reverse=True):
        text = re.sub(rf"(?i)\b{re.escape(word)}\b", "[speaker]", text)
    return text


def _speaker_names(proposal: Proposal) -> list[str]:
    return [proposal.submitter.display_name] + [
        row.person.display_name for row in proposal.speakers.all()
    ]


def public_title(proposal: Proposal) -> str:
    """The title without the speakers' names ("Priya's guide to …" → "[speaker]'s guide …")."""
    return without_speakers(proposal.title, _speaker_names(proposal))


def public_abstract(proposal: Proposal) -> str:
    """The organisers' anonymised abstract, or the abstract without the speakers' names."""
    if proposal.anonymised_abstract.strip():
        return proposal.anonymised_abstract
    return without_speakers(proposal.abstract, _speaker_names(proposal))


def wanted_proposals(*, conference: Conference, person: Person) -> list[dict[str, Any]]:
    """The submitted and accepted proposals, anonymised, with whether ``person`` wants each and
    (for the organisers' eyes) how many do."""
    wanted = set(
        ProposalStar.objects.filter(person=person, proposal__conference=conference).values_list(
            "proposal_id", flat=True
        )
    )
    counts = dict(
        ProposalStar.objects.filter(
            proposal__conference=conference, person__deactivated_at__isnull=True
        )
        .values("proposal_id")
        .annotate(n=models.Count("id"))
        .values_list("proposal_id", "n")
    )
    labels = dict(Session.Format.choices)
    return [
        {
            "proposal": proposal,
            "title": public_title(proposal),
            "abstract": public_abstract(proposal),
            "wanted": proposal.pk in wanted,
            "count": counts.get(proposal.pk, 0),
            "format": labels.get(proposal.format, proposal.format),
        }
        for proposal in Proposal.objects.filter(conference=conference, state__in=WANTABLE)
        .select_related("submitter", "track")
        .prefetch_related("speakers__person")
        .order_by("title", "id")
    ]


# A person's to-do list -----------------------------------------------------------------------


@dataclass(frozen=True)
class ConferenceTodo:
    conference: Conference
    to_review: int  # assigned proposals not reviewed yet, while the review is open
    to_confirm: list[Proposal]  # proposals naming them as co-speaker, not answered yet
    drafts: list[Proposal]  # their drafts, while the call is open


def conference_todos(*, person: Person, now: datetime | None = None) -> list[ConferenceTodo]:
    """What conferences wait for from this person, for their home page (four queries)."""
    from knowflow.conferences.models import Review, ReviewAssignment

    now = now or timezone.now()
    reviewed = Review.objects.filter(reviewer=person).values_list("proposal_id", flat=True)
    to_review: dict[int, int] = {}
    for conference_id in (
        ReviewAssignment.objects.filter(
            reviewer=person,
            proposal__conference__review_open=True,
            proposal__state=Proposal.State.SUBMITTED,
        )
        .exclude(proposal_id__in=reviewed)
        .values_list("proposal__conference_id", flat=True)
    ):
        to_review[conference_id] = to_review.get(conference_id, 0) + 1
    to_confirm: dict[int, list[Proposal]] = {}
    for row in ProposalSpeaker.objects.filter(
        person=person,
        confirmed_at__isnull=True,
        declined_at__isnull=True,
        proposal__state__in=[Proposal.State.DRAFT, Proposal.State.SUBMITTED],
    ).select_related("proposal"):
        to_confirm.setdefault(row.proposal.conference_id, []).append(row.proposal)
    drafts: dict[int, list[Proposal]] = {}
    for proposal in Proposal.objects.filter(
        submitter=person,
        state=Proposal.State.DRAFT,
        conference__cfp_opens_at__lte=now,
        conference__cfp_closes_at__gt=now,
    ):
        drafts.setdefault(proposal.conference_id, []).append(proposal)
    ids = set(to_review) | set(to_confirm) | set(drafts)
    if not ids:
        return []
    return [
        ConferenceTodo(
            conference=conference,
            to_review=to_review.get(conference.pk, 0),
            to_confirm=to_confirm.get(conference.pk, []),
            drafts=drafts.get(conference.pk, []),
        )
        for conference in Conference.objects.filter(pk__in=ids).order_by("starts_on", "name")
    ]
