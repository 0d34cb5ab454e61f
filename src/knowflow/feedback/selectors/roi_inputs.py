"""What the ROI workspace (insights) reads from feedback: the hours-saved follow-up claims."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Count, Q

from knowflow.feedback.models import (
    Answer,
    Kind,
    SurveyRequest,
)
from knowflow.feedback.selectors.anonymity import min_group

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
