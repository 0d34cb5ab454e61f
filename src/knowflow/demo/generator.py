"""The demo organisation: a deterministic, realistic company to explore Knowflow with.

``demo_load(seed=…, size=…)`` builds the same people, circles, topics and sessions for the same
seed. Times are relative to "now" (rounded to the minute), so a demo loaded today and one
loaded next month both have a past with attendance and a future with open registrations.

Why it does not call the per-row services: the large demo writes a million registrations,
and a service call per row (each with its lock, count and checks) would take hours. Instead
the generator *plans* everything in memory, keeping the invariants the services guard true
by construction, then writes the rows with ``bulk_create`` in a single transaction:

- a room is never booked twice: rooms are booked on a grid of whole UTC hours, and an
  occurrence claims every hour cell it touches, so two occurrences that overlap in time
  always share a cell and the second one is refused;
- at most ``capacity`` people are going, and people wait only when it is full: the statuses
  of an occurrence's registrations are decided in request order, the first ``capacity``
  live ones going and the rest waitlisted;
- one registration per person and occurrence: registrants are sampled without replacement.

Only the five sign-in accounts go through ``person_create``, so that their users, passwords
and roles are made exactly the way the product makes them.

The stages live with their concept: ``organisation`` (topics, org units, offices, rooms, the
accounts, people, circles, skills), ``sessions`` (sessions and their dates), ``registrations``
(registrations and attendance), ``library`` (recordings and slides); ``stages`` holds what
they share and ``specification`` the sizes and accounts. This module runs them in order and
owns loading, deleting and counting the demo.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, models, transaction
from django.utils import timezone

from knowflow.accounts.models import ApiToken, Office, OrgUnit, Person, User
from knowflow.circles.models import Circle, Membership
from knowflow.conferences.models import Conference
from knowflow.demand.demo import demand_demo_load
from knowflow.demand.demo import demo_people as demand_demo_people
from knowflow.demo import vocabulary as V
from knowflow.demo.circles import demo_circles_load
from knowflow.demo.conferences import demo_call_load, demo_conference_load
from knowflow.demo.library import demo_resources_load
from knowflow.demo.organisation import OrganisationStages
from knowflow.demo.registrations import RegistrationStages
from knowflow.demo.sessions import SessionStages
from knowflow.demo.specification import ACCOUNTS, SIZES
from knowflow.events.models import Attendance, Occurrence, Registration, Room, Session
from knowflow.feedback.demo import feedback_demo_load
from knowflow.feedback.models import Response
from knowflow.library.models import Collection, Resource
from knowflow.topics.models import Topic


class DemoAlreadyLoaded(Exception):
    """The database already holds the demo (or other data) and no reset was asked for."""


@dataclass
class DemoSummary:
    """What was loaded: table counts, how long it took, and how to sign in."""

    size: str
    seed: int
    counts: dict[str, int]
    seconds: float
    accounts: list[tuple[str, str, str]]  # (username, password, what)

    def lines(self) -> list[str]:
        out = [
            f"Loaded the {self.size} demo organisation (seed {self.seed}) in {self.seconds:.1f} s:"
        ]
        out += [f"  {name:<14} {count:>10,}" for name, count in self.counts.items()]
        out.append("")
        out.append("Sign in at /accounts/login/ with:")
        out += [f"  {user:<9} / {password}   ({what})" for user, password, what in self.accounts]
        return out


def demo_is_loaded() -> bool:
    """True when the demo company exists: the marker ``knowflow demo`` checks before loading."""
    return OrgUnit.objects.filter(slug=V.COMPANY_SLUG).exists()


def organisation_is_empty() -> bool:
    return not (Person.objects.exists() or Session.objects.exists() or Topic.objects.exists())


def demo_delete() -> None:
    """Delete the demo organisation: every person, session, circle, topic, room and office.

    A demo database holds nothing else, so this empties the organisation. The big leaf tables
    are emptied with one DELETE each first; the ORM then deletes the rest so that rows other
    apps hang on people or sessions are cascaded the way their models say.
    """
    with transaction.atomic():
        # Conferences (with their tracks, talks and releases) hang on nothing the demo deletes.
        Conference.objects.all().delete()
        # Library rows only point at sessions (SET_NULL): they would outlive the demo.
        Collection.objects.all().delete()
        Resource.objects.all().delete()
        for model in (
            Attendance,
            Registration,
            Session.topics.through,
            Session.speakers.through,
            Person.skills.through,
            Membership,
        ):
            model.objects.all()._raw_delete(model.objects.db)  # type: ignore[attr-defined]
        Occurrence.objects.all().delete()
        Session.objects.all().delete()
        Circle.objects.all().delete()
        ApiToken.objects.all().delete()
        user_ids = list(Person.objects.exclude(user=None).values_list("user_id", flat=True))
        Person.objects.all().delete()
        User.objects.filter(pk__in=user_ids).delete()
        Room.objects.all().delete()
        Office.objects.all().delete()
        Topic.objects.all().delete()
        # Teams before divisions before the company: the tree protects parents.
        for kind in (OrgUnit.Kind.TEAM, OrgUnit.Kind.DIVISION, OrgUnit.Kind.COMPANY):
            OrgUnit.objects.filter(kind=kind).delete()
        OrgUnit.objects.all().delete()


@contextmanager
def _given_timestamps(*fields: models.DateTimeField) -> Iterator[None]:
    """Let bulk inserts keep the timestamps we set instead of "now".

    A demo where every session was created and every person joined in the same second makes
    "newest first" lists meaningless; the generator gives each row a plausible history.
    """
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _field(model: type[models.Model], name: str) -> models.DateTimeField:
    return model._meta.get_field(name)  # type: ignore[return-value]


class DemoGenerator(OrganisationStages, SessionStages, RegistrationStages):
    """Plans and writes one demo organisation, stage by stage. Use :func:`demo_load`."""

    def run(self) -> None:
        with transaction.atomic():
            self.make_topics()
            self.make_org_units()
            self.make_offices_and_rooms()
            # Through the real service, so the accounts are made the way the product makes them.
            self.make_accounts()
            with _given_timestamps(
                _field(Person, "created_at"),
                _field(Membership, "joined_at"),
                _field(Session, "created_at"),
                _field(Session, "updated_at"),
                _field(Occurrence, "created_at"),
                _field(Registration, "updated_at"),
                _field(Attendance, "recorded_at"),
            ):
                self.make_people()
                self.make_circles()
                self.make_skills()
                self.plan_sessions()
                self.plan_occurrences()
                self.involve_accounts()
                self.plan_registrations()
                self.write_sessions()
                self.write_registrations()


def demo_counts() -> dict[str, int]:
    return {
        "people": Person.objects.count(),
        "org units": OrgUnit.objects.count(),
        "offices": Office.objects.count(),
        "rooms": Room.objects.count(),
        "topics": Topic.objects.count(),
        "circles": Circle.objects.count(),
        "memberships": Membership.objects.count(),
        "sessions": Session.objects.count(),
        "occurrences": Occurrence.objects.count(),
        "registrations": Registration.objects.count(),
        "attendances": Attendance.objects.count(),
        "library resources": Resource.objects.count(),
        "survey responses": Response.objects.count(),
    }


def demo_load(
    *,
    seed: int = 42,
    size: str = "small",
    reset: bool = False,
    progress: bool = False,
    now: datetime | None = None,
    out: Callable[[str], None] = lambda line: None,
    with_feedback: bool = True,
) -> DemoSummary:
    """Load the demo organisation of ``size`` for ``seed`` into the database.

    Refuses (``DemoAlreadyLoaded``) when the demo is already there unless ``reset`` is given,
    which deletes it first; refuses always when the database holds other data, so a demo can
    never be mixed into, or wipe, a real organisation. Everything is written in one
    transaction: it loads completely or not at all.
    """
    import time as clock

    if size not in SIZES:
        raise ValueError(f"Unknown demo size '{size}'; use one of: {', '.join(SIZES)}.")
    started = clock.monotonic()
    if demo_is_loaded():
        if not reset:
            raise DemoAlreadyLoaded(
                "This database already holds the demo organisation. Run `knowflow demo --reset` "
                "to delete it and load it again."
            )
        out("Deleting the existing demo organisation…")
        demo_delete()
    elif not organisation_is_empty():
        raise DemoAlreadyLoaded(
            "This database holds people or sessions that are not the demo; the demo only loads "
            "into an empty database (set KNOWFLOW_DATA_DIR to a new directory)."
        )
    generator = DemoGenerator(
        seed=seed, size=SIZES[size], now=now or timezone.now(), progress=progress, out=out
    )
    generator.run()
    if size == "small":
        out("Adding recordings and slides to the library…")
        demo_resources_load(rng=random.Random(seed), now=generator.now)
    if size == "small":
        out("Asking for topics…")
        demand_demo_load(
            rng=random.Random(seed), now=generator.now, people_ids=demand_demo_people()
        )
    out("Giving circles their cadence, facilitators and lifecycle…")
    demo_circles_load(rng=random.Random(seed), now=generator.now)
    if size == "small":
        out("Planning DevDays, the internal conference…")
        demo_conference_load(rng=random.Random(seed), now=generator.now)
        demo_call_load(rng=random.Random(seed), now=generator.now)
    if with_feedback and size == "small":
        # Survey requests and answers through the feedback services themselves, so the results
        # pages have something to show. The large demo skips them: it measures the core pages.
        out("Answering surveys…")
        feedback_demo_load(rng=random.Random(seed), now=generator.now)
    # Fresh statistics for the query planner: after a bulk load the tables are far bigger than
    # what it last saw, and on SQLite, without them, it may pick a poor index for the pages.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return DemoSummary(
        size=size,
        seed=seed,
        counts=demo_counts(),
        seconds=clock.monotonic() - started,
        accounts=[(a.username, V.DEMO_PASSWORD, a.what) for a in ACCOUNTS],
    )
