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
"""

from __future__ import annotations

import math
import random
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.text import slugify
from tqdm import tqdm

from knowflow.accounts.models import ApiToken, Office, OrgUnit, Person, User
from knowflow.accounts.services import person_create
from knowflow.circles.models import Circle, Membership
from knowflow.demo import vocabulary as V
from knowflow.events.models import Attendance, Occurrence, Registration, Room, Session
from knowflow.feedback.demo import feedback_demo_load
from knowflow.feedback.models import Response
from knowflow.library.models import Collection, Resource
from knowflow.topics.models import Topic

BATCH = 2000
FORMATS: tuple[tuple[str, int, int], ...] = (
    # (format, weight, minutes)
    (Session.Format.TALK, 34, 45),
    (Session.Format.WORKSHOP, 12, 120),
    (Session.Format.LIGHTNING, 14, 15),
    (Session.Format.DEMO, 12, 30),
    (Session.Format.PANEL, 8, 60),
    (Session.Format.AMA, 8, 45),
    (Session.Format.COURSE_MODULE, 12, 90),
)
LEVELS: tuple[tuple[str, int], ...] = (
    (Session.Level.INTRODUCTORY, 5),
    (Session.Level.INTERMEDIATE, 4),
    (Session.Level.ADVANCED, 2),
)
SESSION_LANGUAGES = {"de", "es", "pt", "ja", "pl", "ko", "zh", "sv", "tr", "hi"}


class DemoAlreadyLoaded(Exception):
    """The database already holds the demo (or other data) and no reset was asked for."""


@dataclass(frozen=True)
class DemoSize:
    name: str
    people: int
    sessions: int
    registrations: int
    rooms_per_office: int
    past_days: int
    future_days: int
    upcoming_share: float  # share of occurrences that are still to come
    speaker_share: float  # share of people who ever speak


SIZES: dict[str, DemoSize] = {
    "small": DemoSize("small", 300, 250, 5_000, 3, 150, 60, 0.4, 0.25),
    "large": DemoSize("large", 20_000, 50_000, 1_000_000, 6, 720, 120, 0.2, 0.15),
}


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    display_name: str
    zone: str
    what: str


ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount(
        "admin",
        Person.Role.ADMIN,
        "Nomvula Dlamini",
        "Africa/Johannesburg",
        "admin: users, roles, settings and the Django admin",
    ),
    DemoAccount(
        "enabler",
        Person.Role.ENABLER,
        "Jonas Hartmann",
        "Europe/Berlin",
        "enabler: manages all sessions, circles and rooms",
    ),
    DemoAccount(
        "speaker",
        Person.Role.MEMBER,
        "Priya Venkatesh",
        "Asia/Kolkata",
        "speaker: gives past and upcoming sessions",
    ),
    DemoAccount(
        "member",
        Person.Role.MEMBER,
        "Oliver Turner",
        "Australia/Sydney",
        "member: in three circles, registered for upcoming sessions",
    ),
    # Last, so that the accounts above draw the same org units from the seed as before.
    DemoAccount(
        "leader",
        Person.Role.LEADER,
        "Renata Alves",
        "America/Sao_Paulo",
        "leader: reads the insights, ROI studies and programme feedback",
    ),
)


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


def _weighted(rng: random.Random, items: list[Any], weights: list[float]) -> Any:
    return rng.choices(items, weights=weights, k=1)[0]


@dataclass
class _PlannedOccurrence:
    session: int  # index into sessions
    start: datetime
    end: datetime
    room: int | None  # index into rooms
    online: bool
    capacity: int
    upcoming: bool
    registrants: int = 0
    forced: list[int] = field(default_factory=list)  # person ids who must be going


@dataclass
class _PlannedSession:
    title: str
    slug: str
    abstract: str
    format: str
    level: str
    language: str
    topics: list[int]  # topic ids
    speakers: list[int]  # person ids
    circle: int | None  # circle id
    status: str
    proposed_by: int
    created_at: datetime
    occurrences: list[int] = field(default_factory=list)


class DemoGenerator:
    """Plans and writes one demo organisation. Use :func:`demo_load`."""

    def __init__(
        self,
        *,
        seed: int,
        size: DemoSize,
        now: datetime,
        progress: bool,
        out: Callable[[str], None],
    ) -> None:
        self.seed = seed
        self.size = size
        self.now = now.replace(second=0, microsecond=0)
        self.progress = progress
        self.out = out
        self.taken_slugs: set[str] = set()

    # --- small tools ------------------------------------------------------------------------

    def rng(self, stage: str) -> random.Random:
        # One stream per stage: changing how many draws one stage makes leaves the others
        # (and so most of the organisation) the same for a given seed.
        return random.Random(f"knowflow-demo:{self.seed}:{stage}")

    def bar(self, iterable: Iterable[Any], *, total: int, desc: str) -> Iterable[Any]:
        if not self.progress:
            return iterable
        return tqdm(iterable, total=total, desc=desc, unit="row", file=sys.stderr, mininterval=0.5)

    def unique_slug(self, text: str, *, max_length: int) -> str:
        """A slug no earlier row has, computed in memory (no query per row)."""
        root = (slugify(text) or "item")[: max_length - 8]
        slug, n = root, 1
        while slug in self.taken_slugs:
            n += 1
            slug = f"{root}-{n}"
        self.taken_slugs.add(slug)
        return slug

    # --- the whole organisation ---------------------------------------------------------------

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

    def make_topics(self) -> None:
        self.topic_ids: dict[str, int] = {}
        self.topic_parent: dict[int, int | None] = {}
        parents = Topic.objects.bulk_create(
            Topic(
                name=group[0][0],
                slug=slugify(group[0][0]),
                synonyms=list(group[0][1]),
                description=f"Everything about {group[0][0].lower()}.",
            )
            for group in V.TOPIC_GROUPS
        )
        children: list[Topic] = []
        for parent, group in zip(parents, V.TOPIC_GROUPS, strict=True):
            self.topic_ids[parent.name] = parent.pk
            self.topic_parent[parent.pk] = None
            children += [
                Topic(
                    name=name,
                    slug=slugify(name),
                    synonyms=list(synonyms),
                    parent=parent,
                    description=f"{name}: part of {parent.name.lower()}.",
                )
                for name, synonyms in group[1:]
            ]
        for child in Topic.objects.bulk_create(children):
            self.topic_ids[child.name] = child.pk
            self.topic_parent[child.pk] = child.parent_id
        # Sessions and skills are mostly about the specific topics, not the umbrella ones.
        self.leaf_topics = [pk for pk, parent in self.topic_parent.items() if parent is not None]
        self.siblings: dict[int, list[int]] = {}
        for pk, parent in self.topic_parent.items():
            if parent is not None:
                self.siblings.setdefault(parent, []).append(pk)

    def make_org_units(self) -> None:
        company = OrgUnit.objects.create(
            name=V.COMPANY_NAME, slug=V.COMPANY_SLUG, kind=OrgUnit.Kind.COMPANY
        )
        divisions = OrgUnit.objects.bulk_create(
            OrgUnit(name=name, slug=slugify(name), kind=OrgUnit.Kind.DIVISION, parent=company)
            for name in V.DIVISIONS
        )
        teams = OrgUnit.objects.bulk_create(
            OrgUnit(name=team, slug=slugify(team), kind=OrgUnit.Kind.TEAM, parent=division)
            for division, name in zip(divisions, V.DIVISIONS, strict=True)
            for team in V.DIVISIONS[name]
        )
        self.team_ids = [team.pk for team in teams]
        self.support_team = next(team.pk for team in teams if team.name == "Support")

    def make_offices_and_rooms(self) -> None:
        zone_of_office = {place.office: place.zone for place in V.PLACES if place.office}
        offices = Office.objects.bulk_create(
            Office(
                name=name,
                slug=slugify(name),
                city=city,
                country=country,
                timezone=zone_of_office[name],
            )
            for name, (city, country) in V.OFFICES.items()
        )
        self.office_ids = {office.name: office.pk for office in offices}
        rooms = Room.objects.bulk_create(
            Room(office=office, name=name, capacity=capacity)
            for office in offices
            for name, capacity in V.ROOMS[: self.size.rooms_per_office]
        )
        self.rooms = [(room.pk, room.office_id, room.capacity) for room in rooms]
        self.office_zone = {office.pk: ZoneInfo(office.timezone) for office in offices}
        self.rooms_of_office: dict[int, list[int]] = {}
        for index, (_, office_id, _) in enumerate(self.rooms):
            self.rooms_of_office.setdefault(office_id, []).append(index)

    def make_accounts(self) -> None:
        rng = self.rng("accounts")
        place_of_zone = {place.zone: place for place in V.PLACES}
        self.accounts: dict[str, Person] = {}
        for account in ACCOUNTS:
            place = place_of_zone[account.zone]
            culture = place.cultures[0]
            person = person_create(
                display_name=account.display_name,
                username=account.username,
                password=V.DEMO_PASSWORD,
                email=f"{account.username}@{V.EMAIL_DOMAIN}",
                role=account.role,
                timezone_name=account.zone,
                office=Office.objects.get(pk=self.office_ids[place.office])
                if place.office
                else None,
                org_unit=OrgUnit.objects.get(pk=rng.choice(self.team_ids)),
                languages=["en"]
                if V.LANGUAGE_OF_CULTURE[culture] == "en"
                else ["en", V.LANGUAGE_OF_CULTURE[culture]],
            )
            self.taken_slugs.add(person.slug)
            self.accounts[account.username] = person

    def make_people(self) -> None:
        rng = self.rng("people")
        places = list(V.PLACES)
        weights = [place.weight for place in places]
        cultures = sorted(V.NAMES)
        count = self.size.people - len(ACCOUNTS)
        people: list[Person] = []
        self.person_zone: dict[int, str] = {}
        self.person_office: dict[int, int | None] = {}
        self.person_language: dict[int, str] = {}
        for person in self.accounts.values():
            self.person_zone[person.pk] = person.timezone
            self.person_office[person.pk] = person.office_id
            self.person_language[person.pk] = person.languages[-1]
        default_hours = [["09:00", "17:00"]] * 5 + [None, None]
        for n in self.bar(range(count), total=count, desc="people"):
            # Every place gets somebody, then people spread by the places' weights.
            place = places[n] if n < len(places) else _weighted(rng, places, weights)
            culture = rng.choice(place.cultures) if rng.random() < 0.8 else rng.choice(cultures)
            first_names, last_names = V.NAMES[culture]
            name = f"{rng.choice(first_names)} {rng.choice(last_names)}"
            team = rng.choice(self.team_ids)
            roll = rng.random()
            if place.zone == "Asia/Jerusalem":
                hours: list[Any] = [["09:00", "17:00"]] * 4 + [None, None, ["09:00", "17:00"]]
            elif n == len(places) or (team == self.support_team and roll < 0.3):
                # Follow-the-sun support works nights; the window crosses midnight.
                hours = [["22:00", "06:00"]] * 5 + [None, None]
            elif roll < 0.08:
                hours = [["08:00", "16:00"]] * 5 + [None, None]
            elif roll < 0.13:
                hours = [["10:00", "18:00"]] * 5 + [None, None]
            elif roll < 0.16:
                hours = [["09:00", "13:00"]] * 5 + [None, None]  # part-time mornings
            else:
                hours = default_hours
            language = V.LANGUAGE_OF_CULTURE[culture]
            slug = self.unique_slug(name, max_length=160)
            people.append(
                Person(
                    display_name=name,
                    slug=slug,
                    email=f"{slug}@{V.EMAIL_DOMAIN}",
                    role=Person.Role.ENABLER if rng.random() < 0.01 else Person.Role.MEMBER,
                    timezone=place.zone,
                    working_hours=hours,
                    office_id=self.office_ids[place.office]
                    if place.office and rng.random() < 0.85
                    else None,
                    org_unit_id=team,
                    languages=["en"] if language == "en" else ["en", language],
                    created_at=self.now
                    - timedelta(days=rng.randint(30, 2000), minutes=rng.randint(0, 1439)),
                )
            )
        created: list[Person] = []
        for start in range(0, len(people), BATCH):
            created += Person.objects.bulk_create(people[start : start + BATCH])
        for person in created:
            self.person_zone[person.pk] = person.timezone
            self.person_office[person.pk] = person.office_id
            self.person_language[person.pk] = person.languages[-1]
        self.people_ids = [p.pk for p in self.accounts.values()] + [p.pk for p in created]
        self.bulk_people_ids = [p.pk for p in created]

    def make_circles(self) -> None:
        rng = self.rng("circles")
        circles = Circle.objects.bulk_create(
            Circle(
                name=spec.name,
                slug=slugify(spec.name),
                mission=(
                    f"We {spec.purpose}.\n\n"
                    f"- Monthly sessions on {', '.join(spec.topics[:-1]) or spec.topics[0]}"
                    f"{' and ' + spec.topics[-1] if len(spec.topics) > 1 else ''}\n"
                    "- A shared reading list and office hours\n"
                    "- Everyone is welcome to propose a session"
                    + (
                        "\n\n*Membership by invitation from a champion.*"
                        if spec.invite_only
                        else ""
                    )
                ),
                visibility=Circle.Visibility.INVITE_ONLY
                if spec.invite_only
                else Circle.Visibility.OPEN,
            )
            for spec in V.CIRCLES
        )
        self.circle_ids = [c.pk for c in circles]
        self.circle_topics: dict[int, list[int]] = {}
        through = Circle.topics.through
        links = []
        for circle, spec in zip(circles, V.CIRCLES, strict=True):
            self.circle_topics[circle.pk] = [self.topic_ids[t] for t in spec.topics]
            links += [
                through(circle_id=circle.pk, topic_id=t) for t in self.circle_topics[circle.pk]
            ]
        through.objects.bulk_create(links)
        self.circles_of_topic: dict[int, list[int]] = {}
        for circle_id, topic_ids in self.circle_topics.items():
            for topic_id in topic_ids:
                self.circles_of_topic.setdefault(topic_id, []).append(circle_id)

        self.members_of: dict[int, list[int]] = {c: [] for c in self.circle_ids}
        memberships: list[Membership] = []
        member = self.accounts["member"].pk
        speaker = self.accounts["speaker"].pk
        # The member is in two open circles and one invite-only one, so "for you" has content.
        special = {
            member: [self.circle_ids[0], self.circle_ids[4], self.circle_ids[3]],
            speaker: [self.circle_ids[2], self.circle_ids[0]],
        }
        for person_id in self.people_ids:
            if person_id in special:
                chosen = special[person_id]
            else:
                k = _weighted(rng, [0, 1, 2, 3], [30, 35, 25, 10])
                chosen = rng.sample(self.circle_ids, k)
            for circle_id in chosen:
                self.members_of[circle_id].append(person_id)
        for circle_id, members in self.members_of.items():
            champions = set(rng.sample(members, min(3, max(1, len(members) // 40 + 1))))
            if circle_id == self.circle_ids[2]:
                champions.add(speaker)
            memberships += [
                Membership(
                    circle_id=circle_id,
                    person_id=person_id,
                    role=Membership.Role.CHAMPION
                    if person_id in champions
                    else Membership.Role.MEMBER,
                    joined_at=self.now
                    - timedelta(days=rng.randint(1, 700), minutes=rng.randint(0, 1439)),
                )
                for person_id in members
            ]
        for start in range(0, len(memberships), BATCH):
            Membership.objects.bulk_create(memberships[start : start + BATCH])

    def make_skills(self) -> None:
        rng = self.rng("skills")
        through = Person.skills.through
        member = self.accounts["member"].pk
        self.skills_of: dict[int, list[int]] = {}
        rows = []
        for person_id in self.people_ids:
            if person_id == member:
                chosen = [
                    self.topic_ids[t] for t in ("Python", "Kubernetes", "Testing", "Observability")
                ]
            else:
                chosen = rng.sample(
                    self.leaf_topics, _weighted(rng, [0, 1, 2, 3, 4], [10, 25, 30, 20, 15])
                )
            self.skills_of[person_id] = chosen
            rows += [through(person_id=person_id, topic_id=t) for t in chosen]
        for start in range(0, len(rows), BATCH * 2):
            through.objects.bulk_create(rows[start : start + BATCH * 2])

    # --- sessions -------------------------------------------------------------------------------

    def title_for(self, rng: random.Random, fmt: str, topic: str) -> str:
        angle, audience = rng.choice(V.ANGLES), rng.choice(V.AUDIENCES)
        if fmt == Session.Format.WORKSHOP:
            options = [
                f"Hands-on {topic}: {angle}",
                f"{topic} workshop for {audience}",
                f"Build it together: {topic} {angle}",
            ]
        elif fmt == Session.Format.LIGHTNING:
            options = [
                f"{rng.randint(3, 7)} {topic} tricks in 15 minutes",
                f"Lightning: {topic} {angle}",
                f"One {topic} idea for {audience}",
            ]
        elif fmt == Session.Format.PANEL:
            options = [f"Panel: the future of {topic}", f"Panel: {topic} for {audience}"]
        elif fmt == Session.Format.AMA:
            options = [f"Ask me anything: {topic}", f"AMA with our {topic} experts"]
        elif fmt == Session.Format.COURSE_MODULE:
            n = rng.randint(1, len(V.CHAPTERS))
            options = [f"{topic} course, module {n}: {V.CHAPTERS[n - 1]}"]
        elif fmt == Session.Format.DEMO:
            options = [
                f"Demo: {topic} in {rng.choice(V.TEAM_CONTEXTS)}",
                f"Live demo: {topic} {angle}",
            ]
        else:
            before, after = rng.choice(V.JOURNEYS)
            options = [
                f"{topic} in practice: {angle}",
                f"From {before} to {after}: our {topic} journey",
                f"A gentle introduction to {topic}",
                f"{topic} for {audience}",
                f"What {rng.choice(V.TEAM_CONTEXTS)} learned about {topic}",
                f"Fixing {rng.choice(V.PROBLEMS)} with {topic}",
            ]
        return rng.choice(options)

    def abstract_for(self, rng: random.Random, fmt: str, topic: str, level: str) -> str:
        def fill(text: str) -> str:
            return text.format(
                topic=topic, context=rng.choice(V.TEAM_CONTEXTS), problem=rng.choice(V.PROBLEMS)
            )

        opener = fill(rng.choice(V.OPENERS))
        opener = opener[0].upper() + opener[1:]
        takeaways = [fill(t) for t in rng.sample(V.TAKEAWAYS, 3)]
        audience = rng.sample(V.AUDIENCES, 2)
        return (
            f"{opener} {rng.choice(V.MIDDLES)}\n\n"
            "**What you will take away**\n\n"
            + "".join(f"- {t[0].upper()}{t[1:]}\n" for t in takeaways)
            + f"\n*Who it is for:* {audience[0]} and {audience[1]}; level: {level}.\n\n"
            + V.FORMAT_NOTES[fmt]
        )

    def plan_sessions(self) -> None:
        rng = self.rng("sessions")
        count = self.size.sessions
        speakers_pool = rng.sample(
            self.bulk_people_ids, max(4, int(len(self.bulk_people_ids) * self.size.speaker_share))
        )
        # Experts speak again and again: a few people give many sessions.
        pool_weights = [1.0 / (1 + i) ** 0.6 for i in range(len(speakers_pool))]
        enablers = [self.accounts["enabler"].pk]
        topic_name = {pk: name for name, pk in self.topic_ids.items()}
        fmt_names = [f for f, _, _ in FORMATS]
        fmt_weights = [w for _, w, _ in FORMATS]
        self.minutes = {f: m for f, _, m in FORMATS}
        self.sessions: list[_PlannedSession] = []
        for _ in range(count):
            fmt = _weighted(rng, fmt_names, fmt_weights)
            level = _weighted(rng, [lv for lv, _ in LEVELS], [w for _, w in LEVELS])
            topic = rng.choice(self.leaf_topics)
            topics = [topic]
            extra = rng.random()
            if extra < 0.35:
                topics.append(rng.choice(self.siblings[self.topic_parent[topic]]))  # type: ignore[index]
            elif extra < 0.5:
                topics.append(self.topic_parent[topic])  # type: ignore[arg-type]
            topics = list(dict.fromkeys(topics))
            n_speakers = (
                rng.randint(3, 4)
                if fmt == Session.Format.PANEL
                else _weighted(rng, [1, 2], [80, 20])
            )
            speakers: list[int] = []
            while len(speakers) < n_speakers:
                candidate = rng.choices(speakers_pool, weights=pool_weights, k=1)[0]
                if candidate not in speakers:
                    speakers.append(candidate)
            lead_language = self.person_language[speakers[0]]
            language = (
                lead_language
                if lead_language in SESSION_LANGUAGES and rng.random() < 0.25
                else "en"
            )
            circles = self.circles_of_topic.get(topic, [])
            circle = rng.choice(circles) if circles and rng.random() < 0.7 else None
            title = self.title_for(rng, fmt, topic_name[topic])
            roll = rng.random()
            status = (
                Session.Status.PROPOSED
                if roll < 0.08
                else Session.Status.CANCELLED
                if roll < 0.11
                else Session.Status.SCHEDULED
            )
            self.sessions.append(
                _PlannedSession(
                    title=title,
                    slug=self.unique_slug(title, max_length=220),
                    abstract=self.abstract_for(rng, fmt, topic_name[topic], level),
                    format=fmt,
                    level=level,
                    language=language,
                    topics=topics,
                    speakers=speakers,
                    circle=circle,
                    status=status,
                    proposed_by=speakers[0] if rng.random() < 0.85 else rng.choice(enablers),
                    created_at=self.now
                    - timedelta(days=rng.randint(0, 90), minutes=rng.randint(0, 1439)),
                )
            )

    def plan_occurrences(self) -> None:
        rng = self.rng("occurrences")
        utc = UTC
        booked: set[tuple[int, int]] = set()  # (room index, UTC hour since the epoch)
        self.occurrences: list[_PlannedOccurrence] = []
        office_ids = list(self.office_zone)
        for s_index, session in enumerate(
            self.bar(self.sessions, total=len(self.sessions), desc="occurrences")
        ):
            if session.status == Session.Status.PROPOSED:
                continue
            n = (
                1
                if session.status == Session.Status.CANCELLED
                else _weighted(rng, [1, 2, 3], [70, 20, 10])
            )
            minutes = self.minutes[session.format]
            if session.format == Session.Format.WORKSHOP and rng.random() < 0.3:
                minutes = 180
            any_upcoming = False
            first_start: datetime | None = None
            for _ in range(n):
                upcoming = (
                    session.status == Session.Status.CANCELLED
                    or rng.random() < self.size.upcoming_share
                )
                mode = _weighted(rng, ["room", "online", "hybrid"], [40, 30, 30])
                if session.format == Session.Format.WORKSHOP and mode == "online":
                    mode = "hybrid"
                planned: _PlannedOccurrence | None = None
                if mode != "online":
                    speaker_office = self.person_office.get(session.speakers[0])
                    for _attempt in range(12):
                        office = (
                            speaker_office
                            if speaker_office and rng.random() < 0.7
                            else rng.choice(office_ids)
                        )
                        zone = self.office_zone[office]
                        start = self._local_start(rng, zone, upcoming, minutes)
                        end = start + timedelta(minutes=minutes)
                        room = rng.choice(self.rooms_of_office[office])
                        cells = range(
                            int(start.timestamp()) // 3600, math.ceil(end.timestamp() / 3600)
                        )
                        if any((room, cell) in booked for cell in cells):
                            continue
                        booked.update((room, cell) for cell in cells)
                        room_capacity = self.rooms[room][2]
                        capacity = (
                            room_capacity
                            if rng.random() < 0.6
                            else max(4, int(room_capacity * rng.uniform(0.5, 1)))
                        )
                        if mode == "hybrid":
                            capacity += rng.choice([20, 50, 100])
                        planned = _PlannedOccurrence(
                            s_index, start, end, room, mode == "hybrid", capacity, upcoming
                        )
                        break
                if planned is None:  # online, or no free room found: run it online
                    zone = ZoneInfo(self.person_zone[session.speakers[0]])
                    start = self._local_start(rng, zone, upcoming, minutes)
                    planned = _PlannedOccurrence(
                        s_index,
                        start,
                        start + timedelta(minutes=minutes),
                        None,
                        True,
                        rng.choice([30, 50, 100, 200, 500]),
                        upcoming,
                    )
                planned.start, planned.end = (
                    planned.start.astimezone(utc),
                    planned.end.astimezone(utc),
                )
                session.occurrences.append(len(self.occurrences))
                self.occurrences.append(planned)
                any_upcoming = any_upcoming or upcoming
                first_start = (
                    planned.start if first_start is None else min(first_start, planned.start)
                )
            if session.status != Session.Status.CANCELLED:
                session.status = Session.Status.SCHEDULED if any_upcoming else Session.Status.DONE
            if first_start is not None:
                # Proposed a few weeks before it first ran, and never in the future.
                session.created_at = min(
                    self.now - timedelta(minutes=rng.randint(60, 600)),
                    first_start - timedelta(days=rng.randint(7, 60), minutes=rng.randint(0, 1439)),
                )

    def _local_start(
        self, rng: random.Random, zone: ZoneInfo, upcoming: bool, minutes: int
    ) -> datetime:
        """A start on a weekday, inside office hours where the occurrence happens."""
        today = self.now.astimezone(zone).date()
        if upcoming:
            day = today + timedelta(days=rng.randint(1, self.size.future_days))
            while day.weekday() >= 5:
                day += timedelta(days=1)
        else:
            day = today - timedelta(days=rng.randint(2, self.size.past_days))
            while day.weekday() >= 5:
                day -= timedelta(days=1)
        latest = max(9, 17 - math.ceil(minutes / 60))
        hour = rng.randint(9, latest)
        minute = rng.choice([0, 0, 0, 30])
        return _aware(day, time(hour, minute), zone)

    def involve_accounts(self) -> None:
        """Make the sign-in accounts worth signing in with: talks for the speaker, plans for the member."""
        rng = self.rng("accounts-involved")
        speaker = self.accounts["speaker"].pk
        member = self.accounts["member"].pk
        upcoming = [
            i
            for i, s in enumerate(self.sessions)
            if s.status == Session.Status.SCHEDULED
            and any(self.occurrences[o].upcoming for o in s.occurrences)
        ]
        past = [i for i, s in enumerate(self.sessions) if s.status == Session.Status.DONE]
        proposed = [i for i, s in enumerate(self.sessions) if s.status == Session.Status.PROPOSED]
        for index in rng.sample(upcoming, 3) + rng.sample(past, 3) + rng.sample(proposed, 1):
            session = self.sessions[index]
            session.speakers = [speaker] + [p for p in session.speakers if p != speaker][
                : max(0, len(session.speakers) - 1)
            ]
            session.proposed_by = speaker
        member_circles = set(self.members_of_person(member))
        member_skills = set(self.skills_of[member])

        def interesting(o: _PlannedOccurrence) -> bool:
            session = self.sessions[o.session]
            return session.circle in member_circles or bool(member_skills & set(session.topics))

        live = [
            o
            for o in self.occurrences
            if self.sessions[o.session].status != Session.Status.CANCELLED
            and speaker not in self.sessions[o.session].speakers
        ]
        coming = [o for o in live if o.upcoming and interesting(o)]
        went = [o for o in live if not o.upcoming and interesting(o)]
        for o in rng.sample(coming, min(3, len(coming))) + rng.sample(went, min(4, len(went))):
            o.forced.append(member)

    def members_of_person(self, person_id: int) -> list[int]:
        return [c for c, members in self.members_of.items() if person_id in members]

    def write_sessions(self) -> None:
        batch: list[Session] = []
        created: list[Session] = []
        for session in self.bar(self.sessions, total=len(self.sessions), desc="sessions"):
            batch.append(
                Session(
                    title=session.title,
                    slug=session.slug,
                    abstract=session.abstract,
                    format=session.format,
                    level=session.level,
                    language=session.language,
                    circle_id=session.circle,
                    status=session.status,
                    proposed_by_id=session.proposed_by,
                    created_at=session.created_at,
                    updated_at=session.created_at,
                )
            )
            if len(batch) >= BATCH:
                created += Session.objects.bulk_create(batch)
                batch = []
        created += Session.objects.bulk_create(batch)
        self.session_ids = [s.pk for s in created]
        topic_links = Session.topics.through
        speaker_links = Session.speakers.through
        topic_rows, speaker_rows = [], []
        for pk, session in zip(self.session_ids, self.sessions, strict=True):
            topic_rows += [topic_links(session_id=pk, topic_id=t) for t in session.topics]
            speaker_rows += [speaker_links(session_id=pk, person_id=p) for p in session.speakers]
        for rows, model in ((topic_rows, topic_links), (speaker_rows, speaker_links)):
            for start in range(0, len(rows), BATCH * 2):
                model.objects.bulk_create(rows[start : start + BATCH * 2])
        occurrences: list[Occurrence] = []
        self.occurrence_ids: list[int] = []
        for n, planned in enumerate(self.occurrences):
            session = self.sessions[planned.session]
            occurrences.append(
                Occurrence(
                    session_id=self.session_ids[planned.session],
                    start=planned.start,
                    end=planned.end,
                    room_id=self.rooms[planned.room][0] if planned.room is not None else None,
                    online_url=f"https://meet.{V.EMAIL_DOMAIN}/k/{n + 1:07d}"
                    if planned.online
                    else "",
                    capacity=planned.capacity,
                    created_at=session.created_at,
                )
            )
            if len(occurrences) >= BATCH:
                self.occurrence_ids += [o.pk for o in Occurrence.objects.bulk_create(occurrences)]
                occurrences = []
        self.occurrence_ids += [o.pk for o in Occurrence.objects.bulk_create(occurrences)]

    # --- registrations and attendance ---------------------------------------------------------

    def registrant_counts(self, rng: random.Random) -> list[int]:
        """How many people ask for a place at each occurrence, summing to exactly the target."""
        live = [
            i
            for i, o in enumerate(self.occurrences)
            if self.sessions[o.session].status != Session.Status.CANCELLED
        ]
        weights = {i: rng.uniform(0.2, 1.8) for i in live}
        total_weight = sum(weights.values()) or 1.0
        target = self.size.registrations
        limit = len(self.people_ids) - 8
        counts = [0] * len(self.occurrences)
        for i in live:
            counts[i] = min(limit, int(target * weights[i] / total_weight))
        missing = target - sum(counts)
        order = live[:]
        rng.shuffle(order)
        while missing > 0 and order:
            for i in order:
                if missing == 0:
                    break
                if counts[i] < limit:
                    counts[i] += 1
                    missing -= 1
        return counts

    def plan_registrations(self) -> None:
        """Decide how many ask for a place at each occurrence (before occurrences are written,
        because popular occurrences get a capacity below demand)."""
        rng = self.rng("registration-counts")
        self.counts = self.registrant_counts(rng)
        # About one upcoming occurrence in eight is popular: full, with people waiting.
        for planned, count in zip(self.occurrences, self.counts, strict=True):
            if planned.upcoming and count > 2 and rng.random() < 0.125:
                planned.capacity = max(1, count - rng.randint(1, min(8, count - 1)))

    def write_registrations(self) -> None:
        rng = self.rng("registrations")
        counts = self.counts
        people = self.people_ids
        regs: list[Registration] = []
        attendances: list[Attendance] = []
        self.registration_count = 0
        bar = tqdm(
            total=self.size.registrations,
            desc="registrations",
            unit="row",
            file=sys.stderr,
            mininterval=0.5,
            disable=not self.progress,
        )
        for index, (planned, count) in enumerate(zip(self.occurrences, counts, strict=True)):
            if count == 0 and not planned.forced:
                continue
            speakers = set(self.sessions[planned.session].speakers)
            chosen = [
                p
                for p in rng.sample(people, count + len(speakers) + len(planned.forced))
                if p not in speakers
            ]
            chosen = [p for p in chosen if p not in planned.forced][
                : max(0, count - len(planned.forced))
            ]
            # A registration is asked for before the occurrence (and, for what is to come, before now).
            latest = min(planned.start - timedelta(hours=1), self.now - timedelta(minutes=5))
            requests = sorted(
                (latest - timedelta(minutes=rng.randint(0, 60 * 24 * 30)), p) for p in chosen
            )
            requests = [(latest - timedelta(days=31), p) for p in planned.forced] + requests
            going = 0
            occurrence_id = self.occurrence_ids[index]
            for requested_at, person_id in requests:
                if person_id not in planned.forced and rng.random() < 0.06:
                    status = Registration.Status.CANCELLED
                elif going < planned.capacity:
                    status = Registration.Status.GOING
                    going += 1
                else:
                    status = Registration.Status.WAITLISTED
                regs.append(
                    Registration(
                        occurrence_id=occurrence_id,
                        person_id=person_id,
                        status=status,
                        requested_at=requested_at,
                        updated_at=requested_at,
                    )
                )
                if (
                    not planned.upcoming
                    and status == Registration.Status.GOING
                    and (person_id in planned.forced or rng.random() < 0.7)
                ):
                    mode = self._attendance_mode(rng, planned)
                    attendances.append(
                        Attendance(
                            occurrence_id=occurrence_id,
                            person_id=person_id,
                            mode=mode,
                            # Viewing a recording is recorded by the viewer, as on the site.
                            self_reported=mode == Attendance.Mode.RECORDING,
                            recorded_at=planned.end
                            + timedelta(minutes=rng.randint(5, 60 * 24 * 3)),
                        )
                    )
            if len(regs) >= BATCH * 5:
                self._flush(regs, attendances, bar)
        self._flush(regs, attendances, bar)
        bar.close()

    def _flush(self, regs: list[Registration], attendances: list[Attendance], bar: Any) -> None:
        Registration.objects.bulk_create(regs, batch_size=BATCH)
        Attendance.objects.bulk_create(attendances, batch_size=BATCH)
        bar.update(len(regs))
        self.registration_count += len(regs)
        regs.clear()
        attendances.clear()

    @staticmethod
    def _attendance_mode(rng: random.Random, planned: _PlannedOccurrence) -> str:
        if planned.room is None:
            return _weighted(rng, [Attendance.Mode.ONLINE, Attendance.Mode.RECORDING], [80, 20])
        if not planned.online:
            return _weighted(rng, [Attendance.Mode.ROOM, Attendance.Mode.RECORDING], [90, 10])
        return _weighted(
            rng,
            [Attendance.Mode.ROOM, Attendance.Mode.ONLINE, Attendance.Mode.RECORDING],
            [50, 40, 10],
        )


def _aware(day: date, clock: time, zone: ZoneInfo) -> datetime:
    # zoneinfo resolves the wall-clock time on that very date, so DST shifts land correctly.
    return datetime.combine(day, clock, tzinfo=zone)


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


def _demo_resources(*, rng: random.Random, now: datetime) -> None:
    """A recording for most sessions that took place, slides for some: what a library that
    has been kept for a while looks like. Review dates spread over two years, so some are due
    for a review (and their owners are asked)."""
    sessions = list(
        Session.objects.filter(status=Session.Status.DONE)
        .prefetch_related("speakers", "topics", "occurrences")
        .order_by("id")
    )
    resources, authors, topics = [], [], []
    for session in sessions:
        past = [o for o in session.occurrences.all() if o.end <= now]
        speakers = list(session.speakers.all())
        if not past or not speakers:
            continue
        kinds = [Resource.Kind.RECORDING] if rng.random() < 0.8 else []
        if rng.random() < 0.5:
            kinds.append(Resource.Kind.SLIDES)
        for kind in kinds:
            is_recording = kind == Resource.Kind.RECORDING
            slug = f"{session.slug}-{kind}"
            resources.append(
                Resource(
                    kind=kind,
                    title=f"{session.title} ({'recording' if is_recording else 'slides'})",
                    slug=slug[:240],
                    description=session.abstract.split("\n\n")[0],
                    url=f"https://video.example.org/watch/{session.slug}"
                    if is_recording
                    else f"https://slides.example.org/{session.slug}.pdf",
                    language=session.language,
                    session=session,
                    occurrence=past[0],
                    circle=session.circle,
                    owner=speakers[0],
                    created_by=speakers[0],
                    last_reviewed_on=(now - timedelta(days=rng.randint(0, 730))).date(),
                )
            )
            authors.append(speakers)
            topics.append(list(session.topics.all()))
    created = Resource.objects.bulk_create(resources, batch_size=BATCH)
    Resource.authors.through.objects.bulk_create(
        [
            Resource.authors.through(resource_id=r.pk, person_id=p.pk)
            for r, people in zip(created, authors, strict=True)
            for p in people
        ],
        batch_size=BATCH,
    )
    Resource.topics.through.objects.bulk_create(
        [
            Resource.topics.through(resource_id=r.pk, topic_id=t.pk)
            for r, items in zip(created, topics, strict=True)
            for t in items
        ],
        batch_size=BATCH,
    )


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
        _demo_resources(rng=random.Random(seed), now=generator.now)
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
