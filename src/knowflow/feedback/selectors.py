"""Read feedback, always through the anonymity rules.

Every number or comment that leaves this module has passed the minimum group size *k*
(setting `KNOWFLOW_FEEDBACK_MIN_GROUP`, default 5). The rules, applied everywhere:

1. **Minimum group**: an aggregate (a distribution, a share, comments, themes) is shown only
   for a group of at least k responses; below that the page says "too few responses".
2. **One cut at a time** (`cut_of`): results are cut by date, attendance mode, org unit or
   office, never two at once: two cuts make a table whose rows and columns subtract in ways
   a check per cut does not see.
3. **Partition** (`visible_cells`): a cut's group shows only if it is a visible cell of the
   whole split by that dimension: cells of at least k show, and while the hidden ones add up
   to between 1 and k-1 (so the total minus the visible cells would reveal them) the smallest
   visible cell is hidden too. Org units nest, so they are checked down the tree
   (`org_unit_visible`): a unit shows only if its parent does and it is a visible cell of the
   parent's split into its own people and each child's subtree.
4. **Sums of visible cells only**: the programme view and the speaker's over-time view add up
   only cells that a session's own results page shows (whole sessions of at least k, or the
   cut's visible cell), so no period, filter or grouping can be subtracted from another to
   single anyone out. The evidence view shows counts of responses, never answers.

Comments are never returned in the order they were written.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Exists, F, Max, OuterRef, Prefetch, Q, Sum
from django.utils import timezone

from knowflow.accounts.models import Office, OrgUnit, Person
from knowflow.accounts.selectors import org_unit_with_descendants
from knowflow.circles.models import Circle
from knowflow.discovery.themes import Theme, themes_of
from knowflow.errors import DomainError, Forbidden, NotFound
from knowflow.events.models import Attendance, Occurrence, Session
from knowflow.feedback import permissions
from knowflow.feedback.models import (
    TALLY_COLUMNS,
    Answer,
    AnswerTally,
    Kind,
    Question,
    Response,
    ResponseTally,
    Retrospective,
    RetrospectiveAction,
    RetrospectiveVersion,
    SessionTally,
    Standard,
    SurveyRequest,
    SurveyTemplate,
)

TOO_FEW = "too few responses"
MAX_COMMENTS = 500  # per question, the latest: enough for themes, bounded for the page's time
MODES = [(m.value, m.label) for m in Attendance.Mode]


def min_group() -> int:
    return max(int(getattr(settings, "KNOWFLOW_FEEDBACK_MIN_GROUP", 5)), 1)


def visible_cells(sizes: Mapping[Hashable, int], *, k: int, hidden_base: int = 0) -> set[Hashable]:
    """Rule 3 (partition): which cells of a partition may be shown.

    A cell shows when it holds at least k; then, while the hidden cells hold between 1 and
    k-1 responses together (so "total minus the visible cells" would reveal them), the
    smallest visible cell is hidden as well. `hidden_base` counts responses that are part of
    the total but never shown as a cell of their own (a unit's own people, below its
    sub-units).
    """
    visible = {key for key, n in sizes.items() if n >= k}
    hidden = hidden_base + sum(n for key, n in sizes.items() if key not in visible)
    while 0 < hidden < k and visible:
        # Ties go to the lower key, None first: the programme view's SQL orders the same way.
        smallest = min(visible, key=lambda key: (sizes[key], key is not None, key))
        visible.discard(smallest)
        hidden += sizes[smallest]
    return visible


@dataclass(frozen=True)
class OrgTree:
    """The org units as a tree, read once: each unit's children and its line up to the root
    (None, the whole organisation). A cycle in bad data is cut where it closes."""

    children: Mapping[int | None, list[int]]
    lineage: Mapping[int | None, tuple[int | None, ...]]

    @classmethod
    def load(cls) -> OrgTree:
        return cls.of(dict(OrgUnit.objects.values_list("id", "parent_id")))

    @classmethod
    def of(cls, parents: Mapping[int, int | None]) -> OrgTree:
        children: dict[int | None, list[int]] = defaultdict(list)
        lineage: dict[int | None, tuple[int | None, ...]] = {None: (None,)}
        for unit, parent in parents.items():
            children[parent if parent in parents else None].append(unit)
            line: list[int | None] = []
            node: int | None = unit
            while node is not None and node not in line:
                line.append(node)
                node = parents.get(node)
                node = node if node in parents else None
            lineage[unit] = (*line, None)
        return cls(children=dict(children), lineage=lineage)

    def subtree_sums(self, own: Mapping[int | None, int]) -> dict[int | None, int]:
        sums: dict[int | None, int] = defaultdict(int)
        for unit, n in own.items():
            for node in self.lineage.get(unit, (None,)):
                sums[node] += n
        return sums


def org_unit_visible(own: Mapping[int | None, int], unit: int, *, k: int, tree: OrgTree) -> bool:
    """Rule 3 down the org tree. A unit's figure counts its own people and every unit below
    it, so units nest: "Division" minus "Team" is a group too. A unit shows only when its
    parent shows (the whole organisation at the top) and it is a visible cell of its
    parent's partition: the parent's own people (never shown alone) and each child's
    subtree. Then every figure anyone can subtract from another holds 0 or at least k.

    `own` is responses per org unit (None: people without one).
    """
    if unit not in tree.lineage:
        return False
    sums = tree.subtree_sums(own)
    if sums.get(None, 0) < k:
        return False
    path = list(reversed(tree.lineage[unit]))  # None, the top unit, …, the unit
    for node, child in zip(path, path[1:], strict=False):
        cells = {c: sums[c] for c in tree.children.get(node, ()) if sums.get(c)}
        if child not in visible_cells(cells, k=k, hidden_base=own.get(node, 0)):
            return False
    return True


# Filters -----------------------------------------------------------------------------------


ONE_CUT = (
    "Results can be cut one way at a time: by date, attendance mode, org unit or office. Two "
    "cuts together could be subtracted from each other to single out fewer than {k} people."
)


@dataclass(frozen=True)
class SegmentFilters:
    """Cuts by who answered: the same on every page, every export and the API. One at a time
    (with a date, that is also one): see `cut_of`."""

    mode: str = ""
    org_unit_id: int | None = None
    office_id: int | None = None

    @property
    def active(self) -> bool:
        return bool(self.mode or self.org_unit_id or self.office_id)

    def q(self, prefix: str = "") -> Q:
        query = Q()
        if self.mode:
            query &= Q(**{f"{prefix}mode": self.mode})
        if self.org_unit_id:
            unit = OrgUnit.objects.filter(pk=self.org_unit_id).first()
            ids = org_unit_with_descendants(unit) if unit else [self.org_unit_id]
            query &= Q(**{f"{prefix}org_unit_id__in": ids})
        if self.office_id:
            query &= Q(**{f"{prefix}office_id": self.office_id})
        return query


def cut_of(filters: SegmentFilters, *, occurrence_id: int | None = None) -> tuple[str, Any] | None:
    """The one dimension the results are cut by, and its value; None for everyone.

    Why one: each dimension is checked as a partition (rule 3: mode, office and date) or a
    tree of partitions (org units), which guarantees that no difference of visible figures
    isolates fewer than k. Two dimensions together form a table whose rows and columns can
    be subtracted in ways a per-dimension check does not see, so they are refused.
    """
    cuts = [
        (dimension, value)
        for dimension, value in (
            ("occurrence_id", occurrence_id),
            ("mode", filters.mode),
            ("org_unit_id", filters.org_unit_id),
            ("office_id", filters.office_id),
        )
        if value
    ]
    if len(cuts) > 1:
        raise DomainError(ONE_CUT.format(k=min_group()), field="filters")
    return cuts[0] if cuts else None


def cut_visible(
    dimension: str,
    value: Any,
    counts: Mapping[Any, int],
    *,
    k: int,
    tree: OrgTree | None = None,
) -> bool:
    """Whether the group `dimension = value` may be shown, given the responses of the whole
    population (a session, or one kind of survey of it) split by that dimension. Pass the org
    `tree` when checking several populations, so that it is read once."""
    if dimension == "org_unit_id":
        return org_unit_visible(counts, value, k=k, tree=tree or OrgTree.load())
    return value in visible_cells(counts, k=k)


def segment_choices() -> dict[str, list]:
    """Every org unit, office and mode (not only those that answered: listing the org units
    among the respondents would itself say who answered)."""
    return {
        "org_units": list(OrgUnit.objects.only("id", "name").order_by("name")),
        "offices": list(Office.objects.only("id", "name").order_by("name")),
        "modes": MODES,
    }


# A session's results -----------------------------------------------------------------------


# What each Kirkpatrick level measures, in the words a results page uses; the level and the LTEM
# tier themselves belong in the "how we measure" legend, not next to every question.
KIRKPATRICK_LEVELS = {1: "reaction", 2: "learning", 3: "application", 4: "results"}
# Left out of a summary's "meet the standard" lines: "applied" has its own line ("say they have
# applied it"), and the hours questions are the ROI study's inputs, not a judgement of the session.
_NOT_A_STANDARD_IN_SUMMARY = {"applied", "hours_saved", "hours_confidence", "hours_attribution"}


STANDARD_WORDS = {
    Standard.UNACCEPTABLE: "Below the standard",
    Standard.ACCEPTABLE: "Meets the standard",
    Standard.SUPERIOR: "Above the standard",
}


def standard_words(standard: str) -> str:
    """How an answer option is judged, in words a reader uses ("superior" → "Above the
    standard"); a value that is not a standard is shown as it is."""
    return STANDARD_WORDS.get(standard, standard)


@dataclass
class OptionRow:
    value: str
    label: str
    standard: str
    count: int
    share: float

    @property
    def standard_label(self) -> str:
        return standard_words(self.standard)


@dataclass
class QuestionResult:
    key: str
    text: str
    type: str
    kirkpatrick: int
    ltem: str
    # None when fewer than k answered the question (an optional one): then neither the count
    # nor the distribution is shown, as for any group below k.
    answered: int | None = 0
    rows: list[OptionRow] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    themes: list[Theme] = field(default_factory=list)

    @property
    def by_standard(self) -> dict[str, int]:
        out = {s: 0 for s in Standard.values}
        for row in self.rows:
            out[row.standard] += row.count
        return out

    @property
    def meeting_share(self) -> float | None:
        """Share of the answers that meet the question's standard or do better (None when the
        distribution is not shown: a text question, or fewer than k answers; and for a
        multiple choice, where one person's answer falls on several standards at once)."""
        if not self.rows or not self.answered or self.type == Question.Type.MULTI:
            return None
        by = self.by_standard
        return (by[Standard.ACCEPTABLE] + by[Standard.SUPERIOR]) / self.answered

    @property
    def above_share(self) -> float | None:
        """Share of the answers above the standard (superior)."""
        if not self.rows or not self.answered or self.type == Question.Type.MULTI:
            return None
        return self.by_standard[Standard.SUPERIOR] / self.answered

    @property
    def level(self) -> str:
        return KIRKPATRICK_LEVELS.get(self.kirkpatrick, "")


@dataclass
class KindResult:
    kind: str
    label: str
    anonymous: bool
    asked: int  # requests sent (answered, waiting or expired)
    answered: int | None  # answered requests, whatever the filter; None below k (not shown)
    n: int  # responses in the current filter
    visible: bool
    questions: list[QuestionResult] = field(default_factory=list)

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.asked if self.asked and self.answered is not None else None

    @property
    def standards(self) -> list[QuestionResult]:
        """The questions judged against a standard whose answers are shown: the summary's
        "share meeting each standard"."""
        return [
            q
            for q in self.questions
            if q.meeting_share is not None and q.key not in _NOT_A_STANDARD_IN_SUMMARY
        ]

    @property
    def said_applied(self) -> list[Theme]:
        """What people say they applied or what it changed, as the themes of the kind's text
        answers (themes exist only where at least k answers share them)."""
        themes = [t for q in self.questions for t in q.themes if t.label != "Other comments"]
        return themes[:3]

    @property
    def applied_share(self) -> float | None:
        for question in self.questions:
            if question.key == "applied" and question.answered:
                by = question.by_standard
                return (by[Standard.ACCEPTABLE] + by[Standard.SUPERIOR]) / question.answered
        return None


@dataclass
class SessionResults:
    session: Session
    occurrences: list[Occurrence]
    occurrence_id: int | None
    filters: SegmentFilters
    k: int
    kinds: list[KindResult]
    retrospectives: list[Retrospective]
    retrospective_answers: list[dict[str, Any]]


def _questions_by_key(template_ids: Iterable[int]) -> dict[tuple[str, str], dict[str, Any]]:
    """Question metadata merged across versions by (survey kind, key); the newest version's
    words win, and every option any version offered is listed."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for question in (
        Question.objects.filter(template_id__in=list(template_ids))
        .select_related("template")
        .order_by("template__version", "position")
    ):
        entry = merged.setdefault(
            (question.template.kind, question.key), {"options": {}, "ids": []}
        )
        entry["ids"].append(question.pk)
        entry.update(
            question=question,
            text=question.text,
            type=question.type,
            kirkpatrick=question.kirkpatrick,
            ltem=question.ltem,
            position=question.position,
        )
        for option in question.options:
            entry["options"][option["value"]] = option
    return merged


def session_for_results(*, viewer: Person, slug: str) -> Session:
    session = (
        Session.objects.filter(slug=slug)
        .prefetch_related(
            Prefetch("occurrences", queryset=Occurrence.objects.order_by("start")),
            Prefetch("speakers", queryset=Person.objects.only("id", "display_name", "slug")),
        )
        .first()
    )
    if session is None:
        raise NotFound("There is no such session.")
    if not permissions.can_view_session_results(actor=viewer, session=session):
        raise Forbidden("Only the session's speakers and enablers read its feedback.")
    return session


def feedback_summary_for_session(
    *,
    session: Session,
    viewer: Person,
    filters: SegmentFilters = SegmentFilters(),
    occurrence_id: int | None = None,
    with_comments: bool = True,
) -> SessionResults:
    """Everything the results page, the CSV export and the API show for one session.

    Preconditions: the viewer may read the session's results (`session_for_results` checks
    it; this checks again). A fixed number of queries whatever the number of responses.
    """
    if not permissions.can_view_session_results(actor=viewer, session=session):
        raise Forbidden("Only the session's speakers and enablers read its feedback.")
    k = min_group()
    occurrences = list(session.occurrences.all())
    base = Q(occurrence__session=session)
    if occurrence_id is not None and any(o.pk == occurrence_id for o in occurrences):
        chosen = Q(occurrence_id=occurrence_id)
    else:
        occurrence_id, chosen = None, Q()
    cut = cut_of(filters, occurrence_id=occurrence_id)
    segment = filters.q() & chosen

    requested: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in SurveyRequest.objects.filter(base).values("kind", "status").annotate(n=Count("id")):
        requested[row["kind"]][row["status"]] += row["n"]
    counts: dict[str, dict[str, Any]] = {}
    template_ids: set[int] = set()
    anonymous_by_template: dict[int, bool] = {}
    # Counts from the tallies (one row per occurrence and segment), not from the responses.
    for row in (
        ResponseTally.objects.filter(base)
        .values("kind", "template_id", "template__anonymous")
        .annotate(total=Sum("responses"), n=Sum("responses", filter=segment))
        .order_by()
    ):
        entry = counts.setdefault(row["kind"], {"total": 0, "n": 0, "anonymous": True})
        entry["total"] += row["total"] or 0
        entry["n"] += row["n"] or 0
        entry["anonymous"] = entry["anonymous"] and row["template__anonymous"]
        template_ids.add(row["template_id"])
        anonymous_by_template[row["template_id"]] = row["template__anonymous"]

    partitions: dict[str, dict[Any, int]] = defaultdict(dict)
    if cut:
        for kind_value, value, n in (
            ResponseTally.objects.filter(base)
            .values_list("kind", cut[0])
            .annotate(Sum("responses"))
            .order_by()
        ):
            partitions[kind_value][value] = partitions[kind_value].get(value, 0) + (n or 0)

    tree = OrgTree.load() if cut and cut[0] == "org_unit_id" else None
    kinds: list[KindResult] = []
    for kind in Kind:
        if kind == Kind.RETROSPECTIVE:
            continue
        status = requested.get(kind, {})
        asked = sum(n for s, n in status.items() if s in ("sent", "answered", "expired"))
        entry = counts.get(kind, {"total": 0, "n": 0, "anonymous": True})
        n = entry["n"] if cut else entry["total"]
        visible = entry["total"] >= k and (
            cut is None or cut_visible(cut[0], cut[1], partitions[kind], k=k, tree=tree)
        )
        kinds.append(
            KindResult(
                kind=kind,
                label=kind.label,
                anonymous=entry["anonymous"],
                asked=asked,
                # Below k not even the count: "2 of 40 answered" says who may have.
                answered=status.get("answered", 0) if entry["total"] >= k else None,
                n=n,
                visible=visible,
            )
        )
    shown = [kr.kind for kr in kinds if kr.visible]
    meta = _questions_by_key(template_ids) if template_ids else {}
    if shown:
        occurrence_ids = [occurrence_id] if occurrence_id else [o.pk for o in occurrences]
        dist: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        answered: dict[tuple[str, str], int] = defaultdict(int)
        # The per-option tallies, not the answers: the cost follows the number of segments,
        # not the number of responses.
        for kind_value, key, value, n in (
            AnswerTally.objects.filter(
                filters.q(), occurrence_id__in=occurrence_ids, kind__in=shown
            )
            .values_list("kind", "question__key", "value")
            .annotate(n=Sum("count"))
            .order_by()
        ):
            if value:
                dist[(kind_value, key)][value] += n
            else:
                answered[(kind_value, key)] += n
        texts: dict[tuple[str, str], list[str]] = defaultdict(list)
        if with_comments:
            text_questions = [
                (kind_value, key, info["ids"])
                for (kind_value, key), info in meta.items()
                if info["type"] == Question.Type.TEXT and kind_value in shown
            ]
            for kind_value, key, ids in text_questions:
                texts[(kind_value, key)] = _latest_comments(
                    occurrence_ids=occurrence_ids, question_ids=ids, filters=filters
                )
        for result in kinds:
            if not result.visible:
                continue
            kind_keys = {key for (kv, key) in answered if kv == result.kind}
            for (kind_value, key), info in sorted(
                meta.items(), key=lambda item: item[1]["position"]
            ):
                if kind_value != result.kind or key not in kind_keys:
                    continue
                q = QuestionResult(
                    key=key,
                    text=info["text"],
                    type=info["type"],
                    kirkpatrick=info["kirkpatrick"],
                    ltem=info["ltem"],
                )
                count = answered[(result.kind, key)]
                q.answered = count if count >= k else None
                if count < k:
                    # An optional question answered by fewer than k in a group of k or more
                    # (an NPS answered by 2: 7 and 9) would show those few people's answers:
                    # neither its distribution nor its count is shown.
                    pass
                elif info["type"] == Question.Type.TEXT:
                    comments = texts.get((result.kind, key), [])
                    # Sorted, not in the order written: order would hint at who wrote what.
                    q.comments = sorted(comments, key=str.casefold)
                    q.themes = _themes(
                        comments,
                        k=k,
                        key=(occurrence_ids, filters, kind_value, key, count),
                    )
                else:
                    counted = dist[(result.kind, key)]
                    total = count
                    q.rows = [
                        OptionRow(
                            value=value,
                            label=option["label"],
                            standard=option["standard"],
                            count=counted.get(value, 0),
                            share=counted.get(value, 0) / total,
                        )
                        for value, option in info["options"].items()
                    ]
                result.questions.append(q)
    retrospectives = list(
        Retrospective.objects.filter(occurrence__session=session)
        .select_related("occurrence", "updated_by")
        .prefetch_related(
            Prefetch("actions", queryset=RetrospectiveAction.objects.select_related("owner")),
            Prefetch("versions", queryset=RetrospectiveVersion.objects.select_related("saved_by")),
        )
        .order_by("occurrence__start")
    )
    retro_answers = _retrospective_answers(session)
    return SessionResults(
        session=session,
        occurrences=occurrences,
        occurrence_id=occurrence_id,
        filters=filters,
        k=k,
        kinds=kinds,
        retrospectives=retrospectives,
        retrospective_answers=retro_answers,
    )


def _latest_comments(
    *, occurrence_ids: list[int], question_ids: list[int], filters: SegmentFilters
) -> list[str]:
    """The latest comments of a question (index `answer_occurrence_question`); the join to
    the response only when a segment filter needs it."""
    rows = Answer.objects.filter(occurrence_id__in=occurrence_ids, question_id__in=question_ids)
    if filters.active:
        rows = rows.filter(filters.q("response__"))
    return list(rows.exclude(text="").order_by("-id").values_list("text", flat=True)[:MAX_COMMENTS])


def _themes(comments: list[str], *, k: int, key: tuple) -> list[Theme]:
    """Themes, cached until the question's answer count changes (the count is in the key)."""
    digest = hashlib.sha256(repr(key).encode()).hexdigest()
    cache_key = f"feedback:themes:{k}:{digest}"
    themes = cache.get(cache_key)
    if themes is None:
        themes = themes_of(comments, min_count=k)
        cache.set(cache_key, themes, timeout=3600)
    return themes


def _retrospective_answers(session: Session) -> list[dict[str, Any]]:
    """The speakers' own retrospective answers (a named survey: shown with their names)."""
    responses = (
        Response.objects.filter(
            occurrence__session=session, kind=Kind.RETROSPECTIVE, template__anonymous=False
        )
        .select_related("author__person", "occurrence")
        .prefetch_related(Prefetch("answers", queryset=Answer.objects.select_related("question")))
        .order_by("occurrence__start", "id")
    )
    out = []
    for response in responses:
        author = getattr(response, "author", None)
        rows = []
        for answer in sorted(response.answers.all(), key=lambda a: a.question.position):
            option = answer.question.option_map().get(answer.value)
            rows.append(
                {
                    "question": answer.question.text,
                    "answer": answer.text or (option["label"] if option else answer.value),
                    "standard": option["standard"] if option else "",
                }
            )
        out.append(
            {
                "occurrence": response.occurrence,
                "person": author.person.display_name if author else "",
                "answers": rows,
            }
        )
    return out


# Programme, speaker and evidence views (from the tallies) ----------------------------------


@dataclass(frozen=True)
class ProgrammeFilters:
    kind: str = Kind.AFTER_SESSION
    group_by: str = "session"  # session | circle | format | mode
    since: datetime | None = None
    until: datetime | None = None
    circle_id: int | None = None
    format: str = ""
    segment: SegmentFilters = SegmentFilters()


GROUPS = ("session", "circle", "format", "mode")
# What each grouping is called on the page (the value stays the code, for links and the API).
GROUP_LABELS = {"session": "Session", "circle": "Circle", "format": "Format", "mode": "Attendance"}


@dataclass
class ProgrammeRow:
    key: Any
    label: str
    sessions: int
    n: int
    visible: bool
    unacceptable: int = 0
    acceptable: int = 0
    superior: int = 0
    applied_asked: int = 0
    applied_yes: int = 0
    slug: str = ""

    @property
    def judged(self) -> int:
        return self.unacceptable + self.acceptable + self.superior

    def share(self, standard: str) -> float:
        return getattr(self, standard) / self.judged if self.judged else 0.0

    @property
    def applied_share(self) -> float | None:
        return self.applied_yes / self.applied_asked if self.applied_asked else None


@dataclass
class ProgrammeView:
    filters: ProgrammeFilters
    k: int
    rows: list[ProgrammeRow]
    total: ProgrammeRow
    left_out: int  # sessions with responses whose cell is hidden, counted in no row
    groups: int = 0  # rows before the limit


TALLY_FIELDS = TALLY_COLUMNS[1:]  # what a programme row carries besides its responses


def _scoped_sessions(filters: ProgrammeFilters, now: datetime) -> Any:
    """Ids of the sessions with a date in the period: a session is in or out whole, so that
    its row here equals the total on its own results page (no date cut to subtract)."""
    since = filters.since or now - timedelta(days=365)
    until = filters.until or now
    if not (filters.circle_id or filters.format):
        return Occurrence.objects.filter(start__gte=since, start__lt=until).values("session_id")
    sessions = Session.objects.filter(occurrences__start__gte=since, occurrences__start__lt=until)
    if filters.circle_id:
        sessions = sessions.filter(circle_id=filters.circle_id)
    if filters.format:
        sessions = sessions.filter(format=filters.format)
    return sessions.values("pk")


def programme_view(*, viewer: Person, filters: ProgrammeFilters, limit: int = 200) -> ProgrammeView:
    """Results across sessions grouped by session, circle, format or attendance mode.

    Every figure is a sum of *cells* that the sessions' own results pages show: a session
    with at least k responses (no cut), or its group in the one cut (attendance mode, org
    unit or office; grouping by mode is the mode cut) when that page shows it. A sum of
    figures each of which is already visible cannot single anyone out, however the period,
    circle, format or grouping change; sessions and cells that are hidden are counted in
    `left_out` and nowhere else.

    Without an org-unit or office cut it reads `SessionTally` (a few rows per session); with
    one, `ResponseTally` of the sessions in the period (about one row per response).
    """
    if not permissions.can_view_programme(actor=viewer):
        raise Forbidden("The programme view is for enablers and leaders.")
    if filters.kind == Kind.RETROSPECTIVE or filters.kind not in Kind.values:
        # Retrospectives are the speakers' own named answers: read on a session's results page.
        raise DomainError(
            "The programme view covers the attendees' surveys (after the session, +7, +30 and "
            "+90 days); a retrospective is read on its session's results page.",
            field="kind",
        )
    k = min_group()
    group_by = filters.group_by if filters.group_by in GROUPS else "session"
    segment = filters.segment
    if group_by == "mode" and (segment.org_unit_id or segment.office_id):
        raise DomainError(ONE_CUT.format(k=k), field="filters")
    cut = cut_of(segment) or (("mode", None) if group_by == "mode" else None)
    scope = _scoped_sessions(filters, timezone.now())
    if cut and cut[0] == "org_unit_id":
        rows, total_row, groups, with_responses = _programme_org_unit(
            filters, group_by, cut[1], k=k, scope=scope, limit=limit
        )
    else:
        rows, total_row, groups, with_responses = _programme_sql(
            filters, group_by, cut, k=k, scope=scope, limit=limit
        )
    labels, slugs = _group_labels(group_by, [row.key for row in rows])
    for row in rows:
        row.label, row.slug = labels.get(row.key, "—"), slugs.get(row.key, "")
    return ProgrammeView(
        filters=filters,
        k=k,
        rows=rows,
        total=total_row,
        left_out=with_responses - total_row.sessions,
        groups=groups,
    )


_SUMS = TALLY_COLUMNS


def _cell_sum(column: str, k: int) -> str:
    """A cell's sum of a tally column. The "applied" counts are summed only where at least k
    answered that question, as the results page shows them: the question may be optional in
    an enabler's copy, and a cell of k responses with 2 "applied" answers would otherwise add
    those two people's answers to a total that another period does not include."""
    if column in ("applied_asked", "applied_yes"):
        return (
            f"CASE WHEN SUM(t.applied_asked) >= {int(k)} THEN SUM(t.{column}) ELSE 0 END "
            f"AS {column}"
        )
    return f"SUM(t.{column}) AS {column}"


def _programme_sql(
    filters: ProgrammeFilters,
    group_by: str,
    cut: tuple[str, Any] | None,
    *,
    k: int,
    scope: Any,
    limit: int,
) -> tuple[list[ProgrammeRow], ProgrammeRow, int, int]:
    """No cut, or a mode or office cut: one SQL statement, so that the cost is one pass over
    a few rows per session, whatever the number of responses.

    `cell`: each session's responses split by the cut (one cell per session without one).
    `shown`: the visible cells, checked as `visible_cells` checks a results page's split
    (as every visible cell holds at least k, at most one more is hidden: the smallest
    visible one, when the hidden cells add up to between 1 and k-1; ties to the lower key),
    and only the chosen value's. `grouped`: the groups. The result: the first `limit` groups
    by their share of unacceptable answers, each row carrying the totals over all groups
    (window sums, taken before the limit) and the number of sessions with responses.
    """
    scope_sql, scope_params = scope.query.sql_with_params()
    dimension = cut[0] if cut else None
    tally, session_table = SessionTally._meta.db_table, Session._meta.db_table
    if dimension == "office_id":
        occurrence_table = Occurrence._meta.db_table
        source = (
            f"FROM {ResponseTally._meta.db_table} t JOIN {occurrence_table} o "
            f"ON o.id = t.occurrence_id WHERE t.kind = %s AND o.session_id IN ({scope_sql})"
        )
        session_col, cell_col = "o.session_id", "t.office_id"
    else:
        source = f"FROM {tally} t WHERE t.kind = %s AND t.session_id IN ({scope_sql})"
        session_col, cell_col = "t.session_id", "t.mode" if dimension == "mode" else "''"
    chosen = cut[1] if cut else None
    group_col = {"session": "session_id", "circle": "s.circle_id", "format": "s.format"}.get(
        group_by, "cell"
    )
    join = f"JOIN {session_table} s ON s.id = shown.session_id" if "s." in group_col else ""
    if dimension is None:
        shown = "SELECT * FROM cell WHERE responses >= %s"
        shown_params: list[Any] = [k]
    else:
        # Per session: the hidden responses and the smallest visible cell, which is hidden
        # too when they are between 1 and k-1 (ties to the lower key, None first).
        shown = f"""
            SELECT cell.* FROM cell JOIN (
                SELECT session_id,
                       SUM(CASE WHEN responses < %s THEN responses ELSE 0 END) AS hidden,
                       MIN(CASE WHEN responses >= %s THEN responses END) AS low
                FROM cell GROUP BY session_id
            ) split ON split.session_id = cell.session_id
            WHERE cell.responses >= %s
              AND NOT (
                  split.hidden > 0 AND split.hidden < %s AND cell.responses = split.low
                  AND NOT EXISTS (
                      SELECT 1 FROM cell other
                      WHERE other.session_id = cell.session_id AND other.responses = split.low
                        AND ((other.cell IS NULL AND cell.cell IS NOT NULL)
                             OR other.cell < cell.cell)
                  )
              )
              {"AND cell.cell = %s" if chosen is not None else ""}
        """
        shown_params = [k, k, k, k, *([chosen] if chosen is not None else [])]
    # A session is in one group, except when grouping by mode: then count them once.
    all_sessions = (
        "(SELECT COUNT(DISTINCT session_id) FROM shown)"
        if group_col == "cell"
        else "SUM(sessions) OVER ()"
    )
    cell_sums = ", ".join(_cell_sum(f, k) for f in _SUMS)
    sql = f"""
        WITH cell AS (
            SELECT {session_col} AS session_id, {cell_col} AS cell, {cell_sums}
            {source}
            GROUP BY {session_col}{f", {cell_col}" if dimension else ""}
        ),
        shown AS ({shown}),
        grouped AS (
            SELECT {group_col} AS g, COUNT(DISTINCT shown.session_id) AS sessions,
                   {", ".join(f"SUM(shown.{f}) AS {f}" for f in _SUMS)}
            FROM shown {join}
            GROUP BY {group_col}
        )
        SELECT g, sessions, {", ".join(_SUMS)},
               COUNT(*) OVER (), {all_sessions}, {", ".join(f"SUM({f}) OVER ()" for f in _SUMS)},
               (SELECT COUNT(DISTINCT session_id) FROM cell)
        FROM grouped
        ORDER BY COALESCE(unacceptable * 1.0 / NULLIF(unacceptable + acceptable + superior, 0), 0)
                 DESC, responses DESC, g
        LIMIT %s
    """
    params = [filters.kind, *scope_params, *shown_params, limit]
    width = 2 + len(_SUMS)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        result = cursor.fetchall()
        if not result:  # nothing shown: still say how many sessions had responses
            cursor.execute(
                f"WITH cell AS (SELECT {session_col} AS session_id {source} "
                f"GROUP BY {session_col}) SELECT COUNT(*) FROM cell",
                [filters.kind, *scope_params],
            )
            return [], ProgrammeRow(None, "All", 0, 0, False), 0, int(cursor.fetchone()[0])
    # PostgreSQL sums integers to numeric (Decimal): every count back to int.
    result = [(row[0], *(int(value or 0) for value in row[1:])) for row in result]
    rows = [
        ProgrammeRow(
            key=row[0],
            label="",
            sessions=row[1],
            n=row[2],
            visible=True,
            **dict(zip(TALLY_FIELDS, row[3:width], strict=True)),
        )
        for row in result
    ]
    groups, sessions, n, *totals, with_responses = result[0][width:]
    total_row = ProgrammeRow(
        key=None,
        label="All",
        sessions=sessions,
        n=n,
        visible=True,
        **dict(zip(TALLY_FIELDS, totals, strict=True)),
    )
    return rows, total_row, groups, with_responses


def _programme_org_unit(
    filters: ProgrammeFilters,
    group_by: str,
    unit_id: int,
    *,
    k: int,
    scope: Any,
    limit: int,
) -> tuple[list[ProgrammeRow], ProgrammeRow, int, int]:
    """An org-unit cut: per session, the org tree checked as its results page checks it
    (`org_unit_visible`); only sessions where the unit shows add its subtree's sums. Reads
    the segments of `ResponseTally` (about one row per response in the period) and checks
    the tree in Python: the tree does not fit one SQL statement."""
    scope_sql, scope_params = scope.query.sql_with_params()
    sums = ", ".join(f"SUM(t.{f})" for f in _SUMS)
    sql = (
        f"SELECT o.session_id, t.org_unit_id, {sums} "
        f"FROM {ResponseTally._meta.db_table} t "
        f"JOIN {Occurrence._meta.db_table} o ON o.id = t.occurrence_id "
        f"WHERE t.kind = %s AND o.session_id IN ({scope_sql}) "
        "GROUP BY o.session_id, t.org_unit_id"
    )
    by_session: dict[int, list[tuple]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(sql, [filters.kind, *scope_params])
        for session_id, unit, *values in cursor.fetchall():
            by_session[session_id].append((unit, *(int(v or 0) for v in values)))
    tree = OrgTree.load()
    subtree = {node for node, line in tree.lineage.items() if unit_id in line}
    cells: dict[int, list[int]] = {}
    for session_id, rows in by_session.items():
        own = {unit: n for unit, n, *_ in rows}
        if org_unit_visible(own, unit_id, k=k, tree=tree):
            totals = [0] * len(_SUMS)
            for unit, *values in rows:
                if unit in subtree:
                    totals = [a + b for a, b in zip(totals, values, strict=True)]
            if totals[_SUMS.index("applied_asked")] < k:  # as `_cell_sum`: below k, not added
                totals[_SUMS.index("applied_asked")] = totals[_SUMS.index("applied_yes")] = 0
            cells[session_id] = totals
    group_of: dict[int, Any] = {session_id: session_id for session_id in cells}
    if group_by != "session":
        field_name = "circle_id" if group_by == "circle" else "format"
        group_of = dict(
            Session.objects.filter(pk__in=scope).values_list("pk", field_name).order_by()
        )
    groups: dict[Any, dict[str, Any]] = {}
    for session_id, (n, *values) in cells.items():
        entry = groups.setdefault(
            group_of.get(session_id),
            {"n": 0, "sessions": 0, **{f: 0 for f in TALLY_FIELDS}},
        )
        entry["n"] += n
        entry["sessions"] += 1
        for f, value in zip(TALLY_FIELDS, values, strict=True):
            entry[f] += value
    out = [
        ProgrammeRow(
            key=group,
            label="",
            sessions=entry["sessions"],
            n=entry["n"],
            visible=True,
            **{f: entry[f] for f in TALLY_FIELDS},
        )
        for group, entry in groups.items()
    ]
    total_row = ProgrammeRow(
        key=None,
        label="All",
        sessions=len(cells),
        n=sum(row.n for row in out),
        visible=bool(out),
        **{f: sum(getattr(row, f) for row in out) for f in TALLY_FIELDS},
    )
    out.sort(key=lambda r: (-r.share(Standard.UNACCEPTABLE), -r.n, r.key is not None, r.key))
    return out[:limit], total_row, len(out), len(by_session)


def _group_labels(group_by: str, keys: list[Any]) -> tuple[dict[Any, str], dict[Any, str]]:
    if group_by == "session":
        rows = Session.objects.filter(pk__in=keys).values_list("pk", "title", "slug")
        return {pk: title for pk, title, _ in rows}, {pk: slug for pk, _, slug in rows}
    if group_by == "circle":
        names = dict(Circle.objects.filter(pk__in=[k for k in keys if k]).values_list("pk", "name"))
        names[None] = "No circle"
        return names, {}
    if group_by == "format":
        return dict(Session.Format.choices), {}
    return {**dict(Attendance.Mode.choices)}, {}


# What a session's evidence is about, in plain words (the Kirkpatrick level is the key; the
# methodology is named in the legend, not in the headings).
EVIDENCE_LEVELS: dict[int, str] = {
    1: "Reaction",
    2: "Learning",
    3: "Application",
    4: "Results",
}
SELF_REPORTED_SAYS = {
    1: "people said how it went",
    2: "people say what they learned",
    3: "people say they applied it",
    4: "people say it had results",
}


@dataclass
class EvidenceRow:
    """What is known about one session, split by where it comes from.

    *Self-reported*: responses to surveys whose questions ask about each level. Every survey
    answer is the person's own account (learner perception, LTEM 3), even when it is about
    applying what they learned or the result it had, so these never count as observed. So is
    watching the recording, which people record for themselves.
    *Observed*: what was recorded rather than said: attendance, marked by a speaker or an
    enabler. Knowflow records no completed tasks or measured figures per session yet, so
    observed application and results stay empty rather than borrowed from self-reports.

    Counts add up whole *rounds* only: the responses to one survey (a kind of survey asking
    about the same levels) for the session, and only rounds of at least k responses. A
    smaller round is left out of every sum (``left_out`` counts them per level), so no
    difference between two shown counts is a group below k.
    """

    session: Session
    responses: dict[str, int]  # kind → responses, of the rounds that are counted
    self_reported: dict[int, int]  # Kirkpatrick level → responses of counted rounds asking it
    ltem: dict[str, int]
    attended: int  # attendances a speaker or an enabler recorded: observed
    left_out: dict[int, int] = field(default_factory=dict)  # level → rounds below k
    applied_yes: int = 0  # of the counted rounds: how many say they applied it
    viewed_recording: int = 0  # people who say they watched the recording: self-reported

    @property
    def self_reported_cells(self) -> list[tuple[str, int, int]]:
        """(label, responses counted, rounds left out) per level, in the page's order."""
        return [
            (label, self.self_reported.get(level, 0), self.left_out.get(level, 0))
            for level, label in EVIDENCE_LEVELS.items()
        ]

    @property
    def has_feedback(self) -> bool:
        return any(self.self_reported.values()) or any(self.left_out.values())

    @property
    def strongest(self) -> str:
        """The headline, from counted rounds only and from what people answered: "applied"
        needs answers saying so, and a results question says only that it was answered."""
        shown = {level for level, n in self.self_reported.items() if n}
        if self.applied_yes:
            said = "people say they applied it"
        elif 4 in shown:
            said = "people answered about its results"
        elif 3 in shown:
            # Which answers mean "applied" is tallied for the "applied" question only.
            said = "people answered about applying it"
        elif shown:
            said = SELF_REPORTED_SAYS[max(shown)]
        else:
            said = ""
        if said:
            said += " (self-reported)"
        elif self.has_feedback:
            said = "too few responses to count yet"
        else:
            said = "no feedback yet"
        return f"attendance recorded; {said}" if self.attended else said


def evidence_view(
    *, viewer: Person, since: datetime | None = None, limit: int = 200
) -> list[EvidenceRow]:
    """What each session has evidence of: attendance recorded (observed) and, per level, how
    many responses to surveys that ask about it (self-reported), from rounds of at least k.

    Only counts, never answers, except whether any counted follow-up says "applied" (for the
    headline). The speakers' retrospectives are left out: they are the speaker's view of the
    session, not evidence about the learners. Sessions with the most recent dates first.
    """
    if not permissions.can_view_programme(actor=viewer):
        raise Forbidden("The evidence view is for enablers and leaders.")
    now = timezone.now()
    since = since or now - timedelta(days=365)
    k = min_group()
    learner_tallies = SessionTally.objects.exclude(kind=Kind.RETROSPECTIVE)
    # The most recent dates first: walk the period's occurrences backwards (index on start)
    # until `limit` sessions with any evidence are found.
    has_responses = Exists(learner_tallies.filter(session_id=OuterRef("session_id")))
    has_attendance = Exists(Attendance.objects.filter(occurrence_id=OuterRef("pk")))
    dates = (
        Occurrence.objects.filter(has_responses | has_attendance, start__gte=since, start__lt=now)
        .order_by("-start", "-pk")
        .values_list("session_id", flat=True)
    )
    session_ids: list[int] = []
    seen: set[int] = set()
    for session_id in dates.iterator(chunk_size=2000):
        if session_id not in seen:
            seen.add(session_id)
            session_ids.append(session_id)
            if len(session_ids) >= limit:
                break
    per_template: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)
    for session_id, template_id, n, yes in (
        learner_tallies.filter(session_id__in=session_ids)
        .values_list("session_id", "template_id")
        .annotate(n=Sum("responses"), yes=Sum("applied_yes"))
        .order_by()
    ):
        per_template[session_id][template_id] = (n or 0, yes or 0)
    attended: dict[tuple[int, bool], int] = {
        (session_id, own): n
        for session_id, own, n in Attendance.objects.filter(occurrence__session_id__in=session_ids)
        .values_list("occurrence__session_id", "self_reported")
        .annotate(n=Count("pk"))
        .order_by()
    }
    template_levels: dict[int, tuple[set[int], set[str], str]] = {}
    template_ids = {t for by in per_template.values() for t in by}
    kinds = dict(SurveyTemplate.objects.filter(pk__in=template_ids).values_list("pk", "kind"))
    for template_id, level, tier in Question.objects.filter(
        template_id__in=template_ids
    ).values_list("template_id", "kirkpatrick", "ltem"):
        entry = template_levels.setdefault(template_id, (set(), set(), kinds.get(template_id, "")))
        entry[0].add(level)
        entry[1].add(tier)
    sessions = Session.objects.in_bulk(session_ids)
    out = []
    for session in (sessions[pk] for pk in session_ids if pk in sessions):
        # A round: the session's responses to one kind of survey asking the same levels (the
        # versions of a survey that ask alike are one round; adding a round to some levels
        # and not others is what would let a difference reveal it).
        rounds: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        for template_id, (n, yes) in per_template[session.pk].items():
            levels, tiers, kind = template_levels.get(template_id, (set(), set(), ""))
            round_ = rounds[(kind, frozenset(levels), frozenset(tiers))]
            round_[0] += n
            round_[1] += yes
        k_counts: dict[int, int] = {level: 0 for level in Question.Kirkpatrick.values}
        l_counts: dict[str, int] = {tier: 0 for tier in Question.Ltem.values}
        left_out: dict[int, int] = defaultdict(int)
        responses: dict[str, int] = defaultdict(int)
        applied_yes = 0
        for (kind, levels, tiers), (n, yes) in rounds.items():
            if n < k:
                for level in levels:
                    left_out[level] += 1
                continue
            responses[kind] += n
            applied_yes += yes
            for level in levels:
                k_counts[level] += n
            for tier in tiers:
                l_counts[tier] += n
        out.append(
            EvidenceRow(
                session=session,
                responses=dict(responses),
                self_reported=k_counts,
                ltem=l_counts,
                attended=attended.get((session.pk, False), 0),
                left_out=dict(left_out),
                applied_yes=applied_yes,
                viewed_recording=attended.get((session.pk, True), 0),
            )
        )
    return out


@dataclass
class SpeakerOccurrenceRow:
    occurrence: Occurrence
    n: int
    visible: bool
    unacceptable: int = 0
    acceptable: int = 0
    superior: int = 0
    applied_asked: int = 0
    applied_yes: int = 0

    def share(self, standard: str) -> float:
        judged = self.unacceptable + self.acceptable + self.superior
        return getattr(self, standard) / judged if judged else 0.0

    @property
    def standards(self) -> list[QuestionResult]:
        """The questions judged against a standard whose answers are shown: the summary's
        "share meeting each standard"."""
        return [
            q
            for q in self.questions
            if q.meeting_share is not None and q.key not in _NOT_A_STANDARD_IN_SUMMARY
        ]

    @property
    def said_applied(self) -> list[Theme]:
        """What people say they applied or what it changed, as the themes of the kind's text
        answers (themes exist only where at least k answers share them)."""
        themes = [t for q in self.questions for t in q.themes if t.label != "Other comments"]
        return themes[:3]

    @property
    def applied_share(self) -> float | None:
        return self.applied_yes / self.applied_asked if self.applied_asked else None


def speaker_sessions_over_time(
    *, viewer: Person, person: Person, limit: int = 100
) -> list[dict[str, Any]]:
    """A speaker's past sessions, oldest date first, with each date's after-session standards
    and the follow-ups' "applied" share. A speaker sees their own; enablers anyone's.

    Each survey's dates are checked as that survey's results page checks a date cut (rule
    3 over all the session's dates): the after-session figures of a date show when its
    after-session cell does, and its "applied" share adds up the +30 and +90 cells that show
    on their own — never a +30 and +90 sum in which one of them is too small.
    """
    if viewer.pk != person.pk and not viewer.is_enabler:
        raise Forbidden("You can see your own sessions' feedback over time.")
    k = min_group()
    now = timezone.now()
    recent = (
        Occurrence.objects.filter(session__speakers=person, start__lte=now)
        .order_by("-start")
        .values_list("session_id", flat=True)[:limit]
    )
    # Every past date of those sessions, not only the recent ones: the check is over the
    # session's whole split, as on its results page.
    occurrences = list(
        Occurrence.objects.filter(session_id__in=set(recent), start__lte=now)
        .select_related("session")
        .order_by("start", "pk")
    )
    counts: dict[str, dict[int, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for occ_id, kind, n, u, a, s, asked, yes in (
        ResponseTally.objects.filter(occurrence__in=[o.pk for o in occurrences])
        .values_list("occurrence_id", "kind")
        .annotate(*(Sum(column) for column in TALLY_COLUMNS))
        .order_by()
    ):
        counts[kind][occ_id] = {
            "n": n,
            "unacceptable": u,
            "acceptable": a,
            "superior": s,
            "applied_asked": asked,
            "applied_yes": yes,
        }
    sessions: dict[int, dict[str, Any]] = {}
    for occurrence in occurrences:
        sessions.setdefault(occurrence.session_id, {"session": occurrence.session, "rows": []})[
            "rows"
        ].append(occurrence)
    follow_ups = (Kind.FOLLOW_UP_30, Kind.FOLLOW_UP_90)
    out = []
    for entry in sessions.values():
        occs = entry["rows"]
        shown = {
            kind: visible_cells({o.pk: counts[kind].get(o.pk, {}).get("n", 0) for o in occs}, k=k)
            for kind in (Kind.AFTER_SESSION, *follow_ups)
        }
        rows = []
        for o in occs:
            row = SpeakerOccurrenceRow(occurrence=o, n=0, visible=o.pk in shown[Kind.AFTER_SESSION])
            if row.visible:
                data = counts[Kind.AFTER_SESSION][o.pk]
                row.n = data["n"]
                row.unacceptable, row.acceptable, row.superior = (
                    data["unacceptable"],
                    data["acceptable"],
                    data["superior"],
                )
            for kind in follow_ups:
                # As the results page: a round's "applied" only where k or more answered it.
                if o.pk in shown[kind] and counts[kind][o.pk]["applied_asked"] >= k:
                    row.applied_asked += counts[kind][o.pk]["applied_asked"]
                    row.applied_yes += counts[kind][o.pk]["applied_yes"]
            rows.append(row)
        out.append({"session": entry["session"], "rows": rows})
    return out


# The person's own requests -----------------------------------------------------------------


def _pending(person: Person, now: datetime | None) -> Any:
    return SurveyRequest.objects.filter(
        person=person, status=SurveyRequest.Status.SENT, expires_at__gt=now or timezone.now()
    )


def pending_requests_for(
    *, person: Person, now: datetime | None = None, limit: int = 10
) -> list[SurveyRequest]:
    """The surveys waiting for this person's answer, soonest to close first (the home page
    shows the first few, the "see all" page every one)."""
    return list(
        _pending(person, now)
        .select_related("occurrence__session", "template")
        .order_by("expires_at", "id")[:limit]
    )


def pending_requests_count(*, person: Person, now: datetime | None = None) -> int:
    return _pending(person, now).count()


def sessions_given_with_feedback(*, person: Person, limit: int = 10) -> list[Session]:
    """The sessions this person spoke at that have happened, latest first, each with
    `last_end` (when it was last given): the home page links each to its results."""
    return list(
        Session.objects.filter(speakers=person, occurrences__end__lte=timezone.now())
        .exclude(status=Session.Status.CANCELLED)
        .annotate(last_end=Max("occurrences__end"))
        .order_by("-last_end", "id")[:limit]
    )


def template_list(*, viewer: Person, include_old: bool = False) -> list[SurveyTemplate]:
    templates = (
        SurveyTemplate.objects.all()
        if include_old
        else SurveyTemplate.objects.filter(is_current=True)
    )
    return list(templates.prefetch_related("questions").order_by("kind", "name", "-version"))


# ROI ------------------------------------------------------------------------------------------

# Later rounds first: a person answers +30 and +90 anonymously, so the two cannot be linked;
# counting both would count one person's hours twice. Each occurrence contributes its latest
# round only (the most mature estimate, Phillips: use the most credible source).
_ROI_ROUNDS = (Kind.FOLLOW_UP_90, Kind.FOLLOW_UP_30)


def follow_up_claims(
    *, session_ids: Iterable[int], since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """Hours-saved estimates from follow-ups, for the ROI workspace (insights).

    One claim per follow-up response that answered "hours saved", with its confidence and the
    share of the saving the respondent attributes to the session, for occurrences of these
    sessions that started in ``[since, until)``.

    Privacy: a round of an occurrence is used only when at least k of its responses answered
    "hours saved" (not merely k responses: the hours question may be optional in an enabler's
    copy, and a sum over fewer than k answers would be one person's). A claim carries nothing
    about who gave it — no org unit, no office — so no input an enabler controls (a cost per
    unit, a filter) can weight or pick out one respondent's answer.

    A round is used only once it is closed (no request of it still waiting to be sent or
    answered): while it grows, two readings (two frozen versions of a study) a response apart
    would give that one response's hours as their difference, and who answered in between can
    be known from the requests. A closed round never changes, so neither does its figure.

    Unanswered confidence counts as 0 (no evidence, no benefit); an unanswered attribution
    (answers given before the question existed) is None, and the ROI study decides (it never
    counts as 100 %).
    """
    k = min_group()
    session_ids = list(session_ids)
    still_open = set(
        SurveyRequest.objects.filter(
            occurrence__session_id__in=session_ids,
            kind__in=_ROI_ROUNDS,
            status__in=[SurveyRequest.Status.SCHEDULED, SurveyRequest.Status.SENT],
        )
        .values_list("occurrence_id", "kind")
        .distinct()
    )
    rounds: dict[int, str] = {}
    counts = (
        Answer.objects.filter(
            question__key="hours_saved",
            response__occurrence__session_id__in=session_ids,
            response__occurrence__start__gte=since,
            response__occurrence__start__lt=until,
            response__kind__in=_ROI_ROUNDS,
        )
        .exclude(value="")
        .values("response__occurrence_id", "response__kind")
        .annotate(n=Count("response_id", distinct=True))
        .order_by()
    )
    for row in counts:
        occurrence_id, kind = row["response__occurrence_id"], row["response__kind"]
        if row["n"] < k or (occurrence_id, kind) in still_open:
            continue
        current = rounds.get(occurrence_id)
        if current is None or _ROI_ROUNDS.index(kind) < _ROI_ROUNDS.index(current):
            rounds[occurrence_id] = kind
    if not rounds:
        return []
    wanted = Q()
    for occurrence_id, kind in rounds.items():
        wanted |= Q(response__occurrence_id=occurrence_id, response__kind=kind)
    answers: dict[int, dict[str, Any]] = {}
    rows = Answer.objects.filter(
        wanted, question__key__in=["hours_saved", "hours_confidence", "hours_attribution"]
    ).values_list(
        "response_id",
        "question__key",
        "value",
        "response__kind",
        "response__occurrence__session__title",
    )
    for response_id, key, value, kind, title in rows:
        claim = answers.setdefault(
            response_id,
            {
                "source": f"{Kind(kind).label}: {title}",
                "session": title,
                "round": Kind(kind).label,
                "hours_saved_per_month": None,
                "confidence": 0.0,
                "attribution": None,
            },
        )
        if not value:
            continue
        if key == "hours_saved":
            claim["hours_saved_per_month"] = float(value)
        elif key == "hours_confidence":
            claim["confidence"] = float(value) / 100
        else:
            claim["attribution"] = float(value) / 100
    return [claim for claim in answers.values() if claim["hours_saved_per_month"] is not None]


# Retrospectives and their actions ------------------------------------------------------------


@dataclass
class RetrospectiveEditing:
    occurrence: Occurrence
    retrospective: Retrospective | None
    versions: list[RetrospectiveVersion]


def retrospective_for_editing(*, viewer: Person, occurrence_id: int) -> RetrospectiveEditing:
    """An occurrence's retrospective as it stands, with every saved version (newest first),
    for the people who keep it: the session's speakers and enablers."""
    occurrence = (
        Occurrence.objects.select_related("session")
        .prefetch_related("session__speakers")
        .filter(pk=occurrence_id)
        .first()
    )
    if occurrence is None:
        raise NotFound("There is no such date.")
    if not permissions.can_edit_retrospective(actor=viewer, session=occurrence.session):
        raise Forbidden("Only the session's speakers and enablers keep its retrospective.")
    retro = Retrospective.objects.filter(occurrence=occurrence).select_related("updated_by").first()
    versions = (
        list(RetrospectiveVersion.objects.filter(retrospective=retro).select_related("saved_by"))
        if retro
        else []
    )
    return RetrospectiveEditing(occurrence=occurrence, retrospective=retro, versions=versions)


def _actions_with_context() -> Any:
    return RetrospectiveAction.objects.select_related(
        "owner", "owner__org_unit", "retrospective__occurrence__session"
    )


def _soonest_due_first(actions: Any) -> Any:
    # Undated actions after the dated ones, oldest first: what is late or near comes first.
    return actions.order_by(
        F("due_on").asc(nulls_last=True), "retrospective__occurrence__start", "created_at", "pk"
    )


@dataclass
class OpenActions:
    rows: list[RetrospectiveAction]
    total: int


def open_actions(*, viewer: Person, limit: int = 500) -> OpenActions:
    """Every open action across the programme, soonest due first (undated last), with owner,
    session and date joined: the list enablers chase. ``total`` counts them all when more
    than ``limit`` exist."""
    if not permissions.can_view_open_actions(actor=viewer):
        raise Forbidden("The list of every open action is for enablers.")
    actions = _actions_with_context().filter(done=False)
    rows = list(_soonest_due_first(actions)[:limit])
    total = len(rows) if len(rows) < limit else actions.count()
    return OpenActions(rows=rows, total=total)


def open_actions_count(*, viewer: Person) -> int:
    """How many actions across the programme are open (the enabler's home page)."""
    if not permissions.can_view_open_actions(actor=viewer):
        raise Forbidden("The list of every open action is for enablers.")
    return RetrospectiveAction.objects.filter(done=False).count()


def open_actions_owned_by(*, person: Person, limit: int = 50) -> list[RetrospectiveAction]:
    """The open actions this person owns (their to-dos on the home page and in the API)."""
    return list(
        _soonest_due_first(_actions_with_context().filter(owner=person, done=False))[:limit]
    )
