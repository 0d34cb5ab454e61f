"""The demo's internal conference: DevDays, two days in the Berlin office about four weeks
ahead, three tracks, fourteen talks (ordinary sessions with a date in one of two rooms, some
hybrid), starred by the member account and a hundred colleagues, published twice so the
programme page has a changelog to show ("moved from … to …").

Everything goes through the conference services as an organiser would do it (create, tracks,
talks, publish); the sessions are made by `session_create`, and their dates are written directly
rather than through `occurrence_create`, so a fresh demo does not open with speaker invitations
in the outbox.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction

from knowflow.accounts.models import Person
from knowflow.conferences import planning, proposals
from knowflow.conferences.models import Conference, ConferenceTalk, ProposalStar, Star
from knowflow.conferences.services import (
    conference_create,
    release_publish,
    talk_add,
    track_create,
)
from knowflow.demo.specification import ACCOUNTS
from knowflow.events.models import Occurrence, Room, Session
from knowflow.events.search import SESSION
from knowflow.events.services import session_create
from knowflow.search.index import index_write
from knowflow.topics.models import Topic

ZONE = ZoneInfo("Europe/Berlin")
HOURS = (10, 11, 12, 14, 15, 16, 17)
ONLINE = "https://meet.example.org/devdays"

TRACKS = (("Platform and cloud", "#1f5fbf"), ("Data and AI", "#8a3ffc"), ("Practice", "#0f7b45"))

# (title, abstract, track index, format, topic names)
TALKS: tuple[tuple[str, str, int, str, tuple[str, ...]], ...] = (
    (
        "Keynote: what we learned running 400 services",
        "Three years of the platform in numbers, the outages that taught us most, and the "
        "bets for next year.",
        0,
        Session.Format.TALK,
        ("Kubernetes",),
    ),
    (
        "Cutting our cloud bill by a third",
        "Rightsizing, spot capacity and the dashboards that made teams care about cost.",
        0,
        Session.Format.TALK,
        ("AWS",),
    ),
    (
        "Terraform modules people actually reuse",
        "How we version, test and document modules so that teams stop copying them.",
        0,
        Session.Format.WORKSHOP,
        ("Terraform",),
    ),
    (
        "Zero-downtime database migrations",
        "Expand and contract, backfills that do not lock tables, and how to roll back.",
        0,
        Session.Format.TALK,
        ("PostgreSQL",),
    ),
    (
        "Observability without the noise",
        "From 900 alerts a week to 40: service levels, burn rates and alert ownership.",
        0,
        Session.Format.TALK,
        ("Observability",),
    ),
    (
        "Feature stores in practice",
        "What a feature store solved for our fraud models, and what it did not.",
        1,
        Session.Format.TALK,
        ("Machine learning",),
    ),
    (
        "dbt at scale: 2,000 models later",
        "Naming, ownership, tests and CI for a dbt project that outgrew its conventions.",
        1,
        Session.Format.TALK,
        ("dbt",),
    ),
    (
        "Evaluating language models on our own data",
        "Building a test set from support tickets and reading the failures, not the averages.",
        1,
        Session.Format.TALK,
        ("Machine learning",),
    ),
    (
        "Hands-on: query plans for analysts",
        "Read an EXPLAIN, spot the sequential scan, and fix the three most common slow queries.",
        1,
        Session.Format.WORKSHOP,
        ("SQL",),
    ),
    (
        "Streaming joins with Kafka",
        "Windowed joins, late events and the state stores behind them.",
        1,
        Session.Format.TALK,
        ("Kafka",),
    ),
    (
        "Code review that teaches",
        "Comments that explain the why, review checklists, and keeping reviews under a day.",
        2,
        Session.Format.TALK,
        ("Code review",),
    ),
    (
        "Accessibility is a feature",
        "Keyboard paths, screen readers and the axe checks we run on every pull request.",
        2,
        Session.Format.TALK,
        ("Accessibility",),
    ),
    (
        "Writing incident reviews people read",
        "A template, a timeline and the questions that find causes instead of culprits.",
        2,
        Session.Format.PANEL,
        ("Incident management",),
    ),
    (
        "Lightning talks",
        "Five minutes each: tools, tricks and small wins from across the company.",
        2,
        Session.Format.LIGHTNING,
        (),
    ),
)


def _first_monday(after: datetime) -> datetime:
    day = (after + timedelta(days=28)).astimezone(ZONE).date()
    day += timedelta(days=-day.weekday() % 7)
    return datetime.combine(day, time(0, 0), tzinfo=ZONE)


def _free(room: Room, start: datetime, end: datetime) -> bool:
    return not Occurrence.objects.filter(
        room=room, start__lt=end, end__gt=start, cancelled_at=None
    ).exists()


@transaction.atomic
def demo_conference_load(*, rng: random.Random, now: datetime) -> Conference | None:
    """DevDays with its tracks, talks and two releases; None when the demo has no Berlin rooms
    (a size without offices)."""
    rooms = list(Room.objects.filter(office__name="Berlin").order_by("-capacity", "name")[:2])
    if len(rooms) < 2:
        return None
    enabler = Person.objects.get(user__username="enabler")
    speaker = Person.objects.get(user__username="speaker")
    accounts = [account.username for account in ACCOUNTS]
    people = list(
        Person.objects.filter(deactivated_at=None)
        .exclude(user__username__in=accounts)
        .order_by("pk")
        .values_list("pk", flat=True)[:300]
    )
    speakers = [speaker] + list(Person.objects.filter(pk__in=rng.sample(people, len(TALKS) - 1)))
    monday = _first_monday(now)
    conference = conference_create(
        actor=enabler,
        name="DevDays",
        slug=f"devdays-{monday.year}",
        timezone="Europe/Berlin",
        starts_on=monday.date(),
        ends_on=(monday + timedelta(days=1)).date(),
        description="Our internal engineering conference: two days, three tracks, in the "
        "Berlin office and online.",
    )
    tracks = [
        track_create(actor=enabler, conference=conference, name=name, colour=colour)
        for name, colour in TRACKS
    ]
    topics = {t.name: t for t in Topic.objects.filter(name__in={n for t in TALKS for n in t[4]})}
    # Its call for proposals closed a month ago.
    proposals.call_update(
        actor=enabler,
        conference=conference,
        opens_at=now - timedelta(days=75),
        closes_at=now - timedelta(days=30),
        formats=[Session.Format.TALK, Session.Format.WORKSHOP, Session.Format.LIGHTNING],
        questions=["Who is it for?"],
    )
    # The grid the organisers plan on; the talks fill its mornings on both days, the keynote
    # first.
    planning.programme_settings_update(
        actor=enabler,
        conference=conference,
        slot_times=", ".join(f"{hour}:00" for hour in HOURS),
        slot_minutes=45,
        rooms=rooms,
    )
    slots = [(day, hour, room) for hour in HOURS for day in range(2) for room in rooms]
    slot = iter(slots)
    for n, (title, abstract, track, fmt, names) in enumerate(TALKS):
        session = session_create(
            actor=enabler,
            title=title,
            abstract=abstract,
            format=fmt,
            level=Session.Level.INTERMEDIATE,
            topics=[topics[name] for name in names if name in topics],
            speakers=[speakers[n]],
        )
        for day, hour, room in slot:
            start = monday + timedelta(days=day, hours=hour)
            end = start + timedelta(minutes=45)
            if _free(room, start, end):
                break
        else:
            break  # no free slot left: the programme holds the talks placed so far
        Occurrence.objects.create(
            session=session,
            start=start,
            end=end,
            room=room,
            online_url=ONLINE if n % 3 == 0 else "",
            capacity=room.capacity,
        )
        Session.objects.filter(pk=session.pk).update(status=Session.Status.SCHEDULED)
        index_write(kind=SESSION, object_ids=[session.pk])
        talk_add(actor=enabler, conference=conference, session=session, track=tracks[track])
    # Interest: the member account has three talks in its agenda, and a hundred colleagues
    # starred one to four each (the organisers see the counts).
    talks = list(ConferenceTalk.objects.filter(conference=conference).order_by("pk"))
    member = Person.objects.get(user__username="member")
    stars = [Star(talk=talk, person=member) for talk in (talks[0], talks[5], talks[10])]
    for person in rng.sample(people, min(100, len(people))):
        stars += [
            Star(talk=talk, person_id=person) for talk in rng.sample(talks, rng.randint(1, 4))
        ]
    Star.objects.bulk_create(stars)
    release_publish(actor=enabler, conference=conference, now=now - timedelta(days=7))
    # A week later a talk moved to the afternoon: release 2 says so in its changelog.
    moved = (
        Occurrence.objects.filter(session__conference_talk__conference=conference)
        .order_by("-start")
        .first()
    )
    if moved is not None:
        later = moved.start + timedelta(hours=1)
        if moved.room is not None and _free(moved.room, later, later + timedelta(minutes=45)):
            moved.start, moved.end = later, later + timedelta(minutes=45)
            moved.save(update_fields=["start", "end"])
            release_publish(actor=enabler, conference=conference, now=now - timedelta(days=1))
    return conference


# (title, abstract, format, track index)
PROPOSED: tuple[tuple[str, str, str, int], ...] = (
    (
        "Metrics nobody reads: pruning a dashboard estate",
        "We had 1,400 dashboards and 40 that people opened. How we found out which mattered, "
        "retired the rest without a revolt, and what we measure now.",
        Session.Format.TALK,
        0,
    ),
    (
        "Data contracts between teams",
        "Schemas, owners and breaking-change rules for the tables other teams build on, and "
        "the CI check that enforces them.",
        Session.Format.TALK,
        1,
    ),
    (
        "Hands-on: window functions",
        "Running totals, ranks and gaps-and-islands, with exercises on our own sales data.",
        Session.Format.WORKSHOP,
        0,
    ),
    (
        "Five minutes on DuckDB",
        "Why the analysts' laptops now answer in seconds what the warehouse took minutes for.",
        Session.Format.LIGHTNING,
        1,
    ),
    (
        "Forecasting demand with too little history",
        "Hierarchical models and honest intervals when a product has six weeks of sales.",
        Session.Format.TALK,
        0,
    ),
)
QUESTIONS = ["Who is it for?", "What will they be able to do afterwards?"]


@transaction.atomic
def demo_call_load(*, rng: random.Random, now: datetime) -> Conference:
    """Data Summit, about ten weeks ahead, with its call for proposals open: five submitted
    proposals wanted by colleagues, the member account's draft, and a proposal by the speaker
    account naming the member as a co-speaker, waiting for them to confirm."""
    enabler = Person.objects.get(user__username="enabler")
    speaker = Person.objects.get(user__username="speaker")
    member = Person.objects.get(user__username="member")
    accounts = [account.username for account in ACCOUNTS]
    people = list(
        Person.objects.filter(deactivated_at=None)
        .exclude(user__username__in=accounts)
        .order_by("pk")[:300]
    )
    day = (now + timedelta(days=70)).astimezone(ZONE).date()
    day += timedelta(days=(1 - day.weekday()) % 7)  # a Tuesday
    conference = conference_create(
        actor=enabler,
        name="Data Summit",
        slug=f"data-summit-{day.year}",
        timezone="Europe/London",
        starts_on=day,
        ends_on=day,
        description="One day on analytics and data engineering, in London and online.",
    )
    tracks = [
        track_create(actor=enabler, conference=conference, name=name, colour=colour)
        for name, colour in (("Analytics", "#8a3ffc"), ("Engineering", "#1f5fbf"))
    ]
    proposals.call_update(
        actor=enabler,
        conference=conference,
        opens_at=now - timedelta(days=7),
        closes_at=now + timedelta(days=21),
        formats=[Session.Format.TALK, Session.Format.WORKSHOP, Session.Format.LIGHTNING],
        questions=QUESTIONS,
    )
    answers = {QUESTIONS[0]: "Analysts and data engineers.", QUESTIONS[1]: "Use it on Monday."}
    authors = rng.sample(people, len(PROPOSED))
    made = []
    for (title, abstract, fmt, track), author in zip(PROPOSED, authors, strict=True):
        made.append(
            proposals.proposal_save(
                actor=author,
                conference=conference,
                fields=proposals.ProposalFields(
                    title=title,
                    abstract=abstract,
                    format=fmt,
                    level=Session.Level.INTERMEDIATE,
                    track=tracks[track],
                    answers=answers,
                    co_speakers=[],
                    available_days=[day],
                    available_from=time(9, 0),
                    available_until=time(17, 0),
                    submit=True,
                ),
            )
        )
    proposals.proposal_save(
        actor=speaker,
        conference=conference,
        fields=proposals.ProposalFields(
            title="Feature stores, a year later",
            abstract="What our feature store made easier, what it made harder, and whether we "
            "would build it again.",
            format=Session.Format.TALK,
            level=Session.Level.ADVANCED,
            track=tracks[1],
            answers=answers,
            co_speakers=[member],
            available_days=[day],
            available_from=time(13, 0),
            available_until=time(18, 0),
            submit=True,
        ),
    )
    proposals.proposal_save(
        actor=member,
        conference=conference,
        fields=proposals.ProposalFields(
            title="Rust for data pipelines",
            abstract="Notes from rewriting one ingestion job in Rust: what got faster, what got "
            "harder.",
            format=Session.Format.LIGHTNING,
            level=Session.Level.INTRODUCTORY,
            track=None,
            answers={},
            co_speakers=[],
            available_days=[],
            available_from=None,
            available_until=None,
            submit=False,
        ),
    )
    ProposalStar.objects.bulk_create(
        ProposalStar(proposal=proposal, person=person)
        for person in rng.sample(people, min(60, len(people)))
        for proposal in rng.sample(made, rng.randint(1, 3))
    )
    return conference
