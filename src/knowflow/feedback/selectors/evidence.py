"""The evidence view: per session, what is observed (attendance recorded) and what is
self-reported (survey rounds of at least k responses, per Kirkpatrick level and LTEM tier)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Sum
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.errors import Forbidden
from knowflow.events.models import Attendance, Occurrence, Session
from knowflow.feedback import permissions
from knowflow.feedback.models import (
    Kind,
    Question,
    SessionTally,
    SurveyTemplate,
)
from knowflow.feedback.selectors.anonymity import min_group

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
    """The evidence page's rows (``evidence_rows``), for the programme's readers only."""
    if not permissions.can_view_programme(actor=viewer):
        raise Forbidden("The evidence view is for enablers and leaders.")
    return evidence_rows(since=since, limit=limit)


def evidence_rows(*, since: datetime | None = None, limit: int = 200) -> list[EvidenceRow]:
    """What each session has evidence of: attendance recorded (observed) and, per level, how
    many responses to surveys that ask about it (self-reported), from rounds of at least k.

    Only counts, never answers, except whether any counted follow-up says "applied" (for the
    headline). The speakers' retrospectives are left out: they are the speaker's view of the
    session, not evidence about the learners. Sessions with the most recent dates first.

    No viewer: the insights rollups are computed by the worker, which has none, and store
    only these counts for the dashboard's readers (``evidence_view`` is the page's check).
    """
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
