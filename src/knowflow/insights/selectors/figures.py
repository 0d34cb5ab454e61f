"""Computing the programme figures from the data: dashboard, expertise, network.

Each function issues a fixed number of aggregate queries whatever the size of the data (a
test pins the counts) and returns plain JSON-ready dicts, so the same figures feed the pages,
the CSV exports, the API and the rollups the worker stores (``DashboardRollup``).

Definitions (docs/insights.md repeats them for readers):

- an occurrence *ran in the period* when it started in [start, end) and has ended by now, and
  its session was not cancelled;
- *learning hours* = Σ over attendances of the occurrence's duration, by attendance mode;
- *attendance rate* = live attendances (room + online) ÷ going registrations, same occurrences;
- *first-time speaker* = a speaker of the period whose first ever occurrence is in the period;
- *preparation estimate* = ``PREPARATION_RATIO`` × the session's duration, once per session
  and speaker (a session given again is not prepared again);
- *time-zone equity*: a region's working hours are 09:00–17:00 Monday to Friday in the zone
  most of its people live in; an occurrence is inside them when it starts and ends inside.
"""

from __future__ import annotations

import zoneinfo
from collections import Counter, defaultdict
from datetime import datetime, time

from django.db.models import Count, Min, Q
from django.db.models.functions import TruncQuarter
from django.utils import timezone

from knowflow.accounts.models import Office, OrgUnit, Person
from knowflow.circles.models import Circle
from knowflow.events.models import Attendance, Occurrence, Registration, Session
from knowflow.events.planning.audience import region_of
from knowflow.feedback.selectors.evidence import evidence_rows
from knowflow.insights.selectors.periods import Period

PREPARATION_RATIO = 3.0
WORKDAY = (time(9, 0), time(17, 0))
REGIONS = ("AMER", "EMEA", "APAC", "OTHER")
NO_UNIT = "(no org unit)"
NO_OFFICE = "(no office)"


def _ran(period: Period, now: datetime) -> Q:
    return Q(start__gte=period.start, start__lt=period.end, end__lte=now) & ~Q(
        session__status=Session.Status.CANCELLED
    )


def _hours(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


def _pct(part: float, whole: float) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _labels() -> tuple[dict[int | None, str], dict[int | None, str]]:
    units: dict[int | None, str] = dict(OrgUnit.objects.values_list("id", "name"))
    offices: dict[int | None, str] = dict(Office.objects.values_list("id", "name"))
    units[None], offices[None] = NO_UNIT, NO_OFFICE
    return units, offices


def _region_zones() -> tuple[dict[str, str], dict[str, int]]:
    """The most common zone of each region's people, and how many people each region has."""
    per_zone = Counter(
        dict(Person.objects.values_list("timezone").annotate(n=Count("id")).order_by())
    )
    zones: dict[str, Counter[str]] = defaultdict(Counter)
    for zone, n in per_zone.items():
        zones[region_of(zone)][zone] += n
    return (
        {region: counts.most_common(1)[0][0] for region, counts in zones.items()},
        {region: sum(counts.values()) for region, counts in zones.items()},
    )


def _inside_workday(start: datetime, end: datetime, zone: zoneinfo.ZoneInfo) -> bool:
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    return (
        local_start.weekday() < 5
        and local_start.date() == local_end.date()
        and WORKDAY[0] <= local_start.time()
        and local_end.time() <= WORKDAY[1]
    )


def dashboard_figures(
    *, period: Period, now: datetime | None = None, evidence: dict | None = None
) -> dict:
    """Every dashboard figure for ``period`` (see the module docstring for definitions)."""
    now = now or timezone.now()
    occurrences = list(
        Occurrence.objects.filter(_ran(period, now)).values_list("id", "session_id", "start", "end")
    )
    duration = {pk: _hours(start, end) for pk, _, start, end in occurrences}
    session_ids = {session for _, session, _, _ in occurrences}
    in_period = (
        Q(occurrence__start__gte=period.start, occurrence__start__lt=period.end)
        & Q(occurrence__end__lte=now)
        & ~Q(occurrence__session__status=Session.Status.CANCELLED)
    )

    hours = {mode: 0.0 for mode in Attendance.Mode.values}
    attendances: Counter[str] = Counter()
    for occurrence_id, mode, n in (
        Attendance.objects.filter(in_period)
        .values_list("occurrence_id", "mode")
        .annotate(n=Count("id"))
        .order_by()
    ):
        hours[mode] += n * duration.get(occurrence_id, 0.0)
        attendances[mode] += n

    units, offices = _labels()
    region_zone, region_people = _region_zones()
    by_unit: Counter[str] = Counter()
    by_office: Counter[str] = Counter()
    by_region: Counter[str] = Counter()
    attendance_region: Counter[str] = Counter()
    learners = 0
    for unit, office, zone, people, n in (
        Attendance.objects.filter(in_period)
        .values_list("person__org_unit_id", "person__office_id", "person__timezone")
        .annotate(people=Count("person", distinct=True), n=Count("id"))
        .order_by()
    ):
        learners += people
        by_unit[units.get(unit, NO_UNIT)] += people
        by_office[offices.get(office, NO_OFFICE)] += people
        by_region[region_of(zone)] += people
        attendance_region[region_of(zone)] += n
    # A person has one (unit, office, zone), so summing distinct people per group is exact.
    org_people = Person.objects.count()
    going = Registration.objects.filter(in_period, status=Registration.Status.GOING).count()

    speaker_rows = Session.speakers.through.objects.filter(session_id__in=session_ids)
    speakers = set(speaker_rows.values_list("person_id", flat=True).distinct())
    first_time = (
        Session.speakers.through.objects.filter(person_id__in=speakers)
        .exclude(session__status=Session.Status.CANCELLED)
        .values("person_id")
        .annotate(first=Min("session__occurrences__start"))
        # django-stubs does not see the annotation on the auto-created through model's rows.
        .filter(first__gte=period.start)  # type: ignore[misc]
        .count()
    )

    zones = {region: zoneinfo.ZoneInfo(zone) for region, zone in region_zone.items()}
    inside: Counter[str] = Counter()
    for _, _, start, end in occurrences:
        for region, zone in zones.items():
            if _inside_workday(start, end, zone):
                inside[region] += 1
    total_attendance = sum(attendance_region.values())
    equity = [
        {
            "region": region,
            "zone": region_zone[region],
            "people": region_people.get(region, 0),
            "people_share": _pct(region_people.get(region, 0), org_people),
            "occurrences_inside": inside[region],
            "share_inside_working_hours": _pct(inside[region], len(occurrences)),
            "attendances": attendance_region[region],
            "attendance_share": _pct(attendance_region[region], total_attendance),
        }
        for region in REGIONS
        if region in region_zone
    ]
    live = attendances[Attendance.Mode.ROOM] + attendances[Attendance.Mode.ONLINE]

    def ranked(counter: Counter[str]) -> list[dict]:
        return [
            {"label": k, "learners": v}
            for k, v in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
        ]

    return {
        "period": period.to_dict(),
        "sessions_run": len(session_ids),
        "occurrences_run": len(occurrences),
        "learning_hours": {
            **{mode: round(h, 1) for mode, h in hours.items()},
            "total": round(sum(hours.values()), 1),
        },
        "attendances": dict(attendances),
        "unique_learners": learners,
        "org_people": org_people,
        "learner_share": _pct(learners, org_people),
        "reach": {
            "org_unit": ranked(by_unit),
            "office": ranked(by_office),
            "region": ranked(by_region),
        },
        "registrations_going": going,
        "live_attendances": live,
        "attendance_rate": _pct(live, going),
        "speakers_distinct": len(speakers),
        "speakers_first_time": first_time,
        "evidence": evidence,
        "equity": equity,
    }


def evidence_ladder(*, period: Period, session_ids: set[int] | None = None) -> dict:
    """How many sessions of the period have each kind of evidence, read through the feedback
    app's ``evidence_rows``: *observed* (attendance a speaker or an enabler recorded) and
    *self-reported* attendance (watching the recording, recorded by oneself), reaction,
    learning, application and results (Kirkpatrick levels 1–4, asked in surveys; only
    survey rounds of at least k responses count, as on the evidence page).

    Self-reports never count as observed: "I applied it" is the learner's own account
    (LTEM 3), not observed transfer. Observed application and results are 0 until something
    records them (completed tasks, figures a manager or a system enters).

    No viewer: the worker computes these for the rollups, and they are counts, never answers,
    so no anonymity rule is at stake; who reads the dashboard is checked when it is read.
    """
    rows = evidence_rows(since=period.start, limit=1_000_000)
    names = {1: "reaction", 2: "learning", 3: "application", 4: "results"}
    # Attendance people recorded for themselves (watching the recording) is their own
    # account: it counts as self-reported attendance, never as observed.
    self_reported = {"attendance": 0, **dict.fromkeys(names.values(), 0)}
    observed = {"attendance": 0, "application": 0, "results": 0}
    with_feedback = 0
    for row in rows:
        if session_ids is not None and row.session.pk not in session_ids:
            continue
        if row.attended:
            observed["attendance"] += 1
        if row.viewed_recording:
            self_reported["attendance"] += 1
        if row.has_feedback:
            with_feedback += 1
        for level, n in row.self_reported.items():
            if n and level in names:
                self_reported[names[level]] += 1
    return {
        "observed": observed,
        "self_reported": self_reported,
        "sessions_with_feedback": with_feedback,
    }


def session_ids_run(*, period: Period, now: datetime | None = None) -> set[int]:
    now = now or timezone.now()
    return set(
        Occurrence.objects.filter(_ran(period, now)).values_list("session_id", flat=True).distinct()
    )


# --- use of internal expertise -------------------------------------------------------------------


def expertise_figures(*, period: Period, now: datetime | None = None, limit: int = 100) -> dict:
    """Hours each expert shared (delivery + preparation estimate), audience reached
    (attendances at their sessions), org units reached, and experts whose sessions reached
    only their own unit."""
    now = now or timezone.now()
    occurrences = list(
        Occurrence.objects.filter(_ran(period, now)).values_list("id", "session_id", "start", "end")
    )
    delivery: dict[int, float] = defaultdict(float)
    first_duration: dict[int, float] = {}
    for _, session, start, end in sorted(occurrences, key=lambda r: r[2]):
        delivery[session] += _hours(start, end)
        first_duration.setdefault(session, _hours(start, end))
    speakers_of: dict[int, list[int]] = defaultdict(list)
    for session, speaker_id in Session.speakers.through.objects.filter(
        session_id__in=list(delivery)
    ).values_list("session_id", "person_id"):
        speakers_of[session].append(speaker_id)
    audience: dict[int, Counter[int | None]] = defaultdict(Counter)
    for session, unit, n in (
        Attendance.objects.filter(occurrence_id__in=[o[0] for o in occurrences])
        .values_list("occurrence__session_id", "person__org_unit_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        audience[session][unit] += n
    stats: dict[int, dict] = {}
    for session, speaker_ids in speakers_of.items():
        for speaker_id in speaker_ids:
            entry = stats.setdefault(
                speaker_id, {"delivery": 0.0, "preparation": 0.0, "audience": Counter()}
            )
            entry["delivery"] += delivery[session]
            entry["preparation"] += PREPARATION_RATIO * first_duration[session]
            entry["audience"].update(audience.get(session, {}))
    person_by_id = {
        p.pk: p
        for p in Person.objects.filter(pk__in=list(stats)).only(
            "id", "display_name", "slug", "org_unit_id"
        )
    }
    units, _ = _labels()
    rows = []
    for person_id, entry in stats.items():
        person = person_by_id[person_id]
        reached = {u for u, n in entry["audience"].items() if n}
        rows.append(
            {
                "person_id": person_id,
                "name": person.display_name,
                "slug": person.slug,
                "unit": units.get(person.org_unit_id, NO_UNIT),
                "delivery_hours": round(entry["delivery"], 1),
                "preparation_hours": round(entry["preparation"], 1),
                "hours_shared": round(entry["delivery"] + entry["preparation"], 1),
                "audience": sum(entry["audience"].values()),
                "units_reached": len(reached),
                "only_own_unit": bool(reached) and reached <= {person.org_unit_id},
            }
        )
    rows.sort(key=lambda r: (-r["hours_shared"], r["name"]))
    return {
        "period": period.to_dict(),
        "experts": len(rows),
        "hours_shared": round(sum(r["hours_shared"] for r in rows), 1),
        "rows": rows[:limit],
        "only_own_unit": [r for r in rows if r["only_own_unit"]][:limit],
    }


# --- collaboration network -------------------------------------------------------------------------


def network_figures(*, period: Period, now: datetime | None = None) -> dict:
    """Org units linked when people of one attend or teach sessions of another.

    A session belongs to its speakers' units. An edge's weight is the number of attendances
    (and co-teaching pairs) across the two units in the period. ``growth`` counts, per quarter
    over all time, links seen for the first time; ``bridging_circles`` ranks the circles whose
    sessions link the most distinct pairs of units.
    """
    now = now or timezone.now()
    session_units: dict[int, set[int]] = defaultdict(set)
    session_circle: dict[int, int | None] = {}
    for session, unit, circle in Session.speakers.through.objects.filter(
        person__org_unit__isnull=False
    ).values_list("session_id", "person__org_unit_id", "session__circle_id"):
        session_units[session].add(unit)
        session_circle[session] = circle

    weights: Counter[tuple[int, int]] = Counter()
    first_seen: dict[tuple[int, int], datetime] = {}
    circle_links: dict[int, set[tuple[int, int]]] = defaultdict(set)

    def link(a: int, b: int, n: int, quarter: datetime | None, session: int, current: bool) -> None:
        if a == b:
            return
        edge = (min(a, b), max(a, b))
        if current:
            weights[edge] += n
            circle = session_circle.get(session)
            if circle:
                circle_links[circle].add(edge)
        if quarter is not None and (edge not in first_seen or quarter < first_seen[edge]):
            first_seen[edge] = quarter

    rows = (
        Attendance.objects.filter(person__org_unit__isnull=False, occurrence__end__lte=now)
        .exclude(occurrence__session__status=Session.Status.CANCELLED)
        .values_list(
            "person__org_unit_id", "occurrence__session_id", TruncQuarter("occurrence__start")
        )
        .annotate(
            n=Count("id"),
            current=Count(
                "id",
                filter=Q(occurrence__start__gte=period.start, occurrence__start__lt=period.end),
            ),
        )
        .order_by()
    )
    for unit, session, quarter, _n, current in rows:
        for other in session_units.get(session, ()):
            link(unit, other, current, quarter, session, current > 0)
    teaching_quarters = dict(
        Occurrence.objects.filter(end__lte=now)
        .values("session_id")
        .annotate(first=Min("start"))
        .values_list("session_id", "first")
    )
    current_sessions = session_ids_run(period=period, now=now)
    for session, units_of in session_units.items():
        ordered = sorted(units_of)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                first = teaching_quarters.get(session)
                quarter = (
                    datetime(first.year, 3 * ((first.month - 1) // 3) + 1, 1, tzinfo=first.tzinfo)
                    if first
                    else None
                )
                link(a, b, 1, quarter, session, session in current_sessions)

    units, _ = _labels()
    # Units nobody belongs to (a division above its teams) cannot link; they are not "isolated".
    staffed = set(
        Person.objects.filter(org_unit__isnull=False)
        .values_list("org_unit_id", flat=True)
        .distinct()
    )
    all_units = [u for u in units if u is not None and u in staffed]
    linked = {u for edge in weights for u in edge}
    growth = Counter(q.date().isoformat()[:7] for q in first_seen.values())
    circles = dict(Circle.objects.filter(pk__in=list(circle_links)).values_list("id", "name"))
    return {
        "period": period.to_dict(),
        "units": [
            {"id": u, "name": units[u], "linked": u in linked}
            for u in sorted(all_units, key=lambda u: units[u])
        ],
        "edges": [
            {"a": units[a], "b": units[b], "a_id": a, "b_id": b, "weight": w}
            for (a, b), w in sorted(
                weights.items(), key=lambda kv: (-kv[1], units[kv[0][0]], units[kv[0][1]])
            )
        ],
        "isolated": sorted(units[u] for u in all_units if u not in linked),
        "growth": [{"quarter": q, "new_links": n} for q, n in sorted(growth.items())],
        "bridging_circles": [
            {"circle": circles.get(c, "?"), "unit_pairs": len(e)}
            for c, e in sorted(
                circle_links.items(), key=lambda kv: (-len(kv[1]), circles.get(kv[0], ""))
            )
        ],
    }
