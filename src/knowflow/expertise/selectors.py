"""Finding experts: the evidence for a question, gathered from the apps that own it, ranked.

A question is a topic (picked from the taxonomy, with its sub-topics) or free text. Free text
goes through the search engine twice, so whatever improves search improves expert finding:

- its analysed terms are matched against the taxonomy's names and synonyms (the engine's
  ``knowledge().topic_runs``, the same runs search lifts topic matches with): a topic named by
  the whole question counts whole, one named by part of it by the share of terms it covers;
- its text is searched (``run_search``, sessions and resources) for what is not filed under a
  topic: a hit whose title holds every word of the question counts whole (it is about it,
  as a topic would say), any other by its score against the best hit, at most ``TEXT_SHARE``.

Everything filed under the matched topics is evidence (sessions given that took place,
resources written, circle roles, colleagues' confirmations, declared skills), plus what the
registered sources add (``expertise.sources``). Then privacy: people who opted out, people who
left, and evidence on a topic its person hid are dropped before ranking, so they never reach
a page, the API or the command line. The ranking itself is ``knowflow.discovery.expertise``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import F, Max, Model, Sum
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.circles.models import Circle, Membership
from knowflow.discovery import expertise as ranking
from knowflow.discovery.expertise import Evidence
from knowflow.discovery.query import parse_query
from knowflow.discovery.text import stem, words
from knowflow.errors import DomainError, NotFound
from knowflow.events.models import Occurrence, Session
from knowflow.expertise import sources
from knowflow.expertise.models import ExpertOptOut, HiddenTopic, SkillConfirmation
from knowflow.feedback.models import Kind, SessionTally
from knowflow.feedback.selectors.anonymity import min_group
from knowflow.idlists import IdsIn
from knowflow.library.models import Resource
from knowflow.search.base import SearchFilters
from knowflow.search.engine import knowledge, run_search, understood
from knowflow.topics.models import Topic

TEXT_HITS = 200  # sessions and resources the text search contributes
TEXT_SHARE = 0.5  # a text match counts at most half of a topic match
MAX_QUERY = 200
DEFAULT_LIMIT = 10
PRIVACY_WINDOW = 50  # people whose privacy is read first (see _rank_allowed)


class EmptyQuestion(DomainError):
    pass


@dataclass
class Expert:
    person: Person
    score: float
    claims: list[str]
    local_time: datetime | None
    within_hours: bool
    kinds: frozenset[str] = frozenset()  # the kinds of evidence behind the claims

    @property
    def local_clock(self) -> str:
        """The time of day where they are (formatted here: a template would convert it to
        the viewer's zone)."""
        return self.local_time.strftime("%H:%M") if self.local_time else ""

    @property
    def explanation(self) -> str:
        return ranking.sentence(self.claims)


@dataclass
class ExpertSearch:
    text: str
    topic: Topic | None
    topics: list[Topic] = field(default_factory=list)  # the topics the question named
    experts: list[Expert] = field(default_factory=list)


@dataclass
class _Gathered:
    evidence: list[Evidence] = field(default_factory=list)
    topics_of: dict[tuple[str, str], frozenset[int]] = field(default_factory=dict)

    def add(self, item: Evidence, topic_ids: frozenset[int] = frozenset()) -> None:
        self.evidence.append(item)
        key = (item.kind, item.item)
        self.topics_of[key] = self.topics_of.get(key, frozenset()) | topic_ids


def _descendants(topic: Topic) -> set[int]:
    ids, frontier = {topic.pk}, {topic.pk}
    while frontier:
        frontier = set(
            Topic.objects.filter(parent_id__in=frontier)
            .exclude(pk__in=ids)
            .values_list("pk", flat=True)
        )
        ids |= frontier
    return ids


def _topics_named(terms: tuple[str, ...]) -> dict[int, frozenset[str]]:
    """Topics whose name or a synonym is the question or a run of words inside it, each with
    the terms of the question it names."""
    if not terms:
        return {}
    found: dict[int, frozenset[str]] = {}
    n = len(terms)
    for topic_id, runs in knowledge().topic_runs.items():
        covered: set[str] = set()
        for run in runs:
            size = len(run)
            if size <= n and any(terms[i : i + size] == run for i in range(n - size + 1)):
                covered |= set(run)
        if covered:
            found[topic_id] = frozenset(covered)
    return found


def _sessions(
    gathered: _Gathered, relevance: dict[int, tuple[float, str]], now: datetime, only: int | None
) -> set:
    """Sessions given that took place; returns (person, session) pairs counted."""
    if not relevance:
        return set()
    given = Occurrence.objects.filter(
        IdsIn(F("session_id"), relevance), start__lte=now, cancelled_at__isnull=True
    )
    if only is not None:
        given = given.filter(session__speakers=only)
    last = dict(
        given.exclude(session__status=Session.Status.CANCELLED)
        .values("session_id")
        .annotate(last=Max("start"))
        .values_list("session_id", "last")
        .order_by()
    )
    if not last:
        return set()
    k = min_group()
    received = {}
    for session_id, answers, unacceptable, superior in (
        SessionTally.objects.filter(IdsIn(F("session_id"), last), kind=Kind.AFTER_SESSION)
        .values("session_id")
        .annotate(Sum("responses"), Sum("unacceptable"), Sum("superior"))
        .values_list("session_id", "responses__sum", "unacceptable__sum", "superior__sum")
        .order_by()
    ):
        # Only the session's whole aggregate, and only where the anonymity rules show it.
        if answers and answers >= k:
            received[session_id] = (superior / answers, unacceptable / answers, answers)
    topics: dict[int, set[int]] = defaultdict(set)
    for session_id, topic_id in Session.topics.through.objects.filter(
        IdsIn(F("session_id"), last)
    ).values_list("session_id", "topic_id"):
        topics[session_id].add(topic_id)
    counted = set()
    speakers = Session.speakers.through.objects.filter(IdsIn(F("session_id"), last))
    if only is not None:
        speakers = speakers.filter(person_id=only)
    for session_id, person_id in speakers.values_list("session_id", "person_id"):
        score, about = relevance[session_id]
        superior, unacceptable, answers = received.get(session_id, (None, None, 0))
        gathered.add(
            Evidence(
                person_id=person_id,
                kind=ranking.SESSION,
                item=str(session_id),
                relevance=score,
                when=last[session_id].date(),
                about=about,
                superior_share=superior,
                unacceptable_share=unacceptable,
                responses=answers,
            ),
            frozenset(topics[session_id]),
        )
        counted.add((person_id, session_id))
    return counted


def _resources(
    gathered: _Gathered,
    relevance: dict[int, tuple[float, str]],
    sessions_counted: set,
    only: int | None,
) -> None:
    if not relevance:
        return
    rows = {
        pk: (session_id, start, created)
        for pk, session_id, start, created in Resource.objects.filter(
            IdsIn(F("pk"), relevance)
        ).values_list("pk", "session_id", "occurrence__start", "created_at")
    }
    topics: dict[int, set[int]] = defaultdict(set)
    for resource_id, topic_id in Resource.topics.through.objects.filter(
        IdsIn(F("resource_id"), rows)
    ).values_list("resource_id", "topic_id"):
        topics[resource_id].add(topic_id)
    authors = Resource.authors.through.objects.filter(IdsIn(F("resource_id"), rows))
    if only is not None:
        authors = authors.filter(person_id=only)
    for resource_id, person_id in authors.values_list("resource_id", "person_id"):
        session_id, start, created = rows[resource_id]
        if (person_id, session_id) in sessions_counted:
            continue  # the recording of a session they gave: counted with the session
        score, about = relevance[resource_id]
        gathered.add(
            Evidence(
                person_id=person_id,
                kind=ranking.RESOURCE,
                item=str(resource_id),
                relevance=score,
                when=(start or created).date(),
                about=about,
            ),
            frozenset(topics[resource_id]),
        )


def _by_topic(
    model: type[Model], topic_terms: dict[int, frozenset[str]]
) -> dict[int, tuple[frozenset[str], list[int]]]:
    """Object id → (the question's terms its matched topics name, those topics), through
    ``model``'s topics table."""
    through = model.topics.through  # type: ignore[attr-defined]
    column = f"{model._meta.model_name}_id"
    found: dict[int, tuple[frozenset[str], list[int]]] = {}
    for object_id, topic_id in through.objects.filter(topic_id__in=list(topic_terms)).values_list(
        column, "topic_id"
    ):
        terms, topics = found.get(object_id, (frozenset(), []))
        found[object_id] = (terms | topic_terms[topic_id], [*topics, topic_id])
    return found


def _named(topics: list[int], names: dict[int, str]) -> str:
    return " and ".join(sorted({names[t] for t in topics}))


def gather_evidence(
    *,
    text: str,
    terms: tuple[str, ...],
    topic_ids: dict[int, frozenset[str]],
    names: dict[int, str],
    now: datetime,
    weights: dict[str, float] | None = None,
    only: int | None = None,
    quoted: str = "",
) -> _Gathered:
    """Every evidence item for the question, before privacy (see the module docstring).

    ``topic_ids``: the topics the question names, each with the question's terms it names;
    ``weights``: each term's weight (``ranking.term_weights``); without, the topics count
    whole (a picked topic)."""
    gathered = _Gathered()

    # A broad topic reaches thousands of sessions that name the same few terms and topics:
    # each share and each "about" is worked out once.
    shares: dict[frozenset[str], float] = {}
    abouts: dict[tuple[int, ...], str] = {}

    def share(covered: frozenset[str]) -> float:
        if not weights:
            return 1.0
        if covered not in shares:
            shares[covered] = ranking.coverage(covered, weights)
        return shares[covered]

    def named(topics: list[int]) -> str:
        key = tuple(topics)
        if key not in abouts:
            abouts[key] = _named(topics, names)
        return abouts[key]

    session_rel: dict[int, tuple[float, str]] = {}
    resource_rel: dict[int, tuple[float, str]] = {}
    for session_id, (covered, topics) in _by_topic(Session, topic_ids).items():
        session_rel[session_id] = (share(covered), named(topics))
    for resource_id, (covered, topics) in _by_topic(Resource, topic_ids).items():
        resource_rel[resource_id] = (share(covered), named(topics))
    if terms:
        results, _ = run_search(
            text=text,
            filters=SearchFilters(types=("session", "resource")),
            limit=TEXT_HITS,
            snippets=False,
        )
        top = max((hit.score for hit in results.hits), default=0.0)
        about = f"“{(quoted or text).strip()}”"
        wanted = set(terms)
        for hit in results.hits if top > 0 else []:
            # A title says what a talk is about, as its topics do: the share of the question
            # it names counts like theirs; the rest of the text by its score, at most half.
            titled = share(frozenset(wanted & {stem(w) for w in words(hit.title)}))
            found = max(titled, TEXT_SHARE * hit.score / top)
            for one in [hit, *hit.grouped]:
                table = session_rel if one.kind == "session" else resource_rel
                if (
                    one.kind in ("session", "resource")
                    and found > table.get(one.object_id, (0.0, ""))[0]
                ):
                    table[one.object_id] = (found, about)
    counted = _sessions(gathered, session_rel, now, only)
    _resources(gathered, resource_rel, counted, only)
    if topic_ids:
        circle_rel = _by_topic(Circle, topic_ids)
        mine: dict[str, int] = {} if only is None else {"person_id": only}
        # Circle roles, not membership: joining a circle says one wants to learn the topic
        # (and a large circle's thousand members would drown the people who teach it).
        for circle_id, person_id, role in Membership.objects.filter(
            circle_id__in=list(circle_rel),
            role__in=[Membership.Role.CHAMPION, Membership.Role.FACILITATOR],
            **mine,
        ).values_list("circle_id", "person_id", "role"):
            covered, topics = circle_rel[circle_id]
            kind = ranking.CHAMPION if role == Membership.Role.CHAMPION else ranking.FACILITATOR
            gathered.add(
                Evidence(person_id=person_id, kind=kind, item=str(circle_id),
                         relevance=share(covered), about=named(topics)),
                frozenset(topics),
            )  # fmt: skip
        for person_id, topic_id, confirmer, created in SkillConfirmation.objects.filter(
            topic_id__in=list(topic_ids), **mine
        ).values_list("person_id", "topic_id", "confirmed_by_id", "created_at"):
            gathered.add(
                Evidence(person_id=person_id, kind=ranking.CONFIRMATION, item=str(confirmer),
                         relevance=share(topic_ids[topic_id]), when=created.date(), about=names[topic_id]),
                frozenset({topic_id}),
            )  # fmt: skip
        for person_id, topic_id in Person.skills.through.objects.filter(
            topic_id__in=list(topic_ids), **mine
        ).values_list("person_id", "topic_id"):
            gathered.add(
                Evidence(person_id=person_id, kind=ranking.DECLARED, item=str(topic_id),
                         relevance=share(topic_ids[topic_id]), about=names[topic_id]),
                frozenset({topic_id}),
            )  # fmt: skip
    question = sources.SourceQuery(
        text=text, terms=terms, topic_ids=frozenset(topic_ids), topic_names=names, now=now
    )
    for source in sources.registered():
        for supplied in source(question):
            gathered.add(supplied.evidence, supplied.topic_ids)
    return gathered


def _rank_allowed(
    gathered: _Gathered, asked: set[int], *, today: date, limit: int
) -> list[ranking.RankedPerson]:
    """The best ``limit`` people by the evidence they allow (``_private``).

    A broad topic on a large organisation has thousands of people with evidence; reading
    everyone's opt-outs and hidden topics took most of the time. Privacy only ever takes
    evidence away, so nobody's score rises: the people are ranked on all of it first, privacy
    is read for the best few, and for more only while someone further down could still
    outrank the last one kept. The result is the one ranking everybody would give."""
    order = ranking.scores(gathered.evidence, today=today)
    window = max(3 * limit, PRIVACY_WINDOW)
    while True:
        chosen = {person_id for person_id, _ in order[:window]}
        evidence = [item for item in gathered.evidence if item.person_id in chosen]
        ranked = ranking.rank_people(_private(gathered, asked, evidence), today=today, limit=limit)
        if window >= len(order):
            return ranked
        best_left = order[window][1]
        if len(ranked) >= limit and ranked[-1].score > best_left:
            return ranked
        window *= 4


def _private(gathered: _Gathered, asked: set[int], evidence: list[Evidence]) -> list[Evidence]:
    """The ``evidence`` people allow: nobody who opted out or left; nothing on a topic its
    person hid, and nobody at all for a question about a topic they hid."""
    people = {item.person_id for item in evidence}
    if not people:
        return []
    listed = set(
        Person.objects.filter(
            IdsIn(F("pk"), people), deactivated_at__isnull=True, expert_opt_out__isnull=True
        ).values_list("pk", flat=True)
    )
    hidden: dict[int, set[int]] = defaultdict(set)
    for person_id, topic_id in HiddenTopic.objects.filter(
        IdsIn(F("person_id"), listed)
    ).values_list("person_id", "topic_id"):
        hidden[person_id].add(topic_id)
    kept = []
    for item in evidence:
        if item.person_id not in listed:
            continue
        mine = hidden.get(item.person_id)
        if mine and (mine & asked or mine & gathered.topics_of[(item.kind, item.item)]):
            continue
        kept.append(item)
    return kept


def _within_hours(person: Person, now: datetime) -> tuple[datetime | None, bool]:
    try:
        zone = ZoneInfo(person.timezone)
        return now.astimezone(zone), person.hours.covers(zone, now, now + timedelta(minutes=1))
    except (ValueError, KeyError):  # a zone or hours no longer valid: unknown, never a 500
        return None, False


def experts_find(
    *,
    text: str = "",
    topic: Topic | None = None,
    limit: int = DEFAULT_LIMIT,
    now: datetime | None = None,
) -> ExpertSearch:
    """People ranked by their evidence on ``topic`` (with its sub-topics) or ``text``.

    The same ranking for the page, the API and ``knowflow experts``. Raises ``EmptyQuestion``
    when neither is given (or the text holds no word search knows).
    """
    now = now or timezone.now()
    text = (text or "").strip()[:MAX_QUERY]
    if topic is not None:
        text = text or topic.name
    if not text:
        raise EmptyQuestion("Type a topic or a question, such as “SQL” or “kubernetes operators”.")
    know = knowledge()
    # The question as search understands it (its subject, abbreviations expanded, spelling
    # fixed against the index), so that "k8s" or "how do I tune postgres" name their topics
    # here as they do on the search page; the text search below understands it itself.
    meant = understood(text)
    parsed = parse_query(
        meant.shown or meant.text or text, vocabulary=know.vocabulary, synonyms=know.synonyms
    )
    # The claims quote the question with its spelling fixed ("on “django orm”", not the typo).
    quoted = (
        " ".join(meant.corrections.get(w, w) for w in words(text)) if meant.corrections else text
    )
    weights: dict[str, float] | None = None
    if topic is not None:
        topic_ids = dict.fromkeys(_descendants(topic), frozenset(parsed.terms))
    else:
        topic_ids = _topics_named(parsed.terms)
        weights = ranking.term_weights(
            parsed.terms, frequency=know.vocabulary.frequency, documents=know.documents
        )
    if not topic_ids and not parsed.terms:
        raise EmptyQuestion(f"“{text}” holds no word to look for: try a topic’s name.")
    named = {t.pk: t for t in Topic.objects.filter(pk__in=list(topic_ids))}
    names = {pk: t.name for pk, t in named.items()}
    gathered = gather_evidence(
        text=text, terms=parsed.terms, topic_ids=topic_ids, names=names, now=now, weights=weights,
        quoted=quoted,
    )  # fmt: skip
    # A hidden topic the question is about hides its person; one it only touches ("python"
    # in "static typing in python") hides only the evidence filed under it.
    whole = frozenset(parsed.terms)
    asked = {t for t, covered in topic_ids.items() if topic is not None or covered == whole}
    ranked = _rank_allowed(gathered, asked, today=now.date(), limit=limit)
    people = Person.objects.select_related("org_unit").in_bulk([r.person_id for r in ranked])
    experts = []
    for row in ranked:
        person = people[row.person_id]
        local, within = _within_hours(person, now)
        experts.append(
            Expert(person=person, score=row.score, claims=row.claims, local_time=local,
                   within_hours=within, kinds=frozenset(row.counts))
        )  # fmt: skip
    return ExpertSearch(
        text=text,
        topic=topic,
        topics=sorted(named.values(), key=lambda t: (-len(topic_ids[t.pk]), t.name)),
        experts=experts,
    )


def topic_by_slug(*, slug: str) -> Topic:
    topic = Topic.objects.filter(slug=slug).first()
    if topic is None:
        raise NotFound(f"There is no topic “{slug}”.", field="topic")
    return topic


@dataclass
class ProfileTopic:
    topic: Topic
    claims: list[str]
    score: float
    hidden: bool
    declared: bool
    confirmations: int
    confirmed_by_viewer: bool


@dataclass
class ExpertiseProfile:
    person: Person
    opted_out: bool
    topics: list[ProfileTopic]


def expertise_profile(
    *, person: Person, viewer: Person, now: datetime | None = None
) -> ExpertiseProfile:
    """What the evidence says ``person`` knows, topic by topic, with the claims in words.

    The person sees everything, hidden topics included (marked), to correct it; anyone else
    sees nothing when they opted out and never a hidden topic.
    """
    now = now or timezone.now()
    own = viewer.pk == person.pk
    opted_out = ExpertOptOut.objects.filter(person=person).exists()
    hidden = set(HiddenTopic.objects.filter(person=person).values_list("topic_id", flat=True))
    if opted_out and not own:
        return ExpertiseProfile(person=person, opted_out=True, topics=[])
    declared = set(person.skills.values_list("pk", flat=True))
    confirmations: dict[int, set[int]] = defaultdict(set)
    for topic_id, confirmer in SkillConfirmation.objects.filter(person=person).values_list(
        "topic_id", "confirmed_by_id"
    ):
        confirmations[topic_id].add(confirmer)
    spoken = set(
        Session.topics.through.objects.filter(
            session__speakers=person,
            session__occurrences__start__lte=now,
            session__occurrences__cancelled_at__isnull=True,
        ).values_list("topic_id", flat=True)
    )
    written = set(
        Resource.topics.through.objects.filter(resource__authors=person).values_list(
            "topic_id", flat=True
        )
    )
    circles = set(
        Circle.topics.through.objects.filter(circle__memberships__person=person).values_list(
            "topic_id", flat=True
        )
    )
    candidates = declared | set(confirmations) | spoken | written | circles | hidden
    topics = {t.pk: t for t in Topic.objects.filter(pk__in=candidates)}
    # One gathering for all their topics (a few queries, however many topics), then each
    # topic's claims from the items filed under it.
    gathered = gather_evidence(
        text="",
        terms=(),
        topic_ids=dict.fromkeys(topics, frozenset()),
        names={pk: t.name for pk, t in topics.items()},
        now=now,
        only=person.pk,
    )
    rows = []
    for topic_id, topic in topics.items():
        if topic_id in hidden and not own:
            continue
        mine = [
            replace(e, about=topic.name)
            for e in gathered.evidence
            if e.person_id == person.pk and topic_id in gathered.topics_of[(e.kind, e.item)]
        ]
        ranked = ranking.rank_people(mine, today=now.date())
        rows.append(
            ProfileTopic(
                topic=topic,
                claims=ranked[0].claims if ranked else [],
                score=ranked[0].score if ranked else 0.0,
                hidden=topic_id in hidden,
                declared=topic_id in declared,
                confirmations=len(confirmations.get(topic_id, ())),
                confirmed_by_viewer=viewer.pk in confirmations.get(topic_id, ()),
            )
        )
    rows.sort(key=lambda r: (-r.score, r.topic.name))
    return ExpertiseProfile(person=person, opted_out=opted_out, topics=rows)


def person_by_slug(*, slug: str) -> Person:
    person = Person.objects.filter(slug=slug, deactivated_at__isnull=True).first()
    if person is None:
        raise NotFound("There is no such person.")
    return person


def topics_for_picker() -> list[Topic]:
    return list(Topic.objects.only("pk", "name", "slug").order_by("name"))
