"""The dates whose results a session's results page shows, with their standards: the blocks
that figures across sessions (insights' "What works") may add up.

A session's results page cut by date shows a date only when it is a visible cell of the
session's split by date (rule 3, `knowflow.anonymity.partition.visible_cells`). Any sum of
such cells — over a period, a region, a format, a topic — is a sum of figures that are
already shown one by one, and every cell holds at least k responses, so no two sums can be
subtracted to single out fewer than k people (rule 4 in `anonymity`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Sum

from knowflow.anonymity.partition import visible_cells
from knowflow.feedback.models import Kind, ResponseTally, Standard
from knowflow.feedback.selectors.anonymity import min_group


@dataclass(frozen=True)
class DateResults:
    """A date's after-session responses and its judged answers by standard."""

    occurrence_id: int
    session_id: int
    responses: int
    unacceptable: int
    acceptable: int
    superior: int

    @property
    def judged(self) -> int:
        return self.unacceptable + self.acceptable + self.superior

    def count(self, standard: str) -> int:
        return int(getattr(self, standard))


def date_results_shown(
    *, session_ids: Any, kind: str = Kind.AFTER_SESSION
) -> dict[int, DateResults]:
    """The dates of ``session_ids`` (ids, or a query of ids) whose results their session's page
    shows, by occurrence id. One query; every date of those sessions takes part in its
    session's split, whether or not the caller counts it, as on the results page."""
    rows = (
        ResponseTally.objects.filter(kind=kind, occurrence__session_id__in=session_ids)
        .values_list("occurrence_id", "occurrence__session_id")
        .annotate(
            n=Sum("responses"),
            u=Sum(Standard.UNACCEPTABLE.value),
            a=Sum(Standard.ACCEPTABLE.value),
            s=Sum(Standard.SUPERIOR.value),
        )
        .order_by()
    )
    by_session: dict[int, dict[int, DateResults]] = defaultdict(dict)
    for occurrence_id, session_id, n, u, a, s in rows:
        by_session[session_id][occurrence_id] = DateResults(
            occurrence_id=occurrence_id,
            session_id=session_id,
            responses=int(n or 0),
            unacceptable=int(u or 0),
            acceptable=int(a or 0),
            superior=int(s or 0),
        )
    k = min_group()
    shown: dict[int, DateResults] = {}
    for dates in by_session.values():
        for occurrence_id in visible_cells({o: d.responses for o, d in dates.items()}, k=k):
            shown[occurrence_id] = dates[occurrence_id]
    return shown
