"""The follow-up report of a conference, as an enabler and a leader read it: attendance per
talk and mode, feedback only where at least k answered (and never a total that subtracts to a
smaller group), the best-received talks, follow-ups, recordings and their collection, the ROI
inputs; members refused; a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, timedelta
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.conferences.models import Conference, ConferenceTalk
from knowflow.conferences.report import conference_recordings_collect, conference_report
from knowflow.conferences.services import conference_create, release_publish, talk_add, track_create
from knowflow.errors import DomainError, Forbidden
from knowflow.events.models import Attendance, Occurrence, Registration, Session
from knowflow.feedback.models import Kind
from knowflow.library.models import Collection, CollectionItem, Resource
from tests.conftest import signed_in
from tests.factories import make_occurrence, make_office, make_person, make_room, make_session
from tests.feedback.helpers import GOOD, answer_all, attend, people

pytestmark = pytest.mark.django_db

# A response of GOOD gives 4 judged answers, 2 meeting the standard (✓) and 2 above it (★)
# (the programme view's own sums, test_the_talks_figures_are_the_programme_views).
FOLLOW_UP = {
    "applied": "regularly",
    "how_often": "weekly",
    "result": "clear",
    "hours_saved": "4",
    "hours_confidence": "50",
    "hours_attribution": "50",
}
NOT_APPLIED = {**FOLLOW_UP, "applied": "not_yet"}


@dataclass
class Past:
    enabler: Person
    conference: Conference
    talks: list[ConferenceTalk]
    occurrences: list[Occurrence]


def past_conference(
    *, talks: int = 3, slug: str = "devdays", name: str = "DevDays", enabler: Person | None = None
) -> Past:
    """A two-day conference that ended yesterday: `talks` talks of 45 minutes, one an hour
    from two days ago, in two rooms, every other one also online."""
    enabler = enabler or make_person(role=Person.Role.ENABLER, name="Erin Enabler")
    today = timezone.localdate()
    conference = conference_create(
        actor=enabler,
        name=name,
        slug=slug,
        timezone="Europe/Berlin",
        starts_on=today - timedelta(days=2),
        ends_on=today - timedelta(days=1),
    )
    track = track_create(actor=enabler, conference=conference, name="Platform")
    office = make_office(name=f"Office of {slug}")
    rooms = [make_room(office=office, name="Hopper"), make_room(office=office, name="Lovelace")]
    first = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(days=2)
    made, occurrences = [], []
    for n in range(talks):
        session = make_session(
            title=f"Talk {n + 1:02d}",
            status=Session.Status.DONE,
            speakers=[make_person(name=f"Speaker {n + 1}")],
        )
        occurrences.append(
            make_occurrence(
                session=session,
                start=first + timedelta(hours=n),
                minutes=45,
                room=rooms[n % 2],
                online_url="https://meet.example.org/devdays" if n % 2 == 0 else "",
            )
        )
        made.append(talk_add(actor=enabler, conference=conference, session=session, track=track))
    return Past(enabler=enabler, conference=conference, talks=made, occurrences=occurrences)


def register(occurrence: Occurrence, persons: list[Person]) -> None:
    Registration.objects.bulk_create(
        Registration(
            occurrence=occurrence,
            person=p,
            status=Registration.Status.GOING,
            requested_at=occurrence.start - timedelta(days=7),
        )
        for p in persons
    )


def recording(session: Session, title: str) -> Resource:
    return Resource.objects.create(
        kind=Resource.Kind.RECORDING,
        title=title,
        slug=title.lower().replace(" ", "-"),
        url="https://video.example.org/" + title.lower().replace(" ", "-"),
        session=session,
    )


class _Tables(HTMLParser):
    """Each table of a page by id: its rows (head, body and foot), each a list of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.current: str | None = None
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.in_svg = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.current = dict(attrs).get("id") or ""
            self.tables[self.current] = []
        elif tag == "tr" and self.current is not None:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []
        elif tag == "svg":
            self.in_svg += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self.in_svg -= 1
        elif tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.row is not None and self.current is not None:
            self.tables[self.current].append(self.row)
            self.row = None
        elif tag == "table":
            self.current = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None and not self.in_svg:
            self.cell.append(data)


def tables(html: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def report_page(viewer: Person, slug: str = "devdays") -> str:
    response = signed_in(viewer).get(f"/conferences/{slug}/report/")
    assert response.status_code == 200
    return response.content.decode()


def test_attendance_per_talk_and_mode_with_registrations_and_totals() -> None:
    past = past_conference(talks=2)
    first, second = past.occurrences
    registered = people(6)
    register(first, registered)
    attend(first, registered[:3], Attendance.Mode.ROOM)
    attend(first, registered[3:4], Attendance.Mode.ONLINE)
    attend(first, people(2), Attendance.Mode.RECORDING)  # not registered: watched later
    attend(second, people(4), Attendance.Mode.ROOM)  # came without registering

    page = report_page(past.enabler)

    assert tables(page)["attendance-table"] == [
        [
            "Talk",
            "Registered",
            "Came, of those registered",
            "In the room",
            "Online",
            "Watched the recording",
            "All modes",
        ],
        [f"Talk 01 {_when(first)}", "6", "4", "3", "1", "2", "6"],
        [f"Talk 02 {_when(second)}", "0", "0", "4", "0", "0", "4"],
        ["All talks", "6", "4", "7", "1", "2", "10"],
    ]
    assert (
        "<strong>10</strong> <span>people attended (10 attendances: 7 in the room, 1 online, "
        "2 watched the recording)</span>" in page
    )


def _when(occurrence: Occurrence) -> str:
    local = timezone.localtime(occurrence.start)
    return f"{local:%a} {local.day} {local:%b, %H:%M} {local.tzname()}"


def test_a_talk_with_too_few_responses_shows_no_distribution_and_says_why() -> None:
    past = past_conference(talks=2)
    answered, few = past.occurrences
    attend(answered, people(5))
    attend(few, people(4))
    answer_all(answered, GOOD)
    answer_all(few, GOOD)

    rows = tables(report_page(past.enabler))["feedback-table"]

    assert rows == [
        ["Talk", "Responses", "Standards", "✗ Below", "✓ Meets", "★ Above"],
        ["Talk 01", "5", "", "0%", "50%", "50%"],
        ["Talk 02", "Too few responses to show: fewer than 5 people answered."],
        ["All talks shown (1)", "5", "", "0%", "50%", "50%"],
    ]


def test_the_conference_total_minus_the_talks_shown_reveals_no_small_group() -> None:
    # 5 answered talk 1 and 2 answered talk 2: a total of 7 would give away the 2 (7 − 5).
    past = past_conference(talks=2)
    shown, small = past.occurrences
    attend(shown, people(5))
    attend(small, people(2))
    answer_all(shown, GOOD)
    answer_all(small, {**GOOD, "apply_now": "not_at_all"})

    report = conference_report(viewer=past.enabler, conference=past.conference)
    page = report_page(past.enabler)
    found = tables(page)

    assert (report.feedback.n, report.feedback.talks, report.hidden) == (5, 1, 1)
    assert (report.feedback.unacceptable, report.feedback.acceptable) == (0, 10)
    # Every total on the page equals the sum of the talks it shows: total − talks = 0.
    assert found["feedback-table"][-1][:2] == ["All talks shown (1)", "5"]
    assert ["Responses after the session", "5", "talks with at least 5 responses"] in found[
        "roi-table"
    ]
    assert "of the judged answers meet the standard or better, from 5 responses to 1 talk" in page
    # The small talk's answers (its "not at all") are in no figure: no share below standard.
    assert found["feedback-table"][1][3] == "0%"
    assert "7" not in [row[1] for row in found["feedback-table"][1:]]


def test_best_received_talks_rank_only_talks_with_k_responses_showing_their_size() -> None:
    past = past_conference(talks=3)
    good, better, few = past.occurrences
    attend(good, people(6))
    attend(better, people(5))
    attend(few, people(3))
    answer_all(good, {**GOOD, "apply_now": "awareness"})  # one answer in four below the standard
    answer_all(better, GOOD)
    answer_all(few, GOOD)

    rows = tables(report_page(past.enabler))["best-table"]

    assert rows == [
        ["Rank", "Talk", "Meet the standard or better", "Above the standard", "Responses"],
        ["1", "Talk 02 by Speaker 2", "100%", "50%", "5"],
        ["2", "Talk 01 by Speaker 1", "75%", "25%", "6"],
    ]


def test_no_talk_with_enough_responses_ranks_none_and_says_how_many_are_needed() -> None:
    past = past_conference(talks=1)
    attend(past.occurrences[0], people(4))
    answer_all(past.occurrences[0], GOOD)

    page = report_page(past.enabler)

    assert "best-table" not in tables(page)
    assert (
        "No talk has enough responses yet: a talk is ranked once at least 5 people have "
        "answered its survey." in page
    )


def test_follow_ups_show_who_applied_it_only_for_talks_with_k_answers() -> None:
    past = past_conference(talks=2)
    first, second = past.occurrences
    attend(first, people(5))
    attend(second, people(5))
    answers = iter([FOLLOW_UP, FOLLOW_UP, FOLLOW_UP, NOT_APPLIED, NOT_APPLIED])
    from knowflow.feedback.services.responses import survey_response_submit
    from tests.feedback.helpers import open_requests

    for request, _ in open_requests(first, kind=Kind.FOLLOW_UP_30).values():
        survey_response_submit(request=request, answers=next(answers))
    # Only 3 of the second talk's 5 answer at +30: too few.
    for request, _ in list(open_requests(second, kind=Kind.FOLLOW_UP_30).values())[:3]:
        survey_response_submit(request=request, answers=FOLLOW_UP)

    rows = tables(report_page(past.enabler))["follow-up-table"]

    # The +90 round has not gone out: it says so rather than "too few".
    assert rows[1:] == [
        ["Talk 01", "5", "60%", "not sent yet"],
        ["Talk 02", "too few responses", "not sent yet"],
        ["All talks shown", "5", "60%", "not sent yet"],
    ]


def test_the_talks_figures_are_the_programme_views() -> None:
    """The report reads the feedback app's programme view: a talk's row is that view's row of
    its session, and the same k."""
    from knowflow.feedback.selectors.programme import ProgrammeFilters, programme_view

    past = past_conference(talks=2)
    attend(past.occurrences[0], people(5))
    answer_all(past.occurrences[0], GOOD)

    report = conference_report(viewer=past.enabler, conference=past.conference)
    view = programme_view(viewer=past.enabler, filters=ProgrammeFilters())
    (row,) = view.rows

    figures = report.talks[0].after_session
    assert figures is not None
    mine = (figures.n, figures.unacceptable, figures.acceptable, figures.superior)
    assert mine == (row.n, row.unacceptable, row.acceptable, row.superior) == (5, 0, 10, 10)
    assert report.talks[1].after_session is None


def test_roi_inputs_count_talks_speaker_and_attendee_hours_by_mode() -> None:
    past = past_conference(talks=2)
    first, second = past.occurrences
    attend(first, people(4), Attendance.Mode.ROOM)
    attend(first, people(2), Attendance.Mode.ONLINE)
    attend(second, people(1), Attendance.Mode.RECORDING)

    rows = tables(report_page(past.enabler))["roi-table"]

    assert rows[1:9] == [
        ["Talks given", "2", "talks with a date that has ended"],
        ["Speakers", "2", "the talks' speakers"],
        ["Speaker hours delivering", "1.5", "each date's length × its speakers"],
        [
            "Speaker hours, first delivery of each talk",
            "1.5",
            "a study estimates preparation as these × its preparation ratio",
        ],
        ["Attendee hours: in the room", "3.0", "4 attendance records × the date's length"],
        ["Attendee hours: online", "1.5", "2 attendance records × the date's length"],
        ["Attendee hours: watched the recording", "0.8", "1 attendance record × the date's length"],
        ["Responses after the session", "0", "talks with at least 5 responses"],
    ]


def test_roi_inputs_link_the_roi_workspace_with_the_conferences_period() -> None:
    past = past_conference(talks=1)

    page = report_page(past.enabler)

    day = past.occurrences[0].start.astimezone(UTC).date()  # an ROI study's days are UTC
    assert (
        f'<a href="/insights/roi/">start an ROI study</a> with the scope “A period” from '
        f"{day.day} {day:%B %Y} to {day.day} {day:%B %Y}." in page
    )


def test_a_member_is_refused_the_report_and_the_collection_and_nothing_changes() -> None:
    past = past_conference(talks=1)
    recording(past.talks[0].session, "Talk 01 video")
    member = make_person()
    client = signed_in(member)

    read = client.get("/conferences/devdays/report/")
    collect = client.post("/conferences/devdays/report/")

    assert read.status_code == 403
    assert "The follow-up report of a conference is for enablers and leaders." in (
        read.content.decode()
    )
    assert collect.status_code == 403
    assert Collection.objects.count() == 0
    with pytest.raises(Forbidden, match="for enablers and leaders"):
        conference_report(viewer=member, conference=past.conference)


def test_a_leader_reads_the_report_without_a_talks_results_or_the_collect_button() -> None:
    past = past_conference(talks=1)
    recording(past.talks[0].session, "Talk 01 video")
    attend(past.occurrences[0], people(5))
    answer_all(past.occurrences[0], GOOD)
    leader = make_person(role=Person.Role.LEADER)

    page = report_page(leader)
    refused = signed_in(leader).post("/conferences/devdays/report/")

    assert tables(page)["feedback-table"][1][:2] == ["Talk 01", "5"]
    assert "/feedback/sessions/" not in page
    assert "Put the recordings in a library collection" not in page
    assert refused.status_code == 403
    assert "Only enablers put the recordings of a conference in the library." in (
        refused.content.decode()
    )
    assert Collection.objects.count() == 0
    # The enabler's page links each talk to its own results.
    assert f'href="/feedback/sessions/{past.talks[0].session.slug}/"' in report_page(past.enabler)


def test_collecting_the_recordings_is_idempotent_and_adds_only_new_ones() -> None:
    past = past_conference(talks=3)
    first, second, third = (t.session for t in past.talks)
    recording(second, "Talk 02 video")
    recording(first, "Talk 01 video")
    Resource.objects.create(kind=Resource.Kind.SLIDES, title="Slides", slug="slides", session=first)
    client = signed_in(past.enabler)

    made = client.post("/conferences/devdays/report/", follow=True)
    again = client.post("/conferences/devdays/report/", follow=True)
    recording(third, "Talk 03 video")
    more = conference_recordings_collect(actor=past.enabler, conference=past.conference)

    (collection,) = Collection.objects.all()
    assert collection.title == "DevDays recordings"
    assert collection.owner == past.enabler
    assert "“DevDays recordings” is in the library with 2 recordings." in made.content.decode()
    assert "“DevDays recordings” already holds every recording: nothing changed." in (
        again.content.decode()
    )
    assert (more.created, more.added) == (False, 1)
    # In programme order, each once; the slides are not a recording.
    assert list(
        CollectionItem.objects.filter(collection=collection)
        .order_by("position")
        .values_list("resource__title", flat=True)
    ) == ["Talk 01 video", "Talk 02 video", "Talk 03 video"]
    page = report_page(past.enabler)
    assert (
        f'In the library as the collection <a href="/library/collections/{collection.slug}/">'
        "DevDays recordings</a>." in page
    )
    assert tables(page)["recordings-table"][1:] == [
        ["Talk 01", "Talk 01 video"],
        ["Talk 02", "Talk 02 video"],
        ["Talk 03", "Talk 03 video"],
    ]


def test_collecting_without_any_recording_is_refused_and_writes_nothing() -> None:
    past = past_conference(talks=2)

    response = signed_in(past.enabler).post("/conferences/devdays/report/", follow=True)

    assert (
        "No talk of DevDays has a recording in the library yet: there is nothing to put in a "
        "collection." in response.content.decode()
    )
    assert Collection.objects.count() == 0
    with pytest.raises(DomainError):
        conference_recordings_collect(actor=past.enabler, conference=past.conference)


def test_a_non_enabler_cannot_collect_through_the_service_either() -> None:
    past = past_conference(talks=1)
    recording(past.talks[0].session, "Talk 01 video")

    for role in (Person.Role.LEADER, Person.Role.MEMBER):
        with pytest.raises(Forbidden, match="Only enablers"):
            conference_recordings_collect(actor=make_person(role=role), conference=past.conference)

    assert Collection.objects.count() == 0


def test_the_programme_links_the_report_for_enablers_and_leaders_only() -> None:
    past = past_conference(talks=1)
    release_publish(actor=past.enabler, conference=past.conference)
    link = 'href="/conferences/devdays/report/"'

    pages = {
        role: signed_in(make_person(role=role)).get("/conferences/devdays/").content.decode()
        for role in (Person.Role.ENABLER, Person.Role.LEADER, Person.Role.MEMBER)
    }

    assert {role: link in page for role, page in pages.items()} == {
        Person.Role.ENABLER: True,
        Person.Role.LEADER: True,
        Person.Role.MEMBER: False,
    }


def _filled(talks: int, slug: str) -> Past:
    """A conference whose talks each have registrations, attendance in every mode and a
    recording; the first has enough answers to show (8), the second too few (3)."""
    past = past_conference(talks=talks, slug=slug, name=slug.title())
    for n, (talk, occurrence) in enumerate(zip(past.talks, past.occurrences, strict=True)):
        who = people(2)
        register(occurrence, who)
        attend(occurrence, who[:1], Attendance.Mode.ROOM)
        attend(occurrence, who[1:], Attendance.Mode.ONLINE)
        attend(occurrence, people(1), Attendance.Mode.RECORDING)
        recording(talk.session, f"{slug} video {n}")
    attend(past.occurrences[0], people(5))
    answer_all(past.occurrences[0], GOOD)
    answer_all(past.occurrences[1], GOOD)
    return past


def test_the_report_takes_the_same_number_of_queries_for_3_and_30_talks() -> None:
    small = _filled(3, "small-conf")
    large = _filled(30, "large-conf")
    counts = []
    for past in (small, large):
        with CaptureQueriesContext(connection) as queries:
            report = conference_report(viewer=small.enabler, conference=past.conference)
        counts.append(len(queries))
        assert report.feedback.talks == 1
    client = signed_in(small.enabler)
    pages = []
    for slug in ("small-conf", "large-conf"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/conferences/{slug}/report/").status_code == 200
        pages.append(len(queries))

    assert counts[0] == counts[1]
    assert counts[0] <= 20
    assert pages[0] == pages[1]


def test_a_talk_not_given_yet_says_so_rather_than_too_few_responses() -> None:
    from tests.conferences.conftest import build_conference
    from tests.conftest import signed_in

    built = build_conference(talks=1)  # June 2030: not given yet
    page = signed_in(built.enabler).get("/conferences/devdays/report/").content.decode()
    assert "Not given yet." in page
    assert "Too few responses to show" not in page
