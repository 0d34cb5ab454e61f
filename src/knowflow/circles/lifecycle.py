"""When a circle is forming, active or dormant: the rule, over numbers its health gives.

The rule (docs/circles.md says it to users):

- a circle is *formed* once it has at least ``FORMED_MIN_MEMBERS`` members and has held its
  first session; until then it is **forming**;
- it is **dormant** when nothing has happened for ``QUIET_PERIODS`` of its cadence's periods
  (three weeks for a weekly circle, three months for a monthly one): no session held or
  scheduled, nobody joined, no resource added, and it was not started or revived in that time;
- otherwise a formed circle is **active**.

Proposed, declined and sunset circles are decided by people (an enabler, a champion), never by
this rule. The decision is a plain function of its inputs, so the periodic pass that applies it
(`knowflow.circlehealth.tasks`) can run any number of times with the same result.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from knowflow.circles.models import Circle

FORMED_MIN_MEMBERS = 3
QUIET_PERIODS = 3
CADENCE_PERIOD: dict[str, timedelta] = {
    Circle.Cadence.WEEKLY: timedelta(days=7),
    Circle.Cadence.FORTNIGHTLY: timedelta(days=14),
    Circle.Cadence.MONTHLY: timedelta(days=30),
    Circle.Cadence.QUARTERLY: timedelta(days=91),
}
# States the periodic pass may change; the others are people's decisions.
COMPUTED_STATES = (Circle.State.FORMING, Circle.State.ACTIVE, Circle.State.DORMANT)


def quiet_after(cadence: str) -> timedelta:
    """How long without activity before a circle of this cadence counts as dormant."""
    return QUIET_PERIODS * CADENCE_PERIOD[cadence]


def lifecycle_state(
    *,
    cadence: str,
    member_count: int,
    sessions_held: int,
    last_activity: datetime,
    now: datetime,
) -> str:
    """The state the rule gives a circle (forming, active or dormant)."""
    if now - last_activity > quiet_after(cadence):
        return Circle.State.DORMANT
    if member_count >= FORMED_MIN_MEMBERS and sessions_held >= 1:
        return Circle.State.ACTIVE
    return Circle.State.FORMING
