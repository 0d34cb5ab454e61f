"""A session's results: what its results page, its CSV export and the API show, per survey
kind and question, through the anonymity rules (`feedback.selectors.anonymity`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, Q, Sum

from knowflow.accounts.models import Person
from knowflow.discovery.themes import Theme
from knowflow.errors import Forbidden, NotFound
from knowflow.events.models import Occurrence, Session
from knowflow.feedback import permissions
from knowflow.feedback.models import (
    AnswerTally,
    Kind,
    Question,
    ResponseTally,
    Retrospective,
    RetrospectiveAction,
    RetrospectiveVersion,
    Standard,
    SurveyRequest,
)
from knowflow.feedback.selectors.anonymity import (
    NO_FILTERS,
    SegmentFilters,
    cut_of,
    cut_visible,
    min_group,
    org_tree_load,
)
from knowflow.feedback.selectors.comments import comment_themes, comments_latest
from knowflow.feedback.selectors.retrospectives import retrospective_answers_for_session

# What each Kirkpatrick level measures, in the words a results page uses; the level and the LTEM
# tier themselves belong in the "how we measure" legend, not next to every question.
KIRKPATRICK_LEVELS = {1: "reaction", 2: "learning", 3: "application", 4: "results"}
# Left out of a summary's "meet the standard" lines: "applied" has its own line ("say they have
# applied it"), and the hours questions are the ROI study's inputs, not a judgement of the session.
_NOT_A_STANDARD_IN_SUMMARY = {"applied", "hours_saved", "hours_confidence", "hours_attribution"}


STANDARD_WORDS: dict[str, str] = {
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
    filters: SegmentFilters = NO_FILTERS,
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
    for tally in (
        ResponseTally.objects.filter(base)
        .values("kind", "template_id", "template__anonymous")
        .annotate(total=Sum("responses"), n=Sum("responses", filter=segment))
        .order_by()
    ):
        entry = counts.setdefault(tally["kind"], {"total": 0, "n": 0, "anonymous": True})
        entry["total"] += tally["total"] or 0
        entry["n"] += tally["n"] or 0
        entry["anonymous"] = entry["anonymous"] and tally["template__anonymous"]
        template_ids.add(tally["template_id"])
        anonymous_by_template[tally["template_id"]] = tally["template__anonymous"]

    partitions: dict[str, dict[Any, int]] = defaultdict(dict)
    if cut:
        for kind_value, value, n in (
            ResponseTally.objects.filter(base)
            .values_list("kind", cut[0])
            .annotate(Sum("responses"))
            .order_by()
        ):
            partitions[kind_value][value] = partitions[kind_value].get(value, 0) + (n or 0)

    tree = org_tree_load() if cut and cut[0] == "org_unit_id" else None
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
                texts[(kind_value, key)] = comments_latest(
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
                    q.themes = comment_themes(
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
    retro_answers = retrospective_answers_for_session(session=session)
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
