"""The follow-up report of a conference: attendance per talk and mode, the attendees' feedback
and follow-ups, the recordings and the figures an ROI study needs; and the one change it
offers, putting the recordings in a library collection.

Nothing here computes a figure from answers itself. Every feedback figure comes from the
feedback app's programme view (`feedback.selectors.programme.programme_view`, grouped by
session), which returns a session only when its own results page shows it (at least k
responses, and its "applied" answers only where at least k gave one). The conference's totals
are sums of those rows and of nothing else: a talk with too few responses is counted in no
total, so "the conference minus the talks shown" is always zero and never a small group.
Attendance and registrations are not anonymous (organisers record them by name), so they are
shown as they are.

A fixed number of queries whatever the number of talks (a test pins it).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db import transaction
from django.db.models import Count, Exists, Min, OuterRef, Prefetch, Q
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.conferences.models import Conference, ConferenceTalk
from knowflow.conferences.permissions import can_collect_recordings, can_read_report
from knowflow.errors import DomainError, Forbidden
from knowflow.events.models import Attendance, Occurrence, Registration, Session
from knowflow.events.selectors import occurrence_counts
from knowflow.feedback.models import FOLLOW_UP_DAYS, Kind, Standard, SurveyRequest
from knowflow.feedback.selectors.anonymity import TOO_FEW, min_group
from knowflow.feedback.selectors.programme import ProgrammeFilters, ProgrammeRow, programme_view
from knowflow.feedback.selectors.roi_inputs import follow_up_claims
from knowflow.library.models import Collection, Resource
from knowflow.library.services import collection_create, collection_item_add

REPORT_REFUSED = "The follow-up report of a conference is for enablers and leaders."
COLLECT_REFUSED = "Only enablers put the recordings of a conference in the library."
MODES = [(mode.value, mode.label) for mode in Attendance.Mode]
# The surveys the report reads, in the order it shows them.
FOLLOW_UPS = (Kind.FOLLOW_UP_30, Kind.FOLLOW_UP_90)
BEST_SHOWN = 5
# The programme view lists the first `limit` sessions of the period; the report wants every
# talk, so it asks for more sessions than a conference's few days can hold.
ALL_SESSIONS = 100_000


@dataclass
class FeedbackFigures:
    """One survey's figures for a talk or the conference: a programme-view row (or a sum of
    such rows), or None where the talk's results page would say "too few responses"."""

    n: int = 0
    unacceptable: int = 0
    acceptable: int = 0
    superior: int = 0
    applied_asked: int = 0
    applied_yes: int = 0
    talks: int = 0  # talks counted (for a sum)

    @classmethod
    def of(cls, row: ProgrammeRow) -> FeedbackFigures:
        return cls(
            n=row.n,
            unacceptable=row.unacceptable,
            acceptable=row.acceptable,
            superior=row.superior,
            applied_asked=row.applied_asked,
            applied_yes=row.applied_yes,
            talks=1,
        )

    def add(self, other: FeedbackFigures) -> None:
        self.n += other.n
        self.unacceptable += other.unacceptable
        self.acceptable += other.acceptable
        self.superior += other.superior
        self.applied_asked += other.applied_asked
        self.applied_yes += other.applied_yes
        self.talks += other.talks

    @property
    def judged(self) -> int:
        return self.unacceptable + self.acceptable + self.superior

    def share(self, standard: str) -> float | None:
        return getattr(self, standard) / self.judged if self.judged else None

    @property
    def unacceptable_share(self) -> float | None:
        return self.share(Standard.UNACCEPTABLE)

    @property
    def acceptable_share(self) -> float | None:
        return self.share(Standard.ACCEPTABLE)

    @property
    def superior_share(self) -> float | None:
        return self.share(Standard.SUPERIOR)

    @property
    def meeting_share(self) -> float | None:
        """Share of the judged answers that meet the standard or do better."""
        return (self.acceptable + self.superior) / self.judged if self.judged else None

    @property
    def applied_share(self) -> float | None:
        """Share of the "applied" answers saying so; None where fewer than k answered it."""
        return self.applied_yes / self.applied_asked if self.applied_asked else None


@dataclass
class TalkReport:
    talk: ConferenceTalk
    session: Session
    occurrences: list[Occurrence]
    speakers: list[Person]
    registered: int = 0
    waitlisted: int = 0
    attended: dict[str, int] = field(default_factory=dict)  # by attendance mode
    came_registered: int = 0  # registered people who came, in the room or online
    speaker_hours: float = 0.0
    attendee_hours: dict[str, float] = field(default_factory=dict)
    # None: too few responses (or none) for the talk's results page to show them.
    feedback: dict[str, FeedbackFigures | None] = field(default_factory=dict)
    recordings: list[Resource] = field(default_factory=list)
    # Per follow-up survey: whether it has gone out to anyone for a date of the talk yet.
    follow_up_sent: dict[str, bool] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.session.title

    @property
    def start(self) -> datetime | None:
        return self.occurrences[0].start if self.occurrences else None

    @property
    def given(self) -> bool:
        """Whether a date of the talk has ended (before that nobody can have answered)."""
        now = timezone.now()
        return any(o.end <= now for o in self.occurrences)

    @property
    def attended_total(self) -> int:
        return sum(self.attended.values())

    @property
    def after_session(self) -> FeedbackFigures | None:
        return self.feedback.get(Kind.AFTER_SESSION)


@dataclass
class FollowUpRound:
    kind: str
    label: str
    days: int
    total: FeedbackFigures
    due_on: date | None  # when it goes out for the last talk given (None: no talk given)

    sent: bool = False  # gone out for at least one talk

    @property
    def due(self) -> bool:
        return self.due_on is not None and self.due_on <= timezone.localdate()


@dataclass
class RoiInputs:
    """What an ROI study of the conference starts from (the insights ROI workspace computes
    costs and benefits from the same records; this says what there is to count)."""

    talks_given: int
    speakers: int
    speaker_hours: float
    first_delivery_hours: float
    attendee_hours: dict[str, float]
    attendances: dict[str, int]
    responses: dict[str, int]  # per survey, the shown talks' responses only
    hours_saved_answers: int  # follow-up answers an ROI study can count (closed rounds of ≥ k)
    hours_saved_talks: int
    period_start: date | None
    period_end: date | None

    @property
    def attendee_hours_total(self) -> float:
        return sum(self.attendee_hours.values())


@dataclass
class ConferenceReport:
    conference: Conference
    k: int
    talks: list[TalkReport]
    attended: dict[str, int]
    registered: int
    waitlisted: int
    came_registered: int
    people: int  # different people who attended a talk, any mode
    feedback: FeedbackFigures  # after-session: a sum of the shown talks only
    hidden: int  # talks whose after-session answers are too few to show
    best: list[TalkReport]
    follow_ups: list[FollowUpRound]
    collection: Collection | None
    roi: RoiInputs
    ended: bool
    link_results: bool  # the viewer may open each talk's own results page
    can_collect: bool
    too_few: str = TOO_FEW

    @property
    def attended_total(self) -> int:
        return sum(self.attended.values())

    @property
    def recordings(self) -> int:
        return sum(len(t.recordings) for t in self.talks)

    @property
    def talks_with_recording(self) -> int:
        return sum(1 for t in self.talks if t.recordings)


def collection_title(conference: Conference) -> str:
    """The name the conference's recordings collection is made with."""
    return f"{conference.name} recordings"


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _hours(occurrence: Occurrence) -> float:
    return (occurrence.end - occurrence.start).total_seconds() / 3600


def _talks(conference: Conference) -> list[ConferenceTalk]:
    """The talks with their session, track, dates (not cancelled) and speakers: three queries."""
    return list(
        ConferenceTalk.objects.filter(conference=conference)
        .select_related("session", "track")
        .prefetch_related(
            Prefetch(
                "session__occurrences",
                queryset=Occurrence.objects.filter(cancelled_at__isnull=True).order_by(
                    "start", "id"
                ),
            ),
            Prefetch(
                "session__speakers",
                queryset=Person.objects.only("id", "display_name", "slug").order_by(
                    "display_name", "id"
                ),
            ),
        )
    )


def _feedback_rows(
    *, viewer: Person, kind: str, since: datetime, until: datetime, session_ids: set[int]
) -> dict[int, ProgrammeRow]:
    """The programme view's row of each talk's session for one survey: only sessions whose
    own results page shows them are there (two or three queries)."""
    view = programme_view(
        viewer=viewer,
        filters=ProgrammeFilters(kind=kind, group_by="session", since=since, until=until),
        limit=ALL_SESSIONS,
    )
    return {row.key: row for row in view.rows if row.visible and row.key in session_ids}


def _ranked(talks: list[TalkReport]) -> list[TalkReport]:
    """The best-received talks: among those whose answers are shown, the largest share of
    answers meeting the standard or better, then above it, then the larger sample."""
    shown = [t for t in talks if t.after_session is not None and t.after_session.judged]

    def key(t: TalkReport) -> tuple[float, float, int, str]:
        figures = t.after_session
        assert figures is not None
        return (
            -(figures.meeting_share or 0.0),
            -(figures.share(Standard.SUPERIOR) or 0.0),
            -figures.n,
            t.title.casefold(),
        )

    return sorted(shown, key=key)[:BEST_SHOWN]


def conference_report(*, viewer: Person, conference: Conference) -> ConferenceReport:
    """Everything the follow-up report shows, for an enabler or a leader.

    Attendance per talk and mode (registrations, attendances, registered people who came),
    each survey's figures per talk where the talk's results page shows them, the conference's
    sums of those, the best-received talks, the recordings in the library and the conference's
    recordings collection, and the inputs of an ROI study. Raises Forbidden for anyone else.
    A fixed number of queries whatever the number of talks.
    """
    if not can_read_report(actor=viewer):
        raise Forbidden(REPORT_REFUSED)
    k = min_group()
    now = timezone.now()
    talks = _talks(conference)
    reports: list[TalkReport] = []
    by_session: dict[int, TalkReport] = {}
    occurrence_of: dict[int, Occurrence] = {}
    for talk in talks:
        # A cancelled talk keeps its row, with nothing to count.
        cancelled = talk.session.status == Session.Status.CANCELLED
        occurrences = [] if cancelled else list(talk.session.occurrences.all())
        report = TalkReport(
            talk=talk,
            session=talk.session,
            occurrences=occurrences,
            speakers=list(talk.session.speakers.all()),
            attended={mode: 0 for mode, _ in MODES},
            attendee_hours={mode: 0.0 for mode, _ in MODES},
        )
        report.follow_up_sent = {kind: False for kind in FOLLOW_UPS}
        for occurrence in occurrences:
            occurrence_of[occurrence.pk] = occurrence
            if occurrence.end <= now:
                report.speaker_hours += _hours(occurrence) * len(report.speakers)
        reports.append(report)
        by_session[talk.session_id] = report
    reports.sort(key=lambda r: (r.start is None, r.start or now, r.title.casefold(), r.talk.pk))

    # Registrations (events' own count, one query) and attendances by mode (one query).
    counts = occurrence_counts(occurrences=list(occurrence_of.values())) if occurrence_of else {}
    for occurrence_id, count in counts.items():
        report = by_session[occurrence_of[occurrence_id].session_id]
        report.registered += count.get(Registration.Status.GOING, 0)
        report.waitlisted += count.get(Registration.Status.WAITLISTED, 0)
    registered_went = Registration.objects.filter(
        occurrence_id=OuterRef("occurrence_id"),
        person_id=OuterRef("person_id"),
        status=Registration.Status.GOING,
    )
    attendances = (
        Attendance.objects.filter(occurrence_id__in=list(occurrence_of))
        .annotate(had_registered=Exists(registered_went))
        .values("occurrence_id", "mode")
        .annotate(
            n=Count("id"),
            registered=Count(
                "id", filter=Q(had_registered=True) & ~Q(mode=Attendance.Mode.RECORDING)
            ),
        )
        .order_by()
    )
    for row in attendances if occurrence_of else []:
        occurrence = occurrence_of[row["occurrence_id"]]
        report = by_session[occurrence.session_id]
        mode = row["mode"]
        report.attended[mode] = report.attended.get(mode, 0) + row["n"]
        report.attendee_hours[mode] = report.attendee_hours.get(mode, 0.0) + row["n"] * _hours(
            occurrence
        )
        report.came_registered += row["registered"]
    people = (
        Attendance.objects.filter(occurrence_id__in=list(occurrence_of))
        .values("person_id")
        .distinct()
        .count()
        if occurrence_of
        else 0
    )

    # Which follow-ups have gone out (one query): "not sent yet" rather than "too few".
    for session_id, kind in (
        SurveyRequest.objects.filter(
            occurrence_id__in=list(occurrence_of),
            kind__in=FOLLOW_UPS,
            status__in=[
                SurveyRequest.Status.SENT,
                SurveyRequest.Status.ANSWERED,
                SurveyRequest.Status.EXPIRED,
            ],
        )
        .values_list("occurrence__session_id", "kind")
        .order_by()  # the model's ordering would add its column to DISTINCT
        .distinct()
        if occurrence_of
        else []
    ):
        by_session[session_id].follow_up_sent[kind] = True

    # Feedback: the programme view's rows of the talks' sessions, per survey.
    session_ids = set(by_session)
    starts = [o.start for o in occurrence_of.values()]
    since = min(starts) if starts else None
    kinds = (Kind.AFTER_SESSION, *FOLLOW_UPS)
    totals = {kind: FeedbackFigures() for kind in kinds}
    for kind in kinds:
        rows = (
            _feedback_rows(
                viewer=viewer,
                kind=kind,
                since=min(starts),
                until=max(starts) + timedelta(seconds=1),
                session_ids=session_ids,
            )
            if starts
            else {}
        )
        for session_id, report in by_session.items():
            shown = rows.get(session_id)
            figures = FeedbackFigures.of(shown) if shown is not None else None
            report.feedback[kind] = figures
            if figures is not None:
                # Sums of shown talks only: a hidden talk is in no total.
                totals[kind].add(figures)

    # Recordings in the library (one query) and the conference's collection (one query).
    for resource in (
        Resource.objects.filter(session_id__in=session_ids, kind=Resource.Kind.RECORDING)
        .only("id", "slug", "title", "kind", "session_id", "created_at")
        .order_by("-created_at", "-id")
    ):
        by_session[resource.session_id].recordings.append(resource)  # type: ignore[index]
    collection = (
        Collection.objects.filter(pk=conference.recordings_collection_id).first()
        if conference.recordings_collection_id
        else None
    )

    # Follow-up rounds: when each goes out for the last talk given.
    ends = [o.end for o in occurrence_of.values() if o.end <= now]
    last_end = max(ends) if ends else None
    follow_ups = [
        FollowUpRound(
            kind=kind,
            label=Kind(kind).label,
            days=FOLLOW_UP_DAYS[kind],
            total=totals[kind],
            due_on=timezone.localdate(last_end + timedelta(days=FOLLOW_UP_DAYS[kind]))
            if last_end
            else None,
            sent=any(r.follow_up_sent[kind] for r in reports),
        )
        for kind in FOLLOW_UPS
    ]

    # ROI inputs: the records an ROI study counts (hours-saved claims through feedback's
    # selector, which keeps only closed rounds where at least k answered).
    claims = (
        follow_up_claims(session_ids=session_ids, since=since, until=now)
        if since is not None
        else []
    )
    given = [r for r in reports if any(o.end <= now for o in r.occurrences)]
    first_delivery = 0.0
    for report in given:
        first = next(o for o in report.occurrences if o.end <= now)
        first_delivery += _hours(first) * len(report.speakers)
    attendee_hours = {mode: sum(r.attendee_hours[mode] for r in reports) for mode, _ in MODES}
    attended = {mode: sum(r.attended[mode] for r in reports) for mode, _ in MODES}
    roi = RoiInputs(
        talks_given=len(given),
        speakers=len({p.pk for r in given for p in r.speakers}),
        speaker_hours=sum(r.speaker_hours for r in reports),
        first_delivery_hours=first_delivery,
        attendee_hours=attendee_hours,
        attendances=attended,
        responses={kind: totals[kind].n for kind in kinds},
        hours_saved_answers=len(claims),
        hours_saved_talks=len({claim["session"] for claim in claims}),
        # As an ROI study reads its period: whole days in UTC.
        period_start=min(starts).astimezone(UTC).date() if starts else None,
        period_end=max(starts).astimezone(UTC).date() if starts else None,
    )
    return ConferenceReport(
        conference=conference,
        k=k,
        talks=reports,
        attended=attended,
        registered=sum(r.registered for r in reports),
        waitlisted=sum(r.waitlisted for r in reports),
        came_registered=sum(r.came_registered for r in reports),
        people=people,
        feedback=totals[Kind.AFTER_SESSION],
        hidden=sum(1 for r in reports if r.after_session is None),
        best=_ranked(reports),
        follow_ups=follow_ups,
        collection=collection,
        roi=roi,
        ended=bool(reports) and all(o.end <= now for r in reports for o in r.occurrences),
        # Only enablers open one session's own results (its comments and retrospective);
        # leaders read the aggregates, as on the programme feedback page.
        link_results=viewer.is_enabler,
        can_collect=can_collect_recordings(actor=viewer),
    )


@dataclass
class CollectResult:
    collection: Collection
    created: bool
    added: int


@transaction.atomic
def conference_recordings_collect(*, actor: Person, conference: Conference) -> CollectResult:
    """Put the recordings of the conference's talks in its library collection ("<name>
    recordings"), made the first time through the library's own services and kept on the
    conference (a collection someone else names alike is never taken for it; a deleted one is
    made again); only recordings not in it yet are added, in programme order. Running
    it again adds nothing (idempotent). Enablers only; refused with nothing written when no
    talk has a recording in the library.

    Takes the conference's row lock first, so two organisers pressing the button at once make
    one collection, not two."""
    if not can_collect_recordings(actor=actor):
        raise Forbidden(COLLECT_REFUSED)
    locked = Conference.objects.select_for_update().get(pk=conference.pk)
    talks = list(
        ConferenceTalk.objects.filter(conference=locked)
        .select_related("session")
        .annotate(
            first_start=Min(
                "session__occurrences__start",
                filter=Q(session__occurrences__cancelled_at__isnull=True),
            )
        )
        .order_by("first_start", "session__title", "id")
    )
    recordings: dict[int, list[Resource]] = defaultdict(list)
    for resource in Resource.objects.filter(
        session_id__in=[t.session_id for t in talks], kind=Resource.Kind.RECORDING
    ).order_by("created_at", "id"):
        recordings[resource.session_id].append(resource)  # type: ignore[index]
    wanted = [r for t in talks for r in recordings.get(t.session_id, [])]
    if not wanted:
        raise DomainError(
            f"No talk of {locked.name} has a recording in the library yet: there is nothing to "
            "put in a collection."
        )
    title = collection_title(locked)
    collection = (
        Collection.objects.filter(pk=locked.recordings_collection_id).first()
        if locked.recordings_collection_id
        else None
    )
    created = collection is None
    if collection is None:
        collection = collection_create(
            actor=actor,
            title=title,
            kind=Collection.Kind.COLLECTION,
            description=(
                f"The recordings of the talks of {locked.name} "
                f"({_day(locked.starts_on)} – {_day(locked.ends_on)}), in programme order."
            ),
        )
        locked.recordings_collection = collection
        locked.save(update_fields=["recordings_collection"])
    held = set(
        collection.items.filter(resource__isnull=False).values_list("resource_id", flat=True)
    )
    added = 0
    for resource in wanted:
        if resource.pk not in held:
            collection_item_add(collection=collection, actor=actor, resource=resource)
            added += 1
    return CollectResult(collection=collection, created=created, added=added)
