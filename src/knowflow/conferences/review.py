"""Review of a conference's proposals: the organisers choose the reviewers and the score
categories (with weights), open and close the review, and hand each submitted proposal to N
reviewers; reviewers score what they were given, anonymised; the organisers read the ranked
list (weighted mean, spread) and decide, which emails every speaker and, on acceptance, makes
the proposal a session and a talk of the conference.

Rules this module holds:

- **Conflicts of interest.** A proposal never goes to one of its speakers (the submitter and
  every co-speaker who has not declined: one not yet confirmed may still be), nor to anyone in
  the same org unit as one of them.
- **Track teams.** A track may have a team (`TrackReviewer`): its proposals go to the team's
  members only; a proposal with no track, or of a track without a team, goes to any reviewer.
  A team member is always one of the conference's reviewers: naming anyone else is refused
  (becoming a reviewer happens in one place, the reviewers' list), and a reviewer taken off
  that list leaves every team too.
- **Balance.** Assignment is a max-flow / min-cost problem (`balanced_assignment`): as many
  (proposal, reviewer) pairs as the conflicts allow, and among those the one with the least
  sum of squared reviewer loads, which is also the one with the smallest largest load and
  largest smallest load (the loads of a transversal form an M-convex set, whose square-sum
  minimisers are its "decreasingly minimal" elements — Frank & Murota, 2019): whenever the
  conflicts allow a spread of at most 1 between reviewers, this finds it. Existing assignments
  are kept and counted in the loads, so a re-run only tops proposals up.
- **Anonymity.** A reviewer reads only `AnonymisedProposal`: no speaker, org unit or bio is
  in it, and the speakers' names are taken out of the title, the abstract (unless the
  organisers wrote the anonymised one) and the answers.
- **One decision.** Accepting or rejecting takes the proposal's row lock and is refused for
  anything but a submitted proposal, so two organisers deciding at once make one decision and
  one set of emails; the emails are written to the outbox in the same transaction.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.conferences.models import (
    Conference,
    Proposal,
    Review,
    ReviewAssignment,
    Track,
    TrackReviewer,
)
from knowflow.conferences.permissions import can_manage_conferences
from knowflow.conferences.proposals import proposal_stars_to_talk, without_speakers
from knowflow.conferences.services import talk_add
from knowflow.errors import Conflict, DomainError, Forbidden, NotFound
from knowflow.events.models import Session
from knowflow.events.services import session_create
from knowflow.mail.kinds import outbox_kind
from knowflow.mail.services import outbox_enqueue

DECISION = outbox_kind("conferences.decision", "Proposal decided")
ORGANISERS_ONLY = "Only enablers run the review of a conference's proposals."
NOT_YOURS = "There is no proposal for you to review here."
SCORES = range(1, 6)
WEIGHTS = range(1, 11)
MAX_CATEGORIES = 8
CATEGORY_LENGTH = 60
COMMENT_LENGTH = 5000
ABSTRACT_LENGTH = 5000
PER_PROPOSAL = 3
PER_PROPOSAL_RANGE = range(1, 11)
REVIEWED = (Proposal.State.SUBMITTED, Proposal.State.ACCEPTED, Proposal.State.REJECTED)


@dataclass(frozen=True)
class Category:
    name: str
    weight: int


DEFAULT_CATEGORIES = (
    Category("Relevance", 2),
    Category("Clarity", 1),
    Category("Speaker's experience", 1),
)


def _check_organiser(actor: Person) -> None:
    if not can_manage_conferences(actor=actor):
        raise Forbidden(ORGANISERS_ONLY)


# Categories ----------------------------------------------------------------------------------


def categories_of(conference: Conference) -> list[Category]:
    """The conference's score categories, or the default ones when the organisers set none."""
    found = [
        Category(str(item["name"]), int(item["weight"]))
        for item in conference.review_categories
        if isinstance(item, dict) and item.get("name")
    ]
    return found or list(DEFAULT_CATEGORIES)


def categories_text(categories: list[Category]) -> str:
    return "\n".join(f"{c.name}: {c.weight}" for c in categories)


LINE = re.compile(r"^(?P<name>.+?)\s*(?:[:×x*]\s*(?P<weight>\S+))?$")


def categories_parse(text: str) -> list[Category]:
    """ "Relevance: 2" (or "Relevance ×2", or "Relevance" for weight 1), one a line, as
    categories; an empty text is the default ones. A DomainError on "categories" names the line
    that is wrong."""
    found: list[Category] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        match = LINE.match(line)
        assert match is not None  # any non-empty line matches
        name, weight_text = match.group("name").strip(), match.group("weight")
        weight = 1
        if weight_text is not None:
            if not re.fullmatch(r"[0-9]{1,3}", weight_text) or int(weight_text) not in WEIGHTS:
                raise DomainError(
                    f"“{line[:40]}”: a weight is a whole number from {WEIGHTS[0]} to "
                    f"{WEIGHTS[-1]}, written like “Relevance: 2”.",
                    field="categories",
                )
            weight = int(weight_text)
        if len(name) > CATEGORY_LENGTH:
            raise DomainError(
                f"A category's name has at most {CATEGORY_LENGTH} characters.", field="categories"
            )
        if any(c.name.lower() == name.lower() for c in found):
            raise DomainError(f"“{name}” is there twice.", field="categories")
        found.append(Category(name, weight))
    if len(found) > MAX_CATEGORIES:
        raise DomainError(f"At most {MAX_CATEGORIES} categories.", field="categories")
    return found or list(DEFAULT_CATEGORIES)


def weighted_score(scores: Mapping[str, object], categories: list[Category]) -> float | None:
    """One review's score: the weighted mean of its category scores (1–5)."""
    total = weights = 0
    for category in categories:
        value = scores.get(category.name)
        if isinstance(value, int) and not isinstance(value, bool):
            total += value * category.weight
            weights += category.weight
    return total / weights if weights else None


# Settings and phase ----------------------------------------------------------------------------


@transaction.atomic
def review_settings_update(
    *,
    actor: Person,
    conference: Conference,
    reviewers: list[Person],
    categories: list[Category],
) -> Conference:
    """Who reviews (any active members) and the score categories with their weights.

    A reviewer taken off the list loses the assignments they have not reviewed yet (their
    reviews stay and count) and leaves the track teams they were on. The categories cannot
    change once a review is written: its scores are by category, and changing them under it
    would change what it said."""
    _check_organiser(actor)
    conference = Conference.objects.select_for_update().get(pk=conference.pk)
    if any(not person.is_active for person in reviewers):
        raise DomainError("A reviewer has left the organisation.", field="reviewers")
    if not categories:
        categories = list(DEFAULT_CATEGORIES)
    if (
        categories != categories_of(conference)
        and Review.objects.filter(proposal__conference=conference).exists()
    ):
        raise Conflict(
            "Reviews are written with the current categories: they cannot change now.",
            field="categories",
        )
    conference.review_categories = [{"name": c.name, "weight": c.weight} for c in categories]
    conference.save(update_fields=["review_categories"])
    keep = {person.pk for person in reviewers}
    reviewed = Review.objects.filter(proposal__conference=conference).values_list(
        "proposal_id", "reviewer_id"
    )
    done = set(reviewed)
    for assignment in ReviewAssignment.objects.filter(proposal__conference=conference).exclude(
        reviewer_id__in=keep
    ):
        if (assignment.proposal_id, assignment.reviewer_id) not in done:
            assignment.delete()
    TrackReviewer.objects.filter(track__conference=conference).exclude(person_id__in=keep).delete()
    conference.reviewers.set(reviewers)
    return conference


# Track teams -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrackTeam:
    track: Track
    members: list[Person]  # empty: the track's proposals go to any reviewer


def review_teams(*, actor: Person, conference: Conference) -> list[TrackTeam]:
    """Each track of the conference (by name) with its team, members by name. Two queries."""
    _check_organiser(actor)
    tracks = list(conference.tracks.order_by("name", "id"))
    members: dict[int, list[Person]] = defaultdict(list)
    for row in (
        TrackReviewer.objects.filter(track__conference=conference)
        .select_related("person")
        .order_by("person__display_name", "person_id")
    ):
        members[row.track_id].append(row.person)
    return [TrackTeam(track=track, members=members.get(track.pk, [])) for track in tracks]


def _names(people: list[Person]) -> str:
    names = [person.display_name for person in people]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


@transaction.atomic
def review_teams_update(
    *, actor: Person, conference: Conference, teams: Mapping[Track, list[Person]]
) -> int:
    """Set the team of each track given (an empty list: no team, any reviewer takes its
    proposals); tracks not given keep theirs. Every member must be one of the conference's
    active reviewers, else a DomainError on ``team_<track id>`` naming them, and nothing is
    written.

    A proposal of a track given a team loses the assignments, not reviewed yet, of reviewers
    outside the team (as a reviewer taken off the list does), so assigning again fills them
    from the team; the reviews written stay. Returns how many assignments were taken back."""
    _check_organiser(actor)
    # The conference's row lock, as review_settings_update and review_assign take it: the
    # reviewers cannot change between the check below and the write.
    conference = Conference.objects.select_for_update().get(pk=conference.pk)
    tracks_here = {track.pk for track in conference.tracks.all()}
    reviewers = set(
        conference.reviewers.filter(deactivated_at__isnull=True).values_list("pk", flat=True)
    )
    for track, people in teams.items():
        if track.pk not in tracks_here:
            raise NotFound("There is no such track in this conference.")
        outsiders = list({p.pk: p for p in people if p.pk not in reviewers}.values())
        if outsiders:
            verb = "is" if len(outsiders) == 1 else "are"
            raise DomainError(
                f"{_names(outsiders)} {verb} not among the reviewers of {conference.name}: "
                "add them to “Reviewers” first.",
                field=f"team_{track.pk}",
            )
    reviewed = set(
        Review.objects.filter(proposal__conference=conference).values_list(
            "proposal_id", "reviewer_id"
        )
    )
    taken_back = 0
    for track, people in teams.items():
        team = {person.pk for person in people}
        TrackReviewer.objects.filter(track_id=track.pk).exclude(person_id__in=team).delete()
        TrackReviewer.objects.bulk_create(
            [TrackReviewer(track_id=track.pk, person_id=pk) for pk in sorted(team)],
            ignore_conflicts=True,
        )
        if not team:
            continue
        for assignment in ReviewAssignment.objects.filter(proposal__track_id=track.pk).exclude(
            reviewer_id__in=team
        ):
            if (assignment.proposal_id, assignment.reviewer_id) not in reviewed:
                assignment.delete()
                taken_back += 1
    return taken_back


@transaction.atomic
def review_phase_set(*, actor: Person, conference: Conference, open: bool) -> Conference:
    """Open the review (reviewers score) or close it (scores stay; decisions can be made)."""
    _check_organiser(actor)
    conference = Conference.objects.select_for_update().get(pk=conference.pk)
    if conference.review_open == open:
        raise Conflict(f"The review is already {'open' if open else 'closed'}.")
    conference.review_open = open
    conference.save(update_fields=["review_open"])
    return conference


# Assignment ------------------------------------------------------------------------------------


def balanced_assignment(
    *, needs: dict[int, int], eligible: dict[int, set[int]], load: dict[int, int]
) -> dict[int, list[int]]:
    """Reviewers for each proposal: up to ``needs[p]`` of ``eligible[p]`` (each at most once),
    as many pairs as possible, then the smallest sum of squared loads (``load`` is what each
    reviewer holds already). Plain data in, plain data out (OR-Tools' min-cost flow)."""
    from ortools.graph.python import min_cost_flow  # type: ignore[import-untyped]

    proposals = sorted(p for p, n in needs.items() if n > 0 and eligible.get(p))
    reviewers = sorted({r for p in proposals for r in eligible[p]})
    if not proposals or not reviewers:
        return {}
    source, sink = 0, 1 + len(proposals) + len(reviewers)
    node_of_p = {p: 1 + i for i, p in enumerate(proposals)}
    node_of_r = {r: 1 + len(proposals) + i for i, r in enumerate(reviewers)}
    flow = min_cost_flow.SimpleMinCostFlow()
    for p in proposals:
        flow.add_arc_with_capacity_and_unit_cost(source, node_of_p[p], needs[p], 0)
    pairs: dict[int, tuple[int, int]] = {}
    for p in proposals:
        for r in sorted(eligible[p]):
            arc = flow.add_arc_with_capacity_and_unit_cost(node_of_p[p], node_of_r[r], 1, 0)
            pairs[arc] = (p, r)
    # The j-th new proposal of a reviewer costs what it adds to the square of their load:
    # (l + 1)² − l² = 2l + 1, increasing, so the flow fills the least loaded first.
    for r in reviewers:
        most = sum(1 for p in proposals if r in eligible[p])
        for j in range(most):
            flow.add_arc_with_capacity_and_unit_cost(
                node_of_r[r], sink, 1, 2 * (load.get(r, 0) + j) + 1
            )
    # Supply as much as could ever flow; the solver sends the most it can at the least cost.
    total = sum(needs[p] for p in proposals)
    flow.set_node_supply(source, total)
    flow.set_node_supply(sink, -total)
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:  # pragma: no cover - a bipartite network is always solvable
        raise RuntimeError(f"the assignment could not be solved: {status}")
    found: dict[int, list[int]] = defaultdict(list)
    for arc, (p, r) in pairs.items():
        if flow.flow(arc) > 0:
            found[p].append(r)
    return dict(found)


def conflicting_people(proposal: Proposal) -> list[Person]:
    """Everyone who may give the proposal: its submitter and every co-speaker who has not
    declined (one who has not confirmed yet still might). Needs ``speakers__person``."""
    return [proposal.submitter] + [
        row.person for row in proposal.speakers.all() if row.declined_at is None
    ]


@dataclass(frozen=True)
class Shortage:
    """A proposal left with fewer reviewers than asked, and whose pool ran out: its track's
    team (``team``, the track's name) or the conference's reviewers (``team`` empty)."""

    title: str
    have: int
    team: str = ""

    @property
    def message(self) -> str:
        why = f"the {self.team} track's team has no more" if self.team else "not enough reviewers"
        return (
            f"“{self.title}” has only {self.have} reviewer{'s' if self.have != 1 else ''}: "
            f"{why} without a conflict of interest."
        )


@dataclass(frozen=True)
class AssignmentResult:
    added: int
    short: list[Shortage]  # the proposals below the number asked


@transaction.atomic
def review_assign(
    *, actor: Person, conference: Conference, per_proposal: int = PER_PROPOSAL
) -> AssignmentResult:
    """Give each submitted proposal ``per_proposal`` reviewers, keeping every assignment and
    review made already, never to a speaker of it nor to someone of a speaker's org unit, only
    to its track's team when the track has one, the load as even as those rules allow. Returns
    how many assignments were added and the proposals left with fewer reviewers (how many they
    have, and whether their track's team ran out)."""
    _check_organiser(actor)
    if per_proposal not in PER_PROPOSAL_RANGE:
        raise DomainError(
            f"Each proposal gets {PER_PROPOSAL_RANGE[0]} to {PER_PROPOSAL_RANGE[-1]} reviewers.",
            field="per_proposal",
        )
    # The conference's row lock: two organisers assigning at once would both top up the same
    # proposals (the unique constraint would then fail one of them half-way).
    conference = Conference.objects.select_for_update().get(pk=conference.pk)
    reviewers = {
        person.pk: person
        for person in conference.reviewers.filter(deactivated_at__isnull=True).only(
            "pk", "org_unit_id"
        )
    }
    proposals = list(
        Proposal.objects.filter(conference=conference, state=Proposal.State.SUBMITTED)
        .select_related("submitter", "track")
        .prefetch_related("speakers__person")
        .order_by("submitted_at", "id")
    )
    # A team member left out of `reviewers` (deactivated since) reviews nothing, as elsewhere.
    teams: dict[int, set[int]] = defaultdict(set)
    for track_id, person_id in TrackReviewer.objects.filter(
        track__conference=conference, person_id__in=reviewers
    ).values_list("track_id", "person_id"):
        teams[track_id].add(person_id)
    existing: dict[int, set[int]] = defaultdict(set)
    load: dict[int, int] = defaultdict(int)
    for proposal_id, reviewer_id in ReviewAssignment.objects.filter(
        proposal__conference=conference
    ).values_list("proposal_id", "reviewer_id"):
        existing[proposal_id].add(reviewer_id)
        load[reviewer_id] += 1
    needs: dict[int, int] = {}
    eligible: dict[int, set[int]] = {}
    for proposal in proposals:
        people = conflicting_people(proposal)
        ids = {person.pk for person in people}
        units = {person.org_unit_id for person in people if person.org_unit_id is not None}
        pool = teams.get(proposal.track_id or 0) or reviewers.keys()
        eligible[proposal.pk] = {
            pk
            for pk, reviewer in reviewers.items()
            if pk in pool
            and pk not in ids
            and reviewer.org_unit_id not in units
            and pk not in existing[proposal.pk]
        }
        needs[proposal.pk] = max(0, per_proposal - len(existing[proposal.pk]))
    chosen = balanced_assignment(needs=needs, eligible=eligible, load=load)
    ReviewAssignment.objects.bulk_create(
        [
            ReviewAssignment(proposal_id=proposal_id, reviewer_id=reviewer_id)
            for proposal_id, picked in chosen.items()
            for reviewer_id in picked
        ]
    )
    # Every reviewer can take any number of proposals, so a proposal short of reviewers has
    # used up everyone eligible: its track's team when it has one, else all the reviewers.
    short = []
    for proposal in proposals:
        have = len(existing[proposal.pk]) + len(chosen.get(proposal.pk, []))
        if have < per_proposal:
            team = proposal.track.name if proposal.track_id in teams and proposal.track else ""
            short.append(Shortage(title=proposal.title, have=have, team=team))
    return AssignmentResult(added=sum(len(v) for v in chosen.values()), short=short)


# Anonymised reading ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AnonymisedProposal:
    """What a reviewer reads: nothing that names a speaker, their org unit or their bio."""

    pk: int
    title: str
    format: str
    level: str
    track: str
    abstract: str
    answers: list[tuple[str, str]]


def anonymised(proposal: Proposal) -> AnonymisedProposal:
    """The proposal as reviewers read it: the organisers' anonymised abstract, or the abstract
    with every speaker's name replaced by "[speaker]"; the same replacement in the title and
    the answers. Needs ``submitter``, ``track`` and ``speakers__person``."""
    names = [proposal.submitter.display_name] + [
        row.person.display_name for row in proposal.speakers.all()
    ]
    abstract = proposal.anonymised_abstract.strip() or without_speakers(proposal.abstract, names)
    formats, levels = dict(Session.Format.choices), dict(Session.Level.choices)
    questions = list(proposal.conference.cfp_questions) or list(proposal.answers)
    return AnonymisedProposal(
        pk=proposal.pk,
        title=without_speakers(proposal.title, names),
        format=str(formats.get(proposal.format, proposal.format)),
        level=str(levels.get(proposal.level, proposal.level)),
        track=proposal.track.name if proposal.track else "",
        abstract=abstract,
        answers=[
            (question, without_speakers(str(proposal.answers.get(question, "")), names))
            for question in questions
            if str(proposal.answers.get(question, "")).strip()
        ],
    )


def _proposals_for_review(conference: Conference) -> QuerySet[Proposal]:
    return (
        Proposal.objects.filter(conference=conference)
        .select_related("submitter", "track", "conference")
        .prefetch_related("speakers__person")
    )


@dataclass(frozen=True)
class AssignmentRow:
    proposal: AnonymisedProposal
    done: bool


def reviewer_assignments(*, reviewer: Person, conference: Conference) -> list[AssignmentRow]:
    """The reviewer's proposals (submitted or decided since), anonymised, to do first."""
    assigned = set(
        ReviewAssignment.objects.filter(
            reviewer=reviewer, proposal__conference=conference
        ).values_list("proposal_id", flat=True)
    )
    done = set(
        Review.objects.filter(reviewer=reviewer, proposal_id__in=assigned).values_list(
            "proposal_id", flat=True
        )
    )
    proposals = _proposals_for_review(conference).filter(pk__in=assigned, state__in=REVIEWED)
    rows = [AssignmentRow(anonymised(p), p.pk in done) for p in proposals]
    return sorted(rows, key=lambda row: (row.done, row.proposal.title.lower(), row.proposal.pk))


def reviewer_assignment_counts(*, reviewer: Person, conference: Conference) -> tuple[int, int]:
    """(to do, done) among the reviewer's proposals still under review."""
    assigned = ReviewAssignment.objects.filter(
        reviewer=reviewer, proposal__conference=conference, proposal__state__in=REVIEWED
    ).values_list("proposal_id", flat=True)
    done = Review.objects.filter(reviewer=reviewer, proposal_id__in=assigned).count()
    return len(assigned) - done, done


@dataclass(frozen=True)
class ForReview:
    proposal: AnonymisedProposal
    review: Review | None
    state: str


def proposal_for_review(*, reviewer: Person, conference: Conference, pk: int) -> ForReview:
    """A proposal assigned to ``reviewer``, anonymised, with their review so far; NotFound for
    any other (whether it exists is none of their business)."""
    proposal = (
        _proposals_for_review(conference)
        .filter(pk=pk, review_assignments__reviewer=reviewer, state__in=REVIEWED)
        .first()
    )
    if proposal is None:
        raise NotFound(NOT_YOURS)
    review = Review.objects.filter(proposal=proposal, reviewer=reviewer).first()
    return ForReview(proposal=anonymised(proposal), review=review, state=proposal.state)


# Reviewing -------------------------------------------------------------------------------------


def _check_scores(scores: Mapping[str, object], categories: list[Category]) -> dict[str, int]:
    cleaned: dict[str, int] = {}
    for n, category in enumerate(categories):
        value = scores.get(category.name)
        if isinstance(value, str) and re.fullmatch(r"[0-9]{1,3}", value.strip()):
            value = int(value.strip())
        if value is None or value == "":
            raise DomainError(f"Give “{category.name}” a score from 1 to 5.", field=f"score_{n}")
        if not isinstance(value, int) or isinstance(value, bool) or value not in SCORES:
            raise DomainError(
                f"A score for “{category.name}” is a whole number from 1 to 5.",
                field=f"score_{n}",
            )
        cleaned[category.name] = value
    unknown = [name for name in scores if name not in cleaned]
    if unknown:
        raise DomainError(f"There is no category “{unknown[0][:40]}”.")
    return cleaned


@transaction.atomic
def review_submit(
    *, actor: Person, proposal: Proposal, scores: Mapping[str, object], comment: str = ""
) -> Review:
    """Score a proposal assigned to the actor (a score 1–5 for every category, a comment),
    while the review is open; saving again changes the review."""
    assignment = (
        ReviewAssignment.objects.select_for_update()
        .filter(proposal_id=proposal.pk, reviewer=actor)
        .first()
    )
    if assignment is None or not actor.is_active:
        raise NotFound(NOT_YOURS)
    proposal = Proposal.objects.select_related("conference").get(pk=proposal.pk)
    conference = proposal.conference
    if not conference.review_open:
        raise Conflict(f"The review of the proposals to {conference.name} is closed.")
    if proposal.state != Proposal.State.SUBMITTED:
        raise Conflict(
            f"This proposal is {proposal.get_state_display().lower()}: it is not reviewed any more."
        )
    cleaned = _check_scores(scores, categories_of(conference))
    comment = comment.strip()
    if len(comment) > COMMENT_LENGTH:
        raise DomainError(f"A comment has at most {COMMENT_LENGTH} characters.", field="comment")
    review, _ = Review.objects.update_or_create(
        proposal=proposal, reviewer=actor, defaults={"scores": cleaned, "comment": comment}
    )
    return review


# Organisers' reading and editing ---------------------------------------------------------------


def proposal_for_organiser(*, actor: Person, conference: Conference, pk: int) -> Proposal:
    """A submitted (or decided) proposal, with its speakers, for the organisers' pages."""
    _check_organiser(actor)
    proposal = (
        _proposals_for_review(conference).filter(pk=pk).exclude(state=Proposal.State.DRAFT).first()
    )
    if proposal is None:
        raise NotFound("There is no such proposal.")
    return proposal


@transaction.atomic
def anonymised_abstract_update(*, actor: Person, proposal: Proposal, text: str) -> Proposal:
    """What reviewers read instead of the abstract (empty: the abstract without the names)."""
    _check_organiser(actor)
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.state == Proposal.State.DRAFT:
        raise NotFound("There is no such proposal.")
    text = text.strip()
    if len(text) > ABSTRACT_LENGTH:
        raise DomainError(
            f"An abstract has at most {ABSTRACT_LENGTH} characters.", field="anonymised_abstract"
        )
    proposal.anonymised_abstract = text
    proposal.save(update_fields=["anonymised_abstract", "updated_at"])
    return proposal


def speakers_of(proposal: Proposal) -> list[Person]:
    """Who gives it: the submitter and the co-speakers who confirmed (``speakers__person``)."""
    return [proposal.submitter] + [
        row.person for row in proposal.speakers.all() if row.confirmed_at is not None
    ]


@dataclass(frozen=True)
class RankedRow:
    proposal: Proposal
    speakers: list[str]
    format: str
    reviews: int
    assigned: int
    mean: float | None
    low: float | None
    high: float | None
    deviation: float | None


@dataclass(frozen=True)
class ReviewerLoad:
    reviewer: Person
    assigned: int
    done: int


@dataclass(frozen=True)
class ReviewOverview:
    categories: list[Category]
    ranked: list[RankedRow]
    loads: list[ReviewerLoad]

    @property
    def reviews(self) -> int:
        return sum(row.reviews for row in self.ranked)

    @property
    def assignments(self) -> int:
        return sum(row.assigned for row in self.ranked)


def review_overview(*, actor: Person, conference: Conference) -> ReviewOverview:
    """For the organisers: every submitted or decided proposal with its speakers, its number of
    reviews, the mean of its reviewers' weighted scores and their spread (lowest–highest and the
    population standard deviation), best first (not yet reviewed last); and each reviewer's
    load. A fixed number of queries."""
    _check_organiser(actor)
    categories = categories_of(conference)
    proposals = list(_proposals_for_review(conference).filter(state__in=REVIEWED))
    scores: dict[int, list[float]] = defaultdict(list)
    done: dict[int, int] = defaultdict(int)
    for proposal_id, reviewer_id, given in Review.objects.filter(
        proposal__in=proposals
    ).values_list("proposal_id", "reviewer_id", "scores"):
        score = weighted_score(given, categories)
        if score is not None:
            scores[proposal_id].append(score)
        done[reviewer_id] += 1
    assigned: dict[int, int] = defaultdict(int)
    per_reviewer: dict[int, int] = defaultdict(int)
    for proposal_id, reviewer_id in ReviewAssignment.objects.filter(
        proposal__in=proposals
    ).values_list("proposal_id", "reviewer_id"):
        assigned[proposal_id] += 1
        per_reviewer[reviewer_id] += 1
    formats = dict(Session.Format.choices)
    rows = []
    for proposal in proposals:
        found = scores.get(proposal.pk, [])
        rows.append(
            RankedRow(
                proposal=proposal,
                speakers=[person.display_name for person in speakers_of(proposal)],
                format=str(formats.get(proposal.format, proposal.format)),
                reviews=len(found),
                assigned=assigned.get(proposal.pk, 0),
                mean=statistics.fmean(found) if found else None,
                low=min(found) if found else None,
                high=max(found) if found else None,
                deviation=statistics.pstdev(found) if found else None,
            )
        )
    rows.sort(
        key=lambda r: (r.mean is None, -(r.mean or 0), r.proposal.title.lower(), r.proposal.pk)
    )
    reviewers = list(conference.reviewers.select_related("org_unit").order_by("display_name", "id"))
    loads = [
        ReviewerLoad(reviewer=p, assigned=per_reviewer.get(p.pk, 0), done=done.get(p.pk, 0))
        for p in reviewers
    ]
    return ReviewOverview(categories=categories, ranked=rows, loads=loads)


# Decisions -------------------------------------------------------------------------------------


def _decision_enqueue(proposal: Proposal, speakers: list[Person]) -> int:
    conference = proposal.conference
    base = settings.KNOWFLOW_BASE_URL
    accepted = proposal.state == Proposal.State.ACCEPTED
    title = " ".join(proposal.title.split())  # one line: it is the subject's too
    if accepted:
        assert proposal.talk is not None
        subject = f"“{title}” is accepted for {conference.name}"
        session_url = f"{base}{reverse('events:session', args=[proposal.talk.session.slug])}"
        verdict = (
            f"“{title}”, proposed to {conference.name}, is accepted: it is a talk of "
            "the conference now. Its date and room come with the programme; its session page "
            f"is\n{session_url}\n\nThank you for proposing it."
        )
    else:
        subject = f"“{title}” was not accepted for {conference.name}"
        verdict = (
            f"Thank you for proposing “{title}” to {conference.name}. The reviewers "
            "read every proposal, and the organisers could not take this one into the "
            "programme this time."
        )
    programme = f"{base}{reverse('conferences:programme', args=[conference.slug])}"
    queued = 0
    for person in speakers:
        if not person.email:
            continue
        queued += outbox_enqueue(
            kind=DECISION,
            recipient=person.email,
            subject=subject,
            body=(f"Hello {person.display_name},\n\n{verdict}\n\nThe conference: {programme}\n"),
            dedupe_key=f"conferences.decision:{proposal.pk}:{person.pk}",
        )
    return queued


@transaction.atomic
def proposal_decide(*, actor: Person, proposal: Proposal, accept: bool) -> Proposal:
    """Accept or reject a submitted proposal, once, after the review is closed; every speaker
    (the submitter and the co-speakers who confirmed) is emailed. Accepting makes the session
    (the proposal's title, abstract, format and level, given by its speakers) and puts it into
    the conference as a talk of the proposal's track; everyone who wanted the proposal has the
    talk in their agenda."""
    _check_organiser(actor)
    # The row lock: a second organiser deciding at the same moment waits, then is refused.
    locked = (
        Proposal.objects.select_for_update(of=("self",))
        .filter(pk=proposal.pk)
        .select_related("conference", "submitter", "track")
        .first()
    )
    if locked is None or locked.state == Proposal.State.DRAFT:
        raise NotFound("There is no such proposal.")
    conference = locked.conference
    if locked.state in (Proposal.State.ACCEPTED, Proposal.State.REJECTED):
        when = timezone.localtime(locked.decided_at) if locked.decided_at else None
        raise Conflict(
            f"“{locked.title}” was {locked.get_state_display().lower()}"
            f"{f' on {when:%-d %b %Y}' if when else ''}: a decision is made once."
        )
    if locked.state != Proposal.State.SUBMITTED:
        raise Conflict(
            f"“{locked.title}” is {locked.get_state_display().lower()}: it cannot be decided."
        )
    if conference.review_open:
        raise Conflict("Close the review before deciding: reviewers may still change scores.")
    if conference.cfp_closes_at is not None and timezone.now() < conference.cfp_closes_at:
        closes = timezone.localtime(conference.cfp_closes_at)
        raise Conflict(
            f"The call for proposals is open until {closes:%-d %b %Y, %H:%M %Z}: decide once it "
            "has closed, when every proposal can be weighed against the others."
        )
    speakers = speakers_of(
        Proposal.objects.prefetch_related("speakers__person")
        .select_related("submitter")
        .get(pk=locked.pk)
    )
    if accept:
        session = session_create(
            actor=actor,
            title=locked.title,
            abstract=locked.abstract,
            format=locked.format,
            level=locked.level,
            speakers=speakers,
        )
        locked.talk = talk_add(
            actor=actor, conference=conference, session=session, track=locked.track
        )
        locked.state = Proposal.State.ACCEPTED
    else:
        locked.state = Proposal.State.REJECTED
    locked.decided_at = timezone.now()
    locked.save(update_fields=["talk", "state", "decided_at", "updated_at"])
    if accept:
        proposal_stars_to_talk(proposal=locked)
    _decision_enqueue(locked, speakers)
    return locked


def decision_recipients(proposal: Proposal) -> list[Person]:
    """Who a decision emails (for the confirmation page)."""
    return [person for person in speakers_of(proposal) if person.email]
