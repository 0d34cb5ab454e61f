"""A speaker's own view: the sessions they gave, and each date's results over time."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Max, Sum
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.anonymity.partition import visible_cells
from knowflow.errors import Forbidden
from knowflow.events.models import Occurrence, Session
from knowflow.feedback.models import (
    TALLY_COLUMNS,
    Kind,
    ResponseTally,
)
from knowflow.feedback.selectors.anonymity import min_group


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


def sessions_given_with_feedback(*, person: Person, limit: int = 10) -> list[Session]:
    """The sessions this person spoke at that have happened, latest first, each with
    `last_end` (when it was last given): the home page links each to its results."""
    return list(
        Session.objects.filter(speakers=person, occurrences__end__lte=timezone.now())
        .exclude(status=Session.Status.CANCELLED)
        .annotate(last_end=Max("occurrences__end"))
        .order_by("-last_end", "id")[:limit]
    )
