"""Reading topic requests: lists, one request with its votes, candidate experts and circles,
similar open requests, the people to tell, and the evidence of requests answered."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.circles.models import Circle, Membership
from knowflow.demand.models import TopicRequest, Vote
from knowflow.demand.permissions import can_see_demand
from knowflow.demand.searches import query_strength
from knowflow.discovery import duplicates as D
from knowflow.discovery.expertise import MEMBER, REQUEST, Evidence
from knowflow.discovery.textnorm import content_tokens
from knowflow.errors import Forbidden, NotFound
from knowflow.events.models import Session
from knowflow.expertise.sources import SourceEvidence, SourceQuery
from knowflow.library.models import SearchQueryLog
from knowflow.topics.models import Topic

# Two requests at or above this duplicate score are shown as "similar" when someone asks. Lower
# than the duplicate threshold (0.5): a request is one sentence, and showing a near one costs a
# glance, while a missed one splits the votes.
SIMILAR_FLOOR = 0.3
MAX_SIMILAR = 5
MAX_OPEN_COMPARED = 5000  # the newest open requests looked at when someone asks
MAX_SCORED = 100  # of those, the ones sharing the most distinctive words are scored
MAX_BACKGROUND = 200  # others, for the corpus statistics only
DISTINCTIVE_SHARE = 0.1
MIN_DISTINCTIVE = 5  # in a short list of requests, a word in five of them still tells


def request_list(*, status: str = TopicRequest.Status.OPEN) -> list[TopicRequest]:
    """Requests with one status, the most wanted first (votes, then the newest)."""
    return list(
        TopicRequest.objects.filter(status=status)
        .select_related("requester", "session")
        .prefetch_related("topics")
        .annotate(vote_count=Count("votes", distinct=True))
        .order_by("-vote_count", "-created_at", "-id")
    )


def request_get(*, pk: int) -> TopicRequest:
    """One request with its topics, requester, session and votes (with their people)."""
    found = (
        TopicRequest.objects.select_related("requester", "session", "merged_into", "answered_by")
        .prefetch_related(
            "topics", Prefetch("votes", queryset=Vote.objects.select_related("person"))
        )
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound("There is no such topic request.")
    return found


def vote_of(*, request: TopicRequest, person: Person) -> Vote | None:
    return next((v for v in request.votes.all() if v.person_id == person.pk), None)


@dataclass(frozen=True)
class CandidateExpert:
    person: Person
    score: float
    why: str  # the expertise ranking's explanation: "Taught 2 sessions on SQL, last in May 2026"


# A request's topics looked up one by one (each through the expertise ranking): beyond this
# many, the request is broad and its first topics are asked.
MAX_TOPICS_ASKED = 3


def request_candidate_experts(*, request: TopicRequest, limit: int = 5) -> list[CandidateExpert]:
    """The people most likely to answer ``request``, best first: the expertise ranking (the
    one "Find an expert" shows, with its explanation) for each of the request's topics, a
    person's best score kept. Opted-out people, hidden topics and people who left never come
    back from it; the requester and people whose only evidence is a circle membership are left
    out. Without topics, the request's title is asked."""
    from knowflow.expertise.selectors import EmptyQuestion, experts_find

    if limit <= 0:
        return []
    topics = list(request.topics.all()[:MAX_TOPICS_ASKED])
    questions: list[tuple[Topic | None, str]] = [(topic, "") for topic in topics] or [
        (None, request.title)
    ]
    best: dict[int, CandidateExpert] = {}
    for topic, text in questions:
        try:
            found = experts_find(topic=topic, text=text, limit=limit + 1)
        except EmptyQuestion:
            continue
        for expert in found.experts:
            # Belonging to a circle on the topic says interest, not that one could teach it.
            if expert.person.pk == request.requester_id or expert.kinds <= {MEMBER}:
                continue
            known = best.get(expert.person.pk)
            if known is None or expert.score > known.score:
                best[expert.person.pk] = CandidateExpert(
                    expert.person, expert.score, expert.explanation
                )
    ranked = sorted(best.values(), key=lambda c: (-c.score, c.person.display_name, c.person.pk))
    return ranked[:limit]


@dataclass(frozen=True)
class CandidateCircle:
    circle: Circle
    champions: list[Person]


def request_candidate_circles(*, request: TopicRequest, limit: int = 5) -> list[CandidateCircle]:
    """Circles on the request's topics, those sharing the most topics first, with their
    champions. Two queries."""
    topic_ids = [t.pk for t in request.topics.all()]
    if not topic_ids:
        return []
    circles = list(
        Circle.objects.filter(topics__in=topic_ids)
        .annotate(shared=Count("topics", distinct=True))
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.filter(role=Membership.Role.CHAMPION).select_related(
                    "person"
                ),
                to_attr="champion_memberships",
            )
        )
        .order_by("-shared", "name")[:limit]
    )
    return [
        CandidateCircle(circle, [m.person for m in getattr(circle, "champion_memberships", [])])
        for circle in circles
    ]


@lru_cache(maxsize=50_000)
def _words(title: str, description: str) -> frozenset[str]:
    """A request's content words. Cached per process: folding the text of thousands of open
    requests was most of the time of every ask, and a request's text rarely changes."""
    return frozenset(content_tokens(f"{title} {description}"))


@dataclass(frozen=True)
class SimilarRequest:
    request: TopicRequest
    score: float


def similar_open_requests(
    *,
    title: str,
    description: str = "",
    topic_names: Sequence[str] = (),
    exclude_pk: int | None = None,
) -> list[SimilarRequest]:
    """Open requests that may ask for the same thing, the most similar first.

    The duplicate detection sessions use (``knowflow.discovery.duplicates``), in two steps so
    that asking stays quick with thousands of open requests: first the open requests sharing a
    distinctive word with the new one (a word in at most ``DISTINCTIVE_SHARE`` of the open
    requests — "intro" and "need" are in many; all of its words when none is distinctive), at
    most ``MAX_SCORED`` of them, most shared words first; a request sharing no word cannot
    reach the floor. Then each is scored against the new text with the duplicate model (corpus
    statistics over the open requests, sampled evenly beyond ``MAX_BACKGROUND``), and those at
    ``SIMILAR_FLOOR`` or above are kept. Three queries.
    """
    if not title.strip():
        return []
    open_requests = TopicRequest.objects.filter(status=TopicRequest.Status.OPEN)
    if exclude_pk is not None:
        open_requests = open_requests.exclude(pk=exclude_pk)
    rows = list(
        open_requests.order_by("-created_at", "-id").values_list("pk", "title", "description")[
            :MAX_OPEN_COMPARED
        ]
    )
    if not rows:
        return []
    words_of = {pk: _words(t, d) for pk, t, d in rows}
    frequency: Counter[str] = Counter(w for words in words_of.values() for w in words)
    wanted = set(content_tokens(f"{title} {description}"))
    ceiling = max(DISTINCTIVE_SHARE * len(rows), MIN_DISTINCTIVE)
    distinctive = {w for w in wanted if 0 < frequency[w] <= ceiling} or wanted
    overlap = {pk: len(words & distinctive) for pk, words in words_of.items()}
    shortlist = sorted((pk for pk, n in overlap.items() if n), key=lambda pk: (-overlap[pk], -pk))
    shortlist = shortlist[:MAX_SCORED]
    if not shortlist:
        return []
    text_of = {pk: (t, d) for pk, t, d in rows}
    topics_of: dict[int, list[str]] = defaultdict(list)
    for request_id, name in TopicRequest.topics.through.objects.filter(
        topicrequest_id__in=shortlist
    ).values_list("topicrequest_id", "topic__name"):
        topics_of[request_id].append(name)
    # A request is one sentence and seldom more: its title is also its text, or the model
    # (fitted on talks with abstracts) sees no body and scores a rewording near zero.
    docs = [
        D.Doc(key=0, title=title, description=f"{title}\n{description}", topics=tuple(topic_names))
    ]
    docs += [
        D.Doc(
            key=pk,
            title=text_of[pk][0],
            description=f"{text_of[pk][0]}\n{text_of[pk][1]}",
            topics=tuple(topics_of.get(pk, ())),
        )
        for pk in shortlist
    ]
    # The corpus statistics (which words are rare) must come from the catalogue, not from the
    # shortlist, where the new request's own words are common by construction: the other open
    # requests join as background, all of them up to MAX_BACKGROUND, an even sample beyond.
    listed = set(shortlist)
    others = [pk for pk, _, _ in rows if pk not in listed]
    step = max(1, -(-len(others) // MAX_BACKGROUND))
    docs += [
        D.Doc(key=pk, title=text_of[pk][0], description=f"{text_of[pk][0]}\n{text_of[pk][1]}")
        for pk in others[::step]
    ]
    scores = D.Scorer(docs).score_pairs([(0, pk) for pk in shortlist])
    kept = sorted(
        ((score.score, pk) for pk, score in zip(shortlist, scores, strict=True)),
        key=lambda pair: (-pair[0], -pair[1]),
    )
    kept = [(score, pk) for score, pk in kept if score >= SIMILAR_FLOOR][:MAX_SIMILAR]
    if not kept:
        return []
    requests = TopicRequest.objects.annotate(vote_count=Count("votes")).in_bulk(
        [pk for _, pk in kept]
    )
    return [SimilarRequest(requests[pk], score) for score, pk in kept]


def request_people_to_tell(*, request: TopicRequest) -> list[Person]:
    """The requester and the voters, each once, those with an email address."""
    people = {request.requester_id: request.requester}
    for vote in Vote.objects.filter(request=request).select_related("person"):
        people.setdefault(vote.person_id, vote.person)
    return [p for p in people.values() if p.email and p.is_active]


def audience_for_session(*, session: Session) -> list[Person]:
    """The people who asked for ``session`` through topic requests (requesters and voters), for
    *Find a time*'s audience. Two queries; empty for a session no request led to."""
    requests = TopicRequest.objects.filter(session=session)
    ids = set(requests.values_list("requester_id", flat=True)) | set(
        Vote.objects.filter(request__in=requests).values_list("person_id", flat=True)
    )
    if not ids:
        return []
    return list(
        Person.objects.filter(pk__in=ids, deactivated_at__isnull=True).order_by(
            "display_name", "id"
        )
    )


def requests_of_session(*, session_id: int) -> list[TopicRequest]:
    return list(TopicRequest.objects.filter(session_id=session_id).order_by("id"))


@dataclass(frozen=True)
class AnsweredRequest:
    request_id: int
    title: str
    topics: tuple[str, ...]
    answered_at: datetime | None
    session_id: int | None
    votes: int


def requests_answered_by(*, person_ids: list[int]) -> dict[int, list[AnsweredRequest]]:
    """Per person, the requests they answered (turned into a proposal), newest first, with the
    request's topic names and vote count: evidence of expertise ("answered 2 requests on
    Terraform"). Two queries for any number of people."""
    rows = list(
        TopicRequest.objects.filter(
            answered_by_id__in=person_ids, status=TopicRequest.Status.ANSWERED
        )
        .annotate(n=Count("votes"))
        .order_by("-answered_at", "-id")
        .values_list("pk", "answered_by_id", "title", "answered_at", "session_id", "n")
    )
    topics: dict[int, list[str]] = defaultdict(list)
    for request_id, name in (
        TopicRequest.topics.through.objects.filter(topicrequest_id__in=[r[0] for r in rows])
        .values_list("topicrequest_id", "topic__name")
        .order_by("topic__name")
    ):
        topics[request_id].append(name)
    found: dict[int, list[AnsweredRequest]] = defaultdict(list)
    for pk, person_id, title, answered_at, session_id, n in rows:
        found[person_id].append(
            AnsweredRequest(pk, title, tuple(topics.get(pk, ())), answered_at, session_id, n)
        )
    return dict(found)


def merge_targets(*, request: TopicRequest) -> QuerySet[TopicRequest]:
    """The requests ``request`` may be merged into: the other open ones."""
    return TopicRequest.objects.filter(
        Q(status=TopicRequest.Status.OPEN) | Q(status=TopicRequest.Status.ANSWERED)
    ).exclude(pk=request.pk)


@dataclass(frozen=True)
class SearchDemand:
    query: str  # the normalised query (lower case, single spaces)
    searches: int
    weak_words: tuple[str, ...] = ()  # for a weak search: the words the index does not hold


@dataclass(frozen=True)
class DemandOverview:
    requests: list[TopicRequest]
    zero_results: list[SearchDemand]
    weak_results: list[SearchDemand]
    days: int


WEAK_CANDIDATES = 200  # the most frequent searches with results checked for weakness


def demand_overview(*, viewer: Person, days: int = 90, limit: int = 25) -> DemandOverview:
    """The enablers' demand list: open requests by votes, and the searches of the last ``days``
    that found nothing or only matched generic words (``searches.query_strength``), grouped by
    normalised query, most frequent first. The search log holds no searcher: counts only."""
    if not can_see_demand(actor=viewer):
        raise Forbidden("The demand list is for enablers.")
    since = timezone.now() - timedelta(days=days)
    logs = SearchQueryLog.objects.filter(created_at__gte=since)

    def grouped(rows: QuerySet[SearchQueryLog], n: int) -> list[tuple[str, int]]:
        return [
            (row["normalized"], row["n"])
            for row in rows.values("normalized")
            .annotate(n=Count("id"))
            .order_by("-n", "normalized")[:n]
        ]

    zero = [SearchDemand(q, n) for q, n in grouped(logs.filter(result_count=0), limit)]
    weak: list[SearchDemand] = []
    for query, n in grouped(logs.filter(result_count__gt=0), WEAK_CANDIDATES):
        strength = query_strength(query)
        if strength.weak:
            weak.append(SearchDemand(query, n, strength.missing))
            if len(weak) >= limit:
                break
    return DemandOverview(
        requests=request_list()[:limit], zero_results=zero, weak_results=weak, days=days
    )


def requests_answered_evidence(query: SourceQuery) -> list[SourceEvidence]:
    """Evidence for the expertise ranking: a request on one of the asked topics that a person
    answered (turned into a proposal) says they know it. Registered by the app's ``ready``;
    two queries."""
    if not query.topic_ids:
        return []
    answered = list(
        TopicRequest.objects.filter(
            status=TopicRequest.Status.ANSWERED,
            answered_by__isnull=False,
            topics__in=query.topic_ids,
        )
        .distinct()
        .values_list("pk", "answered_by_id", "answered_at")
    )
    topics_of: dict[int, set[int]] = defaultdict(set)
    for request_id, topic_id in TopicRequest.topics.through.objects.filter(
        topicrequest_id__in=[pk for pk, _, _ in answered], topic_id__in=query.topic_ids
    ).values_list("topicrequest_id", "topic_id"):
        topics_of[request_id].add(topic_id)
    found = []
    for pk, person_id, answered_at in answered:
        topic_ids = frozenset(topics_of[pk])
        about = min((query.topic_names.get(t, "") for t in topic_ids), default="")
        found.append(
            SourceEvidence(
                Evidence(
                    person_id=person_id,
                    kind=REQUEST,
                    item=f"request:{pk}",
                    when=answered_at.date() if answered_at else None,
                    about=about or query.text,
                ),
                topic_ids,
            )
        )
    return found
