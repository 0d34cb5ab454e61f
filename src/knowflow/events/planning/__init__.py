"""Find a time that works for a real audience: the bridge from people to the pure scheduler.

The audience (a circle, an org unit, the people with a skill, named people, and the speakers,
who are required) becomes a list of ``scheduling.Invitee``: their IANA zone, their weekly
working hours, their busy time (occurrences they are going to or speak at inside the window)
and a weight (3 for a speaker, 1 for the audience). Everything else — exact coverage, repeats,
the fair rotation, the explanations — is computed by ``knowflow.scheduling``.

Everything an organiser reads is in their own zone: the series' first date is the local date
they chose (DST-correct, not the UTC date of their midnight), the proposals are spread one per
local day, and nothing is proposed before the lead time (``KNOWFLOW_PLANNING_LEAD_WORKING_DAYS``
working days). Speakers are required in the series too. Who is busy or off, and why, is shown
only to those ``events.permissions.can_see_availability_of`` allows; others see counts.

A request must answer well inside the web server's timeout whatever the audience and series
asked for, so the solvers share one time budget (``KNOWFLOW_PLANNING_TIME_BUDGET_SECONDS``);
a plan that the budget stopped before a proof is shown as the best found, not as the best.

One module per concept: who the audience is and when they are busy (``audience``), which
rooms suit a time (``rooms``), single proposals, repeats and the heat map (``proposals``), the
fair series and its trade-off curve (``series``), the request that puts them together
(``find``), and creating the chosen dates (``services``).
"""

from __future__ import annotations

from knowflow.errors import DomainError


class PlanningError(DomainError):
    """A planning request that cannot be answered as asked; the message says why."""
