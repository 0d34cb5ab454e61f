"""Read queries for sessions and occurrences.

The catalogue is open: everyone signed in reads every session and date (proposals and cancelled
ones too), so a read takes the viewer only where the answer is theirs (their registrations,
their working hours) or restricted (a registration: the person's and its session's managers').

The catalogue and the home page issue a fixed number of queries whatever the size of the data
(tests pin the counts): rows arrive with their session, room, office, speakers and topics.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.circles.models import Circle
from knowflow.errors import Forbidden, NotFound
from knowflow.events.models import Attendance, Occurrence, Registration, Room, Session
from knowflow.events.permissions import can_edit_session
from knowflow.lookup import one_by_id_or_slug
from knowflow.pickers import Nouns, PickerOption, resolve_names, suggest_by_name

# "Within my working hours" looks this far ahead: enough for any published programme, and
# it keeps the filter a bounded list of time windows.
WORKING_HOURS_HORIZON = timedelta(days=180)


@dataclass(frozen=True)
class CatalogueFilters:
    topic: str = ""  # topic slug
    format: str = ""
    circle: str = ""  # circle slug
    when: str = "upcoming"  # upcoming | past | proposed
    within_my_hours: bool = False
    q: str = ""


@dataclass
class CataloguePage:
    rows: list[Occurrence] | list[Session]
    page: int
    has_next: bool
    kind: str  # "occurrences" or "sessions"


def _session_prefetches(prefix: str = "") -> list[Prefetch | str]:
    return [
        Prefetch(
            f"{prefix}speakers",
            queryset=Person.objects.only("id", "display_name", "slug", "timezone"),
        ),
        f"{prefix}topics",
    ]


def _working_hours_q(viewer: Person, now: datetime) -> Q:
    windows = list(viewer.hours.windows_utc(viewer.zone, now, now + WORKING_HOURS_HORIZON))
    if not windows:
        return Q(pk__in=[])
    query = Q()
    for w_start, w_end in windows:
        query |= Q(start__gte=w_start, end__lte=w_end)
    return query


def session_status_q(status: str, *, now: datetime | None = None) -> Q:
    """Sessions whose status *as the clock has it* is ``status`` (``Session.current_status``
    as a filter): a scheduled session whose live dates have all ended counts as done."""
    now = now or timezone.now()
    live_dates = Occurrence.objects.filter(session=OuterRef("pk"), cancelled_at__isnull=True)
    ended = Q(Exists(live_dates)) & ~Q(Exists(live_dates.filter(end__gt=now)))
    if status == Session.Status.DONE:
        return Q(status=Session.Status.DONE) | (Q(status=Session.Status.SCHEDULED) & ended)
    if status == Session.Status.SCHEDULED:
        return Q(status=Session.Status.SCHEDULED) & ~ended
    return Q(status=status)


def session_list(
    *, topic: str = "", format: str = "", circle: str = "", status: str = ""
) -> QuerySet[Session]:
    """Sessions, newest first, filtered by topic slug, format, circle slug and status."""
    sessions = Session.objects.order_by("-created_at", "-id")
    if topic:
        sessions = sessions.filter(topics__slug=topic)
    if format:
        sessions = sessions.filter(format=format)
    if circle:
        sessions = sessions.filter(circle__slug=circle)
    if status:
        sessions = sessions.filter(session_status_q(status))
    return sessions


def catalogue_page(
    *, viewer: Person, filters: CatalogueFilters, page: int = 1, page_size: int = 20
) -> CataloguePage:
    """One page of the session catalogue.

    Upcoming and past list occurrences (a session with three dates shows three times, each at
    its own time); "proposed" lists sessions that have no date yet. Pagination fetches one row
    more than it shows instead of counting, so a page costs the same on a large programme.
    """
    now = timezone.now()
    page = max(page, 1)
    offset = (page - 1) * page_size
    if filters.when == "proposed":
        sessions = session_list(
            topic=filters.topic,
            format=filters.format,
            circle=filters.circle,
            status=Session.Status.PROPOSED,
        )
        if filters.q:
            sessions = sessions.filter(title__icontains=filters.q)
        session_rows = list(
            sessions.select_related("circle").prefetch_related(*_session_prefetches())[
                offset : offset + page_size + 1
            ]
        )
        return CataloguePage(
            rows=session_rows[:page_size],
            page=page,
            has_next=len(session_rows) > page_size,
            kind="sessions",
        )

    occurrences = Occurrence.objects.filter(cancelled_at__isnull=True).exclude(
        session__status=Session.Status.CANCELLED
    )
    # A date is past once it has ended (``Occurrence.is_over``), the moment registration
    # closes and its session can become done; until then it is upcoming (a date under way
    # is still one to join), so no date is listed under both.
    if filters.topic:
        occurrences = occurrences.filter(session__topics__slug=filters.topic)
    if filters.format:
        occurrences = occurrences.filter(session__format=filters.format)
    if filters.circle:
        occurrences = occurrences.filter(session__circle__slug=filters.circle)
    if filters.q:
        occurrences = occurrences.filter(session__title__icontains=filters.q)
    if filters.within_my_hours:
        occurrences = occurrences.filter(_working_hours_q(viewer, now))
    occurrences = occurrences.select_related("session__circle", "room__office").prefetch_related(
        *_session_prefetches("session__")
    )
    if filters.when == "past":
        past = occurrences.filter(end__lte=now).order_by("-start", "-id")
        occurrence_rows = list(past[offset : offset + page_size + 1])
    else:
        occurrence_rows = _upcoming_slice(occurrences, now=now, offset=offset, count=page_size + 1)
    return CataloguePage(
        rows=occurrence_rows[:page_size],
        page=page,
        has_next=len(occurrence_rows) > page_size,
        kind="occurrences",
    )


def _upcoming_slice(
    occurrences: QuerySet[Occurrence], *, now: datetime, offset: int, count: int
) -> list[Occurrence]:
    """``count`` dates from ``offset`` of those not yet ended, by start.

    The dates under way (started, not ended) all come before those still to start, so each
    part is read on its own: the first through the index on end (few dates are under way at
    any moment), the second through the index on start, stopping after ``count`` rows. One
    query on ``end > now`` ordered by start walked every past date in start order (or sorted
    every future one): 180 ms on the large demo's 63,000 dates, against a few ms this way.
    """
    # Sorted here, not by SQL: an ORDER BY start tempted SQLite to read them through the index
    # on start, from the first date ever.
    under_way = sorted(
        occurrences.filter(start__lte=now, end__gt=now).order_by(),
        key=lambda occurrence: (occurrence.start, occurrence.pk),
    )
    rows = under_way[offset : offset + count]
    to_come = occurrences.filter(start__gt=now).order_by("start", "id")
    skip = max(0, offset - len(under_way))
    return rows + list(to_come[skip : skip + count - len(rows)])


def session_get(
    *, id: int | None = None, slug: str | None = None, field: str | None = None
) -> Session:
    """One session by id (the API) or slug (the pages), with its topics, speakers and dates,
    or NotFound (naming ``field``, the input that pointed at it). Every session is in the
    catalogue for everyone signed in, proposals and cancelled ones too; who may change it is
    ``events.permissions``' question, asked by the services."""
    sessions = Session.objects.prefetch_related(
        "topics",
        "speakers",
        Prefetch("occurrences", queryset=Occurrence.objects.order_by("start")),
    )
    return one_by_id_or_slug(sessions, id=id, slug=slug, noun="session", field=field)


def occurrence_get(*, id: int, field: str | None = None) -> Occurrence:
    """One date by id with its session and room, or NotFound (naming ``field``). Dates are
    public as their sessions are."""
    occurrence = (
        Occurrence.objects.select_related("session", "room__office")
        .prefetch_related("session__speakers")
        .filter(pk=id)
        .first()
    )
    if occurrence is None:
        raise NotFound(f"There is no occurrence with id {id}.", field=field)
    return occurrence


def room_get(*, id: int, field: str | None = None) -> Room:
    """One room by id with its office, or NotFound (naming ``field``)."""
    room = Room.objects.select_related("office").filter(pk=id).first()
    if room is None:
        raise NotFound(f"There is no room with id {id}.", field=field)
    return room


def registration_get(*, id: int, viewer: Person) -> Registration:
    """One registration, for the person registered or for those who manage its session;
    Forbidden to anyone else (a registration says who is going where), NotFound when there is
    none."""
    registration = (
        Registration.objects.select_related("occurrence__session", "person").filter(pk=id).first()
    )
    if registration is None:
        raise NotFound(f"There is no registration with id {id}.")
    if registration.person_id != viewer.pk and not can_edit_session(
        actor=viewer, session=registration.occurrence.session
    ):
        raise Forbidden("This is someone else's registration.")
    return registration


def session_detail(*, slug: str) -> Session:
    """A session with everything its page shows, or NotFound."""
    session = (
        Session.objects.filter(slug=slug)
        .select_related("circle", "proposed_by")
        .prefetch_related(
            Prefetch(
                "speakers",
                queryset=Person.objects.select_related("office", "org_unit"),
            ),
            "topics",
            Prefetch(
                "occurrences",
                queryset=Occurrence.objects.select_related("room__office").order_by("start"),
            ),
        )
        .first()
    )
    if session is None:
        raise NotFound("There is no such session.")
    return session


def registrations_of_viewer(
    *, viewer: Person, occurrences: list[Occurrence]
) -> dict[int, Registration]:
    """The viewer's live registrations for these occurrences, by occurrence id."""
    return {
        reg.occurrence_id: reg
        for reg in Registration.objects.filter(
            person=viewer, occurrence__in=[o.pk for o in occurrences]
        ).exclude(status=Registration.Status.CANCELLED)
    }


def session_registrants(*, session: Session) -> list[Person]:
    """Everyone with a live registration for any date of the session, in one query.

    The attendance forms offer these people: a list of the whole organisation would cost a
    query per date and thousands of options on a large site.
    """
    live = Registration.objects.filter(occurrence__session=session).exclude(
        status=Registration.Status.CANCELLED
    )
    return list(
        Person.objects.filter(pk__in=live.values("person_id"))
        .only("id", "display_name")
        .order_by("display_name", "id")
    )


def occurrence_counts(*, occurrences: list[Occurrence]) -> dict[int, dict[str, int]]:
    """Going and waitlisted counts per occurrence, in one query."""
    from django.db.models import Count

    counts: dict[int, dict[str, int]] = {o.pk: {"going": 0, "waitlisted": 0} for o in occurrences}
    rows = (
        Registration.objects.filter(occurrence__in=list(counts))
        .exclude(status=Registration.Status.CANCELLED)
        .values("occurrence_id", "status")
        .annotate(n=Count("id"))
    )
    for row in rows:
        counts[row["occurrence_id"]][row["status"]] = row["n"]
    return counts


def upcoming_registrations(*, viewer: Person, limit: int = 10) -> list[Registration]:
    return list(
        # A cancelled date (or session) is no longer one to go to.
        Registration.objects.filter(
            person=viewer, occurrence__end__gte=timezone.now(), occurrence__cancelled_at=None
        )
        .exclude(status=Registration.Status.CANCELLED)
        .exclude(occurrence__session__status=Session.Status.CANCELLED)
        .select_related("occurrence__session", "occurrence__room__office")
        .order_by("occurrence__start")[:limit]
    )


def attendance_to_record(*, viewer: Person, limit: int = 20) -> list[Occurrence]:
    """Dates the viewer speaks at that have started (the one under way too, so the checklist
    is one click away in the room) within the last two weeks, with people registered and no
    attendance recorded yet: without attendance nobody is asked for feedback."""
    now = timezone.now()
    return list(
        Occurrence.objects.filter(
            session__speakers=viewer,
            cancelled_at__isnull=True,
            start__lte=now,
            end__gte=now - timedelta(days=14),
            registrations__status=Registration.Status.GOING,
        )
        .exclude(attendances__isnull=False)
        .distinct()
        .select_related("session")
        .order_by("-end")[:limit]
    )


def upcoming_for_viewer(*, viewer: Person, limit: int = 10) -> list[Occurrence]:
    """Upcoming occurrences from the viewer's circles and skills, soonest first."""
    circle_ids = list(viewer.memberships.values_list("circle_id", flat=True))
    skill_ids = list(viewer.skills.values_list("id", flat=True))
    if not circle_ids and not skill_ids:
        return []
    interesting = Q(session__circle_id__in=circle_ids) | Q(session__topics__in=skill_ids)
    ids = list(
        Occurrence.objects.filter(interesting, start__gte=timezone.now(), cancelled_at__isnull=True)
        .exclude(session__status=Session.Status.CANCELLED)
        .order_by("start", "id")
        .values_list("id", flat=True)
        .distinct()[: limit * 3]
    )
    ordered = list(dict.fromkeys(ids))[:limit]
    occurrences = (
        Occurrence.objects.filter(pk__in=ordered)
        .select_related("session__circle", "room__office")
        .prefetch_related(*_session_prefetches("session__"))
        .order_by("start", "id")
    )
    return list(occurrences)


def occurrences_of_circle(*, circle: Circle, upcoming: bool, limit: int = 20) -> list[Occurrence]:
    """The dates of the circle's sessions: upcoming (soonest first) or held (latest first).
    A cancelled session or date is neither coming up nor something the circle held."""
    now = timezone.now()
    occurrences = (
        Occurrence.objects.filter(session__circle=circle, cancelled_at__isnull=True)
        .exclude(session__status=Session.Status.CANCELLED)
        .select_related("session", "room__office")
    )
    if upcoming:
        occurrences = occurrences.filter(end__gte=now).order_by("start")
    else:
        occurrences = occurrences.filter(end__lt=now).order_by("-start")
    return list(occurrences[:limit])


def sessions_of_speaker(*, person: Person, limit: int = 50) -> list[Session]:
    return list(
        person.sessions_given.select_related("circle")
        .prefetch_related("topics", "occurrences")  # occurrences: for ``current_status``
        .order_by("-created_at")[:limit]
    )


@dataclass(frozen=True)
class CancellationAudience:
    """Who is emailed when dates are cancelled: the people going and the speakers who are not
    also going (a speaker with a place gets one email, as an attendee). People on the waiting
    list had no calendar entry and are not emailed."""

    going: int
    speakers: int
    waiting: int

    @property
    def emailed(self) -> int:
        return self.going + self.speakers


def cancellation_audience(*, occurrences: list[Occurrence]) -> CancellationAudience:
    """How many distinct people a cancellation of these dates tells, in two queries."""
    live = Registration.objects.filter(occurrence__in=[o.pk for o in occurrences])
    going = set(live.filter(status=Registration.Status.GOING).values_list("person_id", flat=True))
    waiting = set(
        live.filter(status=Registration.Status.WAITLISTED).values_list("person_id", flat=True)
    )
    speakers: set[int] = set()
    for occurrence in occurrences:
        speakers |= {p.pk for p in occurrence.session.speakers.all()}
    return CancellationAudience(
        going=len(going),
        speakers=len(speakers - going),
        waiting=len(waiting - going - speakers),
    )


def upcoming_dates_of_session(*, session: Session) -> list[Occurrence]:
    """The dates of a session that have not ended and are not cancelled: the ones that
    cancelling the session withdraws from calendars."""
    return list(
        Occurrence.objects.filter(
            session=session, end__gt=timezone.now(), cancelled_at__isnull=True
        )
        .select_related("session", "room__office")
        .prefetch_related("session__speakers")
        .order_by("start", "id")
    )


SESSIONS = Nouns(one="session", many="sessions", nobody="No session")


def _session_described(session: Session) -> str:
    return f"{session.title} ({session.get_status_display().lower()}, {session.slug})"


def sessions_for_picker(*, entries: list[str]) -> list[Session]:
    """The sessions a picker's entries mean (a slug, a title or a unique part of one). Every
    session, proposed or past, is on a page every member can open, so any may be named."""
    return resolve_names(
        queryset=Session.objects.all(),
        entries=entries,
        nouns=SESSIONS,
        name_field="title",
        describe=_session_described,
    )


def session_picker_options(*, viewer: Person, text: str) -> list[PickerOption]:
    """Suggestions for a session picker: cancelled sessions are left out (nothing is added
    to them), the format and status tell two talks of the same title apart."""
    sessions = suggest_by_name(
        queryset=Session.objects.exclude(status=Session.Status.CANCELLED).prefetch_related(
            "occurrences"
        ),
        text=text,
        name_field="title",
    )
    return [
        PickerOption(
            value=session.slug,
            label=session.title,
            detail=f"{session.get_format_display()} · {session.current_status_label}",
        )
        for session in sessions
    ]


def proposals_of(*, person: Person, limit: int = 20) -> list[Session]:
    """Sessions ``person`` proposed that are not scheduled yet, newest first: what they may
    still edit (``can_edit_session``) and wait to hear about."""
    return list(
        Session.objects.filter(proposed_by=person, status=Session.Status.PROPOSED).order_by(
            "-created_at", "-id"
        )[:limit]
    )


@dataclass(frozen=True)
class ChecklistRow:
    person: Person
    registered: bool
    mode: str  # "" when not (yet) recorded as present
    self_reported: bool  # checked in themselves; an organiser's tick makes it observed


def attendance_checklist(*, occurrence: Occurrence) -> list[ChecklistRow]:
    """Everyone going to the date and everyone recorded in the room or online, in two queries:
    those already marked present first (by mode), then the rest, by name."""
    going = set(
        occurrence.registrations.filter(status=Registration.Status.GOING).values_list(
            "person_id", flat=True
        )
    )
    recorded = {
        a.person_id: a
        for a in occurrence.attendances.exclude(mode=Attendance.Mode.RECORDING).select_related(
            "person"
        )
    }
    people = {a.person_id: a.person for a in recorded.values()}
    missing = going - set(people)
    if missing:
        people.update(
            (p.pk, p)
            for p in Person.objects.filter(pk__in=missing).only("id", "display_name", "email")
        )
    order = {Attendance.Mode.ROOM: 0, Attendance.Mode.ONLINE: 1, "": 2}
    rows = [
        ChecklistRow(
            person=person,
            registered=pk in going,
            mode=recorded[pk].mode if pk in recorded else "",
            self_reported=recorded[pk].self_reported if pk in recorded else False,
        )
        for pk, person in people.items()
    ]
    return sorted(rows, key=lambda r: (order[r.mode], r.person.display_name.lower(), r.person.pk))


def attendance_of(*, occurrence: Occurrence, person: Person) -> Attendance | None:
    return Attendance.objects.filter(occurrence=occurrence, person=person).first()


def attendances_of_viewer(
    *, viewer: Person, occurrences: list[Occurrence]
) -> dict[int, Attendance]:
    """The viewer's attendance per date, in one query (the session page's "Checked in")."""
    return {
        a.occurrence_id: a
        for a in Attendance.objects.filter(
            person=viewer, occurrence__in=[o.pk for o in occurrences]
        )
    }
