"""What works: the figures on a small programme computed by hand, the anonymity rules
(minimum group, subtraction, filters), run this again, permissions and the page's queries.

The programme (k = 5, after-session survey), period 2025-01-01 to 2025-06-30:

- A "Contract testing", a workshop by Ana, topic Testing: one date 2025-03-04 09:00 UTC,
  90 min, room + link (hybrid); 8 going and 6 attended, all in Berlin (10:00 local: morning,
  EMEA); 10 responses, judged 4 below / 16 at / 20 above the standard.
- B "Tracing 101", a talk by Ben: 2025-04-08 18:00 UTC, 45 min, online; 10 going, 5 attended,
  all in New York (14:00 local: afternoon, AMER); 6 responses, judged 6 / 12 / 6.
- C "Tokyo talk", a talk by Ben, topic Lonely: 2025-04-09 01:00 UTC, 30 min, online; 4 going
  and attended in Tokyo (APAC); 2 responses: below k, never counted.
- D "Two dates" by Dee: 2025-05-06 13:00 (6 responses) and 18:00 UTC (2 responses), EMEA. Its
  results page by date shows neither (the 2 hidden would be "total minus the 6"), so neither
  counts here.

Counted: A and B. Totals: 2 dates of 5 run; going 18, attended 11 → 61.1 %; 16 responses,
judged 64, meeting the standard 20 + 12 + 16 + 6... = (16 + 20) + (12 + 6) = 54 → 84.4 %;
above 26 → 40.6 %.
"""

from __future__ import annotations

import html as markup
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from knowflow.accounts.models import Person
from knowflow.errors import DomainError, Forbidden
from knowflow.events.models import Attendance, Occurrence, Registration, Session
from knowflow.feedback.models import Response, ResponseTally, SessionTally
from knowflow.insights import run_again
from knowflow.insights.selectors.patterns import PatternFilters, patterns_for
from knowflow.insights.selectors.periods import period_from
from tests.conftest import signed_in
from tests.factories import (
    make_occurrence,
    make_person,
    make_response_tally,
    make_room,
    make_session,
    make_topic,
)

pytestmark = pytest.mark.django_db
PERIOD = period_from(start=date(2025, 1, 1), end=date(2025, 6, 30))
QUERY = "?start=2025-01-01&end=2025-06-30"


@dataclass
class Fixture:
    enabler: Person
    leader: Person
    member: Person
    ana: Person
    ben: Person
    a: Session
    b: Session
    c: Session
    d: Session


def _date(session: Session, start: datetime, minutes: int, *, room: bool = False) -> Occurrence:
    occurrence = make_occurrence(
        session=session, start=start, minutes=minutes, room=make_room() if room else None
    )
    return occurrence


def _audience(occurrence: Occurrence, tz: str, going: int, attended: int) -> None:
    for i in range(going):
        person = make_person(tz=tz)
        Registration.objects.create(
            occurrence=occurrence, person=person, status="going", requested_at=occurrence.start
        )
        if i < attended:
            Attendance.objects.create(occurrence=occurrence, person=person, mode="room")


@pytest.fixture
def fx(db: None) -> Fixture:
    return build_programme()


def build_programme() -> Fixture:
    """The programme of the module docstring."""
    enabler = make_person(role=Person.Role.ENABLER, name="Erin Enabler", tz="Europe/Berlin")
    leader = make_person(role=Person.Role.LEADER, name="Lee Leader", tz="Europe/Berlin")
    member = make_person(name="Mo Member", tz="Europe/Berlin")
    ana = make_person(name="Ana Host", tz="Europe/Berlin")
    ben = make_person(name="Ben Host", tz="America/New_York")
    dee = make_person(name="Dee Host", tz="Europe/Berlin")
    testing, lonely = make_topic("Testing"), make_topic("Lonely")
    done = Session.Status.DONE
    a = make_session(
        title="Contract testing",
        abstract="Pacts *between* services.",
        speakers=[ana],
        format="workshop",
        level="intermediate",
        status=done,
    )
    a.topics.set([testing])
    b = make_session(title="Tracing 101", speakers=[ben], format="talk", status=done)
    c = make_session(title="Tokyo talk", speakers=[ben], format="talk", status=done)
    c.topics.set([lonely])
    d = make_session(title="Two dates", speakers=[dee], format="talk", status=done)

    a1 = _date(a, datetime(2025, 3, 4, 9, tzinfo=UTC), 90, room=True)
    _audience(a1, "Europe/Berlin", 8, 6)
    make_response_tally(occurrence=a1, responses=10, unacceptable=4, acceptable=16, superior=20)
    b1 = _date(b, datetime(2025, 4, 8, 18, tzinfo=UTC), 45)
    _audience(b1, "America/New_York", 10, 5)
    make_response_tally(occurrence=b1, responses=6, unacceptable=6, acceptable=12, superior=6)
    c1 = _date(c, datetime(2025, 4, 9, 1, tzinfo=UTC), 30)
    _audience(c1, "Asia/Tokyo", 4, 4)
    make_response_tally(occurrence=c1, responses=2, acceptable=4)
    d1 = _date(d, datetime(2025, 5, 6, 13, tzinfo=UTC), 60)
    _audience(d1, "Europe/Berlin", 6, 6)
    make_response_tally(occurrence=d1, responses=6, unacceptable=12)
    d2 = _date(d, datetime(2025, 5, 6, 18, tzinfo=UTC), 60)
    _audience(d2, "Europe/Berlin", 2, 2)
    make_response_tally(occurrence=d2, responses=2, superior=4)
    return Fixture(enabler, leader, member, ana, ben, a, b, c, d)


def rows(found: object, dimension: str) -> list[tuple]:
    return [
        (
            r.label,
            r.dates,
            r.going,
            r.attended,
            r.attendance_rate,
            r.responses,
            r.meets_share,
            r.above_share,
        )
        for r in found.table(dimension).rows  # type: ignore[attr-defined]
    ]


def test_patterns_figures_computed_by_hand(fx: Fixture) -> None:
    found = patterns_for(filters=PatternFilters(period=PERIOD))

    t = found.total
    assert (found.dates_run, t.dates, t.going, t.attended) == (5, 2, 18, 11)
    assert (t.attendance_rate, t.responses, t.judged, t.meets_share, t.above_share) == (
        61.1,
        16,
        64,
        84.4,
        40.6,
    )
    assert rows(found, "format") == [
        ("Talk", 1, 10, 5, 50.0, 6, 75.0, 25.0),
        ("Workshop", 1, 8, 6, 75.0, 10, 90.0, 50.0),
    ]
    assert rows(found, "length") == [
        ("31–60 min", 1, 10, 5, 50.0, 6, 75.0, 25.0),
        ("61–90 min", 1, 8, 6, 75.0, 10, 90.0, 50.0),
    ]
    assert rows(found, "time_of_day") == [
        ("Morning (09:00–12:00)", 1, 8, 6, 75.0, 10, 90.0, 50.0),
        ("Afternoon (14:00–17:00)", 1, 10, 5, 50.0, 6, 75.0, 25.0),
    ]
    assert rows(found, "mode") == [
        ("Online", 1, 10, 5, 50.0, 6, 75.0, 25.0),
        ("Hybrid", 1, 8, 6, 75.0, 10, 90.0, 50.0),
    ]
    assert rows(found, "region") == [
        ("AMER", 1, 10, 5, 50.0, 6, 75.0, 25.0),
        ("EMEA", 1, 8, 6, 75.0, 10, 90.0, 50.0),
    ]
    assert rows(found, "quarter") == [
        ("2025 Q1", 1, 8, 6, 75.0, 10, 90.0, 50.0),
        ("2025 Q2", 1, 10, 5, 50.0, 6, 75.0, 25.0),
    ]
    assert rows(found, "host") == [
        ("Ana Host", 1, 8, 6, 75.0, 10, 90.0, 50.0),
        ("Ben Host", 1, 10, 5, 50.0, 6, 75.0, 25.0),
    ]
    # Well received: at least 80 % meeting the standard — A (90 %), not B (75 %).
    assert [(e.title, e.row.meets_share) for e in found.examples] == [("Contract testing", 90.0)]


def test_patterns_page_shows_figures_with_sample_sizes(fx: Fixture) -> None:
    page = signed_in(fx.enabler).get(f"/insights/what-works/{QUERY}")

    assert page.status_code == 200
    html = page.content.decode()
    assert "2 of 5 that ran" in html
    assert "84.4 % of judged answers (n=16 responses)" in html
    assert "Workshop (n=10)" in html  # the chart's bar names its sample
    assert "<svg" in html and "<script>" not in html  # no inline script (CSP)
    assert html.count('href="/insights/run-again/') == 1
    assert "Tokyo talk" not in html and "Two dates" not in html


def test_region_below_the_minimum_is_never_shown_nor_derivable(fx: Fixture) -> None:
    found = patterns_for(filters=PatternFilters(period=PERIOD))
    regions = found.table("region")

    assert [r.label for r in regions.rows] == ["AMER", "EMEA"]
    # "All regions" minus the regions shown leaves nothing: Tokyo's 2 responses are in no
    # figure, neither its own nor the total.
    left = found.total.responses - sum(r.responses for r in regions.rows)
    assert left == 0
    assert found.total.judged - sum(r.judged for r in regions.rows) == 0
    apac = patterns_for(filters=PatternFilters(period=PERIOD, region="APAC"))
    assert (apac.dates_run, apac.total.visible, apac.tables) == (1, False, [])


def test_subtraction_inside_a_session_is_refused(fx: Fixture) -> None:
    """D's dates hold 6 and 2 responses. Showing the 13:00 date (6) with the session's total
    (8, on its results page) would give away the 18:00 date's 2: the partition rule hides
    both, so neither afternoon nor evening carries any of D."""
    found = patterns_for(filters=PatternFilters(period=PERIOD))

    times = {r.label: r.responses for r in found.table("time_of_day").rows}
    assert times == {"Morning (09:00–12:00)": 10, "Afternoon (14:00–17:00)": 6}
    assert found.table("time_of_day").hidden == 0
    hosts = [r.label for r in found.table("host").rows]
    assert "Dee Host" not in hosts


def test_a_period_one_response_longer_changes_nothing(fx: Fixture) -> None:
    one = make_session(title="One answer", speakers=[fx.ana], format="talk", status="done")
    late = _date(one, datetime(2025, 7, 1, 9, tzinfo=UTC), 45)
    _audience(late, "Europe/Berlin", 3, 3)
    make_response_tally(occurrence=late, responses=1, unacceptable=3)
    longer = period_from(start=date(2025, 1, 1), end=date(2025, 7, 1))

    before = patterns_for(filters=PatternFilters(period=PERIOD))
    after = patterns_for(filters=PatternFilters(period=longer))

    assert after.dates_run == before.dates_run + 1
    assert vars(after.total) == vars(before.total)
    for dimension in ("format", "length", "time_of_day", "mode", "region", "host"):
        assert rows(after, dimension) == rows(before, dimension), dimension


def test_a_filter_that_would_single_people_out_shows_nothing(fx: Fixture) -> None:
    page = signed_in(fx.enabler).get(f"/insights/what-works/{QUERY}&topic=topic-{_slug(fx.c)}")

    html = page.content.decode()
    assert page.status_code == 200
    assert "Nothing to show: the dates that ran here have too few responses" in html
    assert "1 date ran." in html
    assert "Meets the standard</dt>" not in html and "<svg" not in html


def _slug(session: Session) -> str:
    return session.topics.get().slug.removeprefix("topic-")


def test_bad_filters_get_a_message_and_no_error(fx: Fixture) -> None:
    page = signed_in(fx.enabler).get("/insights/what-works/?region=MARS")

    assert page.status_code == 400
    assert "Choose a period, a region from the list and a topic" in page.content.decode()


def test_patterns_page_is_for_enablers_and_leaders(fx: Fixture) -> None:
    assert signed_in(fx.leader).get(f"/insights/what-works/{QUERY}").status_code == 200
    refused = signed_in(fx.member).get(f"/insights/what-works/{QUERY}")
    assert refused.status_code == 403
    assert "Insights are for enablers and leaders." in refused.content.decode()


def test_patterns_page_query_count_does_not_grow(fx: Fixture) -> None:
    from django.core.cache import cache

    client = signed_in(fx.enabler)
    client.get(f"/insights/what-works/{QUERY}")
    cache.clear()  # the figures are kept five minutes: count the queries that compute them
    with CaptureQueriesContext(connection) as small:
        client.get(f"/insights/what-works/{QUERY}")
    for n in range(3):
        more = make_session(title=f"More {n}", speakers=[make_person()], status="done")
        more.topics.set([make_topic()])
        extra = _date(more, datetime(2025, 2, 4 + n, 10, tzinfo=UTC), 60)
        _audience(extra, "Europe/Berlin", 5, 5)
        make_response_tally(occurrence=extra, responses=5, acceptable=10)
    cache.clear()
    with CaptureQueriesContext(connection) as large:
        client.get(f"/insights/what-works/{QUERY}")

    assert len(large) == len(small) == 9


# --- run this again ------------------------------------------------------------------------------


def feedback_rows(session: Session) -> tuple[int, int, int]:
    return (
        ResponseTally.objects.filter(occurrence__session=session).count(),
        SessionTally.objects.filter(session=session).count(),
        Response.objects.filter(occurrence__session=session).count(),
    )


def test_run_again_as_proposal_copies_the_session_and_no_feedback(fx: Fixture) -> None:
    response = signed_in(fx.enabler).post(f"/insights/run-again/{fx.a.slug}/propose/")

    clone = Session.objects.exclude(pk=fx.a.pk).get(title="Contract testing")
    assert response.status_code == 302 and response["Location"] == f"/sessions/{clone.slug}/"
    assert (clone.abstract, clone.format, clone.level, clone.status) == (
        "Pacts *between* services.",
        "workshop",
        "intermediate",
        "proposed",
    )
    assert [t.name for t in clone.topics.all()] == ["Testing"]
    assert [p.display_name for p in clone.speakers.all()] == ["Ana Host"]
    assert clone.proposed_by == fx.enabler
    assert clone.occurrences.count() == 0
    assert feedback_rows(clone) == (0, 0, 0)
    assert feedback_rows(fx.a) == (1, 0, 0)  # the original keeps its own


def test_run_again_is_refused_to_others_and_for_a_session_not_well_received(fx: Fixture) -> None:
    sessions = Session.objects.count()
    for person in (fx.member, fx.leader, fx.ben):  # Ben speaks at B, not at A
        refused = signed_in(person).post(f"/insights/run-again/{fx.a.slug}/propose/")
        assert refused.status_code == 403, person
        assert "Only the session's speakers, its circle's champions and enablers" in (
            markup.unescape(refused.content.decode())
        )
    page = signed_in(fx.enabler).get(f"/insights/run-again/{fx.b.slug}/")
    assert "Only a well-received session can be run again from here: at least 5 responses" in (
        page.content.decode()
    )
    with pytest.raises(DomainError, match="Only a well-received session"):
        run_again.session_run_again_as_proposal(actor=fx.enabler, session=fx.b)
    with pytest.raises(Forbidden):
        run_again.session_run_again_as_proposal(actor=fx.member, session=fx.a)
    assert Session.objects.count() == sessions


def test_its_speaker_runs_it_again_from_the_session_page(fx: Fixture) -> None:
    client = signed_in(fx.ana)
    session_page = client.get(f"/sessions/{fx.a.slug}/").content.decode()
    assert f'href="/insights/run-again/{fx.a.slug}/"' in session_page

    page = client.get(f"/insights/run-again/{fx.a.slug}/").content.decode()

    assert "90.0 % of the judged answers meet the standard (10 responses)" in page
    assert "90 minutes long like the original" in page


def test_repeat_in_another_region_proposes_times_inside_its_working_hours(fx: Fixture) -> None:
    make_person(tz="America/New_York")  # AMER's people live in New York
    now = datetime(2026, 1, 5, 12, tzinfo=UTC)  # a Monday

    slots = run_again.repeat_slots(session=fx.a, region="AMER", now=now)

    assert len(slots) == 5
    for slot in slots:
        local = slot.start.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
        end = slot.end.astimezone(local.tzinfo)
        assert slot.zone == "America/New_York"
        assert local.weekday() < 5 and local.hour >= 9 and (end.hour, end.minute) <= (17, 0)
        assert slot.end - slot.start == timedelta(minutes=90)
        assert slot.start >= datetime(2026, 1, 7, 5, tzinfo=UTC)  # two working days' lead


def test_repeat_confirmed_creates_a_date_and_copies_no_feedback(fx: Fixture) -> None:
    make_person(tz="America/New_York")
    client = signed_in(fx.enabler)
    page = markup.unescape(
        client.get(f"/insights/run-again/{fx.a.slug}/?region=AMER").content.decode()
    )
    assert "Times inside AMER's working hours" in page
    first = run_again.repeat_slots(session=fx.a, region="AMER")[0]

    response = client.post(
        f"/insights/run-again/{fx.a.slug}/repeat/",
        {
            "region": "AMER",
            "start": first.start.isoformat(),
            "online_url": "https://meet.example.org/again",
            "capacity": "40",
        },
    )

    assert response.status_code == 302 and response["Location"] == f"/sessions/{fx.a.slug}/"
    repeat = fx.a.occurrences.get(start=first.start)
    assert (repeat.end - repeat.start, repeat.online_url, repeat.capacity) == (
        timedelta(minutes=90),
        "https://meet.example.org/again",
        40,
    )
    assert ResponseTally.objects.filter(occurrence=repeat).count() == 0
    assert feedback_rows(fx.a) == (1, 0, 0)


def test_repeat_outside_the_regions_hours_is_refused_and_changes_nothing(fx: Fixture) -> None:
    make_person(tz="America/New_York")
    dates = Occurrence.objects.count()
    saturday_noon = datetime(2030, 1, 5, 17, tzinfo=UTC)  # 12:00 in New York, a Saturday
    with pytest.raises(DomainError, match="outside AMER's working hours"):
        run_again.session_repeat_in_region(
            actor=fx.enabler,
            session=fx.a,
            region="AMER",
            start=saturday_noon,
            online_url="https://meet.example.org/x",
            capacity=10,
        )
    response = signed_in(fx.member).post(
        f"/insights/run-again/{fx.a.slug}/repeat/",
        {
            "region": "AMER",
            "start": "2030-01-07T15:00:00+00:00",
            "online_url": "https://meet.example.org/x",
            "capacity": "10",
        },
    )
    assert response.status_code == 403
    assert Occurrence.objects.count() == dates


def test_a_group_below_the_minimum_hides_the_smallest_shown_one_too() -> None:
    """The partition rule itself, as the page applies it per dimension: with groups of 10, 6
    and 3 responses, showing 10 and 6 next to their total would give away the 3; so the 6
    is hidden as well (the hidden then hold 9)."""
    from knowflow.feedback.selectors.dates import DateResults
    from knowflow.insights.selectors.patterns import DateFacts, _table

    def date(pk: int, fmt: str, n: int) -> DateFacts:
        start = datetime(2025, 3, 4, 9, tzinfo=UTC)
        facts = DateFacts(pk, pk, start, 60, "online", fmt, "UTC", "EMEA", n, n)
        facts.results = DateResults(pk, pk, n, 0, n, 0)
        return facts

    table = _table(
        "format",
        "Format",
        [date(1, "talk", 10), date(2, "demo", 6), date(3, "panel", 3)],
        lambda d: [d.format],
        k=5,
    )

    assert [(r.key, r.responses) for r in table.rows] == [("talk", 10)]
    assert table.hidden == 2


def test_a_circle_champion_runs_it_again_without_reading_its_results(fx: Fixture) -> None:
    from tests.factories import make_circle

    champion = make_person(name="Cleo Champion")
    Session.objects.filter(pk=fx.a.pk).update(circle=make_circle(champions=[champion]))

    page = signed_in(champion).get(f"/insights/run-again/{fx.a.slug}/").content.decode()

    # The results page is for speakers and enablers: no share, no number of responses here.
    assert "Well received by its attendees" in page
    assert "responses)" not in page and "% of the judged answers" not in page
    assert "Propose it again" in page
