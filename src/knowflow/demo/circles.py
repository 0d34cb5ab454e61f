"""The demo's circles in every state, with cadences, facilitators and their lifecycle computed.

The organisation's twelve circles get a cadence each and one facilitator, and their state is
computed from their health (forming, active or dormant) the way the worker computes it, but
without the quiet prompts: a freshly loaded demo should not open with a pile of emails. Four
more circles show the rest of a circle's life: a grassroots one the member account started ten
days ago (forming), one that went quiet a year ago (dormant), one sunset with its history, and
one waiting for an enabler's approval (proposed by the speaker account).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.db import transaction

from knowflow.accounts.models import Person
from knowflow.circlehealth.health import circles_health
from knowflow.circles.lifecycle import COMPUTED_STATES, lifecycle_state
from knowflow.circles.models import Circle, Membership
from knowflow.demo.specification import ACCOUNTS

CADENCES = (
    Circle.Cadence.MONTHLY,
    Circle.Cadence.FORTNIGHTLY,
    Circle.Cadence.WEEKLY,
    Circle.Cadence.MONTHLY,
    Circle.Cadence.QUARTERLY,
)


def _add(
    *,
    name: str,
    mission: str,
    scope: str,
    cadence: str,
    state: str,
    started: datetime,
    champion: Person,
    members: list[Person],
    changed: datetime,
) -> Circle:
    circle = Circle.objects.create(
        name=name,
        slug=name.lower().replace(" ", "-"),
        mission=mission,
        scope=scope,
        cadence=cadence,
        state=state,
        state_changed_at=changed,
        started_at=None if state == Circle.State.PROPOSED else started,
        proposed_by=champion,
    )
    Circle.objects.filter(pk=circle.pk).update(created_at=started)
    Membership.objects.create(circle=circle, person=champion, role=Membership.Role.CHAMPION)
    Membership.objects.bulk_create(
        [Membership(circle=circle, person=p) for p in members if p.pk != champion.pk]
    )
    Membership.objects.filter(circle=circle).update(joined_at=started)
    return circle


@transaction.atomic
def demo_circles_load(*, rng: random.Random, now: datetime) -> None:
    """Cadences, facilitators and states for the demo's circles, and four circles more."""
    circles = list(Circle.objects.order_by("pk"))
    for index, circle in enumerate(circles):
        circle.cadence = CADENCES[index % len(CADENCES)]
        circle.started_at = now - timedelta(days=730)
        circle.proposed_by = None
    Circle.objects.bulk_update(circles, ["cadence", "started_at", "proposed_by"])
    for circle in circles:
        candidates = list(
            Membership.objects.filter(circle=circle, role=Membership.Role.MEMBER)
            .order_by("person_id")
            .values_list("pk", flat=True)[:50]
        )
        if candidates:
            Membership.objects.filter(pk=rng.choice(candidates)).update(
                role=Membership.Role.FACILITATOR
            )

    accounts = [account.username for account in ACCOUNTS]
    people = list(Person.objects.exclude(user__username__in=accounts).order_by("pk")[:200])
    member = Person.objects.get(user__username="member")
    speaker = Person.objects.get(user__username="speaker")
    _add(
        name="Rust Curious",
        mission="We try Rust on small internal tools and share what we learn.",
        scope="Rust for command-line tools and services; not embedded work.",
        cadence=Circle.Cadence.FORTNIGHTLY,
        state=Circle.State.FORMING,
        started=now - timedelta(days=10),
        changed=now - timedelta(days=10),
        champion=member,
        members=rng.sample(people, 1),
    )
    _add(
        name="Elixir Circle",
        mission="We run Elixir in production and help each other with the BEAM.",
        scope="Elixir, Phoenix and OTP.",
        cadence=Circle.Cadence.MONTHLY,
        state=Circle.State.DORMANT,
        started=now - timedelta(days=500),
        changed=now - timedelta(days=380),
        champion=people[0],
        members=rng.sample(people, 7),
    )
    _add(
        name="Mobile Guild",
        mission="We built the first mobile apps together; the work now lives in the "
        "Frontend Chapter.",
        scope="iOS and Android native development.",
        cadence=Circle.Cadence.MONTHLY,
        state=Circle.State.SUNSET,
        started=now - timedelta(days=900),
        changed=now - timedelta(days=60),
        champion=people[1],
        members=rng.sample(people, 14),
    )
    _add(
        name="Green Software Circle",
        mission="We measure and cut the energy our software uses.",
        scope="Carbon-aware scheduling, efficient code, cloud footprint.",
        cadence=Circle.Cadence.MONTHLY,
        state=Circle.State.PROPOSED,
        started=now - timedelta(days=2),
        changed=now - timedelta(days=2),
        champion=speaker,
        members=[],
    )

    computed = list(Circle.objects.filter(state__in=COMPUTED_STATES).order_by("pk"))
    health = circles_health(circles=computed, now=now)
    for circle in computed:
        figures = health[circle.pk]
        circle.state = lifecycle_state(
            cadence=circle.cadence,
            member_count=figures.member_count,
            sessions_held=figures.sessions_held,
            last_activity=figures.last_activity,
            now=now,
        )
        circle.state_changed_at = now
    Circle.objects.bulk_update(computed, ["state", "state_changed_at"])
