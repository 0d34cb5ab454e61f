"""What works: which formats, lengths, times of day, modes and hosts draw attendance and meet
the feedback standards, by region and over time.

The unit is a *date* (an occurrence) that ran in the period. Only dates whose feedback their
session's results page shows count (``feedback.selectors.dates.date_results_shown``: each a
visible cell of its session's split by date, so at least k responses): every figure here,
attendance included, is a sum over such dates. Then

- a group (a format, a region, a quarter…) is shown only when it is a visible cell of the
  split of those dates by its dimension (``anonymity.partition.visible_cells``), and the row
  "All dates" only when it holds at least k responses;
- the filters (period, region, topic) only choose whole dates, so two filtered views differ
  by whole dates of at least k responses each, never by one person's answers.

Definitions (docs/insights.md repeats them): the *audience* of a date is the people going to
it (or, when nobody registered, those who attended); its *zone* is the zone most of them live
in, its *region* that zone's region; *time of day* is the start in that zone. *Attendance rate*
= live attendances (room + online) ÷ going registrations. *Meets the standard* = judged answers
at the standard or above ÷ judged answers (after-session survey). A *well-received* session has
shown feedback with at least ``WELL_RECEIVED`` of its judged answers meeting the standard.
"""

from __future__ import annotations

import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from knowflow.anonymity.partition import visible_cells
from knowflow.errors import DomainError
from knowflow.events.models import Attendance, Occurrence, Registration, Session
from knowflow.events.planning.audience import region_of
from knowflow.feedback.selectors.anonymity import min_group
from knowflow.feedback.selectors.dates import DateResults, date_results_shown
from knowflow.insights.selectors.figures import REGIONS
from knowflow.insights.selectors.periods import Period
from knowflow.topics.models import Topic

WELL_RECEIVED = 0.8
LENGTHS = ((30, "Up to 30 min"), (60, "31–60 min"), (90, "61–90 min"), (None, "Over 90 min"))
TIMES_OF_DAY = (
    (9, "Before 09:00"),
    (12, "Morning (09:00–12:00)"),
    (14, "Midday (12:00–14:00)"),
    (17, "Afternoon (14:00–17:00)"),
    (None, "Evening (from 17:00)"),
)
MODES = ("in the room", "online", "hybrid")
MODE_LABELS = {"in the room": "In the room", "online": "Online", "hybrid": "Hybrid"}
DIMENSIONS = (
    ("format", "Format"),
    ("length", "Length"),
    ("time_of_day", "Time of day (attendees' local time)"),
    ("mode", "Mode"),
    ("region", "Region of the audience"),
    ("quarter", "Quarter"),
    ("host", "Host"),
)


@dataclass(frozen=True)
class PatternFilters:
    period: Period
    region: str = ""
    topic: str = ""  # topic slug


@dataclass
class DateFacts:
    """One date that ran, with everything a pattern groups by."""

    occurrence_id: int
    session_id: int
    start: datetime
    minutes: int
    mode: str
    format: str
    zone: str
    region: str
    going: int
    attended: int
    results: DateResults | None = None


@dataclass
class PatternRow:
    key: str
    label: str
    visible: bool
    dates: int = 0
    going: int = 0
    attended: int = 0
    responses: int = 0
    judged: int = 0
    meets: int = 0
    above: int = 0
    slug: str = ""

    def add(self, date: DateFacts) -> None:
        self.dates += 1
        self.going += date.going
        self.attended += date.attended
        if date.results is not None:
            self.responses += date.results.responses
            self.judged += date.results.judged
            self.meets += date.results.acceptable + date.results.superior
            self.above += date.results.superior

    @property
    def attendance_rate(self) -> float | None:
        return round(100 * self.attended / self.going, 1) if self.going else None

    @property
    def attendance_per_date(self) -> float | None:
        return round(self.attended / self.dates, 1) if self.dates else None

    @property
    def meets_share(self) -> float | None:
        return round(100 * self.meets / self.judged, 1) if self.judged else None

    @property
    def above_share(self) -> float | None:
        return round(100 * self.above / self.judged, 1) if self.judged else None


@dataclass
class PatternTable:
    dimension: str
    title: str
    rows: list[PatternRow]
    hidden: int  # groups with dates whose feedback group is too small to show


@dataclass
class Example:
    session_id: int
    title: str
    slug: str
    row: PatternRow


@dataclass
class Patterns:
    filters: PatternFilters
    k: int
    dates_run: int  # every date that ran in the filters, shown or not
    total: PatternRow
    tables: list[PatternTable] = field(default_factory=list)
    examples: list[Example] = field(default_factory=list)
    topics: list[Topic] = field(default_factory=list)

    def table(self, dimension: str) -> PatternTable:
        return next(t for t in self.tables if t.dimension == dimension)


def length_label(minutes: int) -> str:
    return next(label for limit, label in LENGTHS if limit is None or minutes <= limit)


def time_of_day_label(start: datetime, zone: str) -> str:
    hour = start.astimezone(zoneinfo.ZoneInfo(zone)).hour
    return next(label for limit, label in TIMES_OF_DAY if limit is None or hour < limit)


def quarter_label(start: datetime) -> str:
    return f"{start.year} Q{(start.month - 1) // 3 + 1}"


def _zone(zones: Counter[str]) -> str:
    # The most common zone; ties to the name, so that a page reads the same every time.
    return min(zones.items(), key=lambda kv: (-kv[1], kv[0]))[0] if zones else "UTC"


LIVE = (Attendance.Mode.ROOM, Attendance.Mode.ONLINE)


def _rows(query: Any) -> list[tuple]:
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _dates(filters: PatternFilters, now: datetime) -> list[DateFacts]:
    """Every date that ran in the period (and the topic), with its audience: three or four
    queries."""
    ran = Q(
        start__gte=filters.period.start,
        start__lt=filters.period.end,
        end__lte=now,
        cancelled_at__isnull=True,
    ) & ~Q(session__status=Session.Status.CANCELLED)
    if filters.topic:
        ran &= Q(session__in=Session.objects.filter(topics__slug=filters.topic).values("pk"))
    occurrences = Occurrence.objects.filter(ran)
    # Read as plain rows (no model converters): a year of the large demo is a few hundred
    # thousand (date, zone) groups, and converting each cost more than the query.
    going: dict[int, Counter[str]] = defaultdict(Counter)
    for occurrence_id, zone, n in _rows(
        Registration.objects.filter(
            occurrence__in=occurrences.values("pk"), status=Registration.Status.GOING
        )
        .values_list("occurrence_id", "person__timezone")
        .annotate(n=Count("id"))
        .order_by()
    ):
        going[occurrence_id][zone] += n
    # Attendance is counted per date without reading people; their zones only where nobody
    # registered (the audience is then those who came).
    attended: dict[int, int] = dict(
        _rows(
            Attendance.objects.filter(occurrence__in=occurrences.values("pk"), mode__in=LIVE)
            .values_list("occurrence_id")
            .annotate(n=Count("id"))
            .order_by()
        )
    )
    unregistered = [pk for pk in attended if pk not in going]
    came: dict[int, Counter[str]] = defaultdict(Counter)
    if unregistered:
        for occurrence_id, zone, n in _rows(
            Attendance.objects.filter(occurrence_id__in=unregistered, mode__in=LIVE)
            .values_list("occurrence_id", "person__timezone")
            .annotate(n=Count("id"))
            .order_by()
        ):
            came[occurrence_id][zone] += n
    dates = []
    for pk, session_id, start, end, room_id, online_url, fmt in occurrences.values_list(
        "pk", "session_id", "start", "end", "room_id", "online_url", "session__format"
    ):
        zone = _zone(going.get(pk) or came.get(pk) or Counter())
        dates.append(
            DateFacts(
                occurrence_id=pk,
                session_id=session_id,
                start=start,
                minutes=int((end - start).total_seconds() // 60),
                mode="hybrid" if room_id and online_url else "in the room" if room_id else "online",
                format=fmt,
                zone=zone,
                region=region_of(zone),
                going=sum(going.get(pk, Counter()).values()),
                attended=attended.get(pk, 0),
            )
        )
    return dates


def _table(
    dimension: str,
    title: str,
    dates: Iterable[DateFacts],
    keys: Callable[[DateFacts], Iterable[str]],
    *,
    k: int,
    order: Iterable[str] = (),
    labels: dict[str, str] | None = None,
    partition: bool = True,
) -> PatternTable:
    rows: dict[str, PatternRow] = {}
    for date in dates:
        for key in keys(date):
            row = rows.setdefault(
                key, PatternRow(key=key, label=(labels or {}).get(key, key), visible=False)
            )
            row.add(date)
    if partition:
        # The anonymity core decides: a group of fewer than k responses shows nothing, and
        # while the hidden groups hold 1 to k-1 together, the smallest shown group is hidden
        # too, so that "All dates" minus the shown groups never leaves fewer than k.
        shown = visible_cells({key: row.responses for key, row in rows.items()}, k=k)
    else:
        # Hosts share dates (co-speakers), so they are not a partition of the total; each is
        # still a sum of whole dates of at least k responses.
        shown = {key for key, row in rows.items() if row.responses >= k}
    for key, row in rows.items():
        row.visible = key in shown
    place = {key: i for i, key in enumerate(order)}
    ordered = sorted(
        rows.values(),
        key=lambda r: (place.get(r.key, len(place)), -(r.attended if not place else 0), r.label),
    )
    return PatternTable(
        dimension=dimension,
        title=title,
        rows=[r for r in ordered if r.visible],
        hidden=sum(1 for r in ordered if not r.visible),
    )


def patterns_for(
    *, filters: PatternFilters, now: datetime | None = None, hosts: int = 20
) -> Patterns:
    """What works for ``filters`` (see the module docstring). A fixed number of queries,
    whatever the size of the data. The caller checks who may read it
    (``permissions.check_view_insights``)."""
    now = now or timezone.now()
    k = min_group()
    if filters.region and filters.region not in REGIONS:
        raise DomainError(
            f"Unknown region '{filters.region}'; use one of: {', '.join(REGIONS)}.", field="region"
        )
    all_dates = _dates(filters, now)
    shown = date_results_shown(session_ids={d.session_id for d in all_dates})
    dates = []
    for date in all_dates:
        if filters.region and date.region != filters.region:
            continue
        date.results = shown.get(date.occurrence_id)
        if date.results is not None:
            dates.append(date)
    dates_run = sum(1 for d in all_dates if not filters.region or d.region == filters.region)
    total = PatternRow(key="", label="All dates", visible=False)
    for date in dates:
        total.add(date)
    total.visible = total.responses >= k
    topics = list(Topic.objects.only("id", "name", "slug").order_by("name"))
    result = Patterns(filters=filters, k=k, dates_run=dates_run, total=total, topics=topics)
    if not total.visible:
        return result

    speakers: dict[int, list[tuple[str, str]]] = defaultdict(list)
    titles: dict[int, tuple[str, str]] = {}
    for session_id, name, slug, title, session_slug in Session.speakers.through.objects.filter(
        session_id__in={d.session_id for d in dates}
    ).values_list(
        "session_id", "person__display_name", "person__slug", "session__title", "session__slug"
    ):
        speakers[session_id].append((slug, name))
        titles[session_id] = (title, session_slug)
    host_names = {slug: name for names in speakers.values() for slug, name in names}
    formats = dict(Session.Format.choices)
    result.tables = [
        _table(
            "format",
            "Format",
            dates,
            lambda d: [d.format],
            k=k,
            order=formats,
            labels=formats,
        ),
        _table(
            "length",
            "Length",
            dates,
            lambda d: [length_label(d.minutes)],
            k=k,
            order=[label for _, label in LENGTHS],
        ),
        _table(
            "time_of_day",
            "Time of day (attendees' local time)",
            dates,
            lambda d: [time_of_day_label(d.start, d.zone)],
            k=k,
            order=[label for _, label in TIMES_OF_DAY],
        ),
        _table("mode", "Mode", dates, lambda d: [d.mode], k=k, order=MODES, labels=MODE_LABELS),
        _table("region", "Region of the audience", dates, lambda d: [d.region], k=k, order=REGIONS),
        _table(
            "quarter",
            "Quarter",
            dates,
            lambda d: [quarter_label(d.start)],
            k=k,
            order=sorted({quarter_label(d.start) for d in dates}),
        ),
    ]
    host_table = _table(
        "host",
        "Host",
        dates,
        lambda d: [slug for slug, _ in speakers.get(d.session_id, [])],
        k=k,
        labels=host_names,
        partition=False,
    )
    for row in host_table.rows:
        row.slug = row.key
    host_table.rows = sorted(host_table.rows, key=lambda r: (-r.attended, r.label))[:hosts]
    result.tables.append(host_table)

    per_session: dict[int, PatternRow] = {}
    for date in dates:
        title, slug = titles.get(date.session_id, ("", ""))
        per_session.setdefault(
            date.session_id,
            PatternRow(key=str(date.session_id), label=title, visible=True, slug=slug),
        ).add(date)
    well = [
        row
        for row in per_session.values()
        if row.judged and row.meets >= WELL_RECEIVED * row.judged and row.responses >= k
    ]
    well.sort(key=lambda r: (-(r.meets / r.judged), -r.attended, r.label))
    result.examples = [
        Example(session_id=int(row.key), title=row.label, slug=row.slug, row=row)
        for row in well[:10]
    ]
    return result


def session_well_received(*, session: Session) -> PatternRow | None:
    """The session's shown feedback over all its dates, when it is well received (see the
    module docstring); None otherwise. Two queries."""
    shown = date_results_shown(session_ids=[session.pk])
    row = PatternRow(key=str(session.pk), label=session.title, visible=True, slug=session.slug)
    for results in shown.values():
        row.responses += results.responses
        row.judged += results.judged
        row.meets += results.acceptable + results.superior
        row.above += results.superior
    if row.responses < min_group() or not row.judged or row.meets < WELL_RECEIVED * row.judged:
        return None
    return row


CACHE_SECONDS = 300


def patterns_for_page(*, filters: PatternFilters) -> tuple[Patterns, datetime]:
    """``patterns_for`` as the page reads it: kept for five minutes per filters (and k), with
    the time it was computed. On the large demo a year of dates takes seconds to compute
    (docs/benchmarks.md); the figures are sums of whole dates, so a few minutes' delay loses
    nothing and a cached result can single out no more than a fresh one."""
    from django.core.cache import cache

    key = (
        f"insights:patterns:{min_group()}:{filters.period.start.isoformat()}:"
        f"{filters.period.end.isoformat()}:{filters.region}:{filters.topic}"
    )
    found = cache.get(key)
    if found is None:
        found = (patterns_for(filters=filters), timezone.now())
        cache.set(key, found, CACHE_SECONDS)
    return found
