"""The find-a-time page: what an organiser sees, and the one-click creation."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.events.models import Occurrence
from tests.conftest import signed_in
from tests.factories import make_circle, make_person, make_session


@pytest.fixture(autouse=True)
def _fixed_clock() -> Iterator[None]:
    """A fixed today (Tuesday 1 December 2026, ticking): find a time proposes nothing inside
    the lead time from today, and the windows below are fixed dates."""
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=UTC), tick=True):
        yield


def _audience() -> tuple[object, object]:
    speaker = make_person(name="Sam Speaker", tz="Europe/Berlin")
    circle = make_circle(name="Data guild")
    for n, tz in enumerate(
        ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney"]
    ):
        circle.memberships.create(person=make_person(name=f"Member {n}", tz=tz))
    session = make_session(speakers=[speaker], circle=circle, title="Query plans")
    return speaker, session


def _query(session: object, **extra: str) -> dict:
    monday = (timezone.now() + timedelta(days=7)).date()
    params = {
        "circle": session.circle.slug,
        "speakers": ",".join(s.slug for s in session.speakers.all()),
        "duration": "60",
        "first_day": monday.isoformat(),
        "days": "7",
        "step": "30",
        "label_by": "region",
        "tz": "Europe/Berlin",
        "series_weeks": "4",
        "series_step": "7",
    }
    params.update(extra)
    return params


@pytest.mark.django_db
def test_find_time_page_shows_heatmap_proposals_repeats_and_series() -> None:
    speaker, session = _audience()

    response = signed_in(speaker).get(f"/sessions/{session.slug}/find-a-time/", _query(session))

    page = response.content.decode()
    assert response.status_code == 200
    assert '<svg class="heatmap"' in page
    assert page.count("Create this date") == 5
    assert "2 dates:" in page and "3 dates:" in page
    assert "Fair rotation for the series" in page
    # The Berlin speaker is required on every date: every trade-off is then the same plan,
    # and the page says so instead of listing five identical rows.
    assert page.count("use this plan") == 0
    assert (
        "Every trade-off gives the same attendance and burden for this audience and these "
        "dates, so there is one plan to choose." in page
    )
    assert "<strong>5</strong> people in the audience" in page
    # "Occurrence" is the database's word: the buttons, headings, labels and text a person
    # reads say "date" (markup, URLs and form names may still use it).
    shown = re.sub(r"<[^>]*>", " ", page)
    assert re.findall(r"(?i)occurrence", html.unescape(shown)) == []
    assert "Create these 2 dates" in page and "Create these 3 dates" in page


@pytest.mark.django_db
def test_find_time_page_names_field_for_an_unknown_speaker() -> None:
    speaker, session = _audience()

    response = signed_in(speaker).get(
        f"/sessions/{session.slug}/find-a-time/", _query(session, speakers="nobody-at-all")
    )

    assert response.status_code == 200
    assert "No one called “nobody-at-all” was found." in response.content.decode()
    assert '<svg class="heatmap"' not in response.content.decode()


@pytest.mark.django_db
def test_find_time_page_says_which_speaker_is_never_available() -> None:
    speaker, session = _audience()
    speaker.working_hours = [None] * 7
    speaker.save()

    response = signed_in(speaker).get(f"/sessions/{session.slug}/find-a-time/", _query(session))

    assert response.status_code == 200
    page = response.content.decode()
    assert "The speaker Sam Speaker is never inside working hours in the window." in page
    assert '<svg class="heatmap"' not in page


@pytest.mark.django_db
def test_create_from_plan_creates_occurrences_for_the_speaker() -> None:
    speaker, session = _audience()
    start = (timezone.now() + timedelta(days=10)).replace(microsecond=0)

    response = signed_in(speaker).post(
        f"/sessions/{session.slug}/find-a-time/create/",
        {
            "start": [start.isoformat(), (start + timedelta(hours=9)).isoformat()],
            "duration": "60",
            "capacity": "40",
            "online_url": "https://meet.example.org/q",
        },
        follow=True,
    )

    assert response.redirect_chain == [(f"/sessions/{session.slug}/", 302)]
    assert "2 dates scheduled." in response.content.decode()
    assert sorted(o.start for o in Occurrence.objects.filter(session=session)) == [
        start,
        start + timedelta(hours=9),
    ]


@pytest.mark.django_db
def test_create_from_plan_is_refused_to_someone_who_cannot_edit_the_session() -> None:
    _, session = _audience()
    stranger = make_person(name="Stranger")
    start = timezone.now() + timedelta(days=10)

    client = signed_in(stranger)
    response = client.post(
        f"/sessions/{session.slug}/find-a-time/create/",
        {
            "start": [start.isoformat()],
            "duration": "60",
            "capacity": "40",
            "online_url": "https://x.example.org",
        },
        follow=True,
    )

    assert Occurrence.objects.filter(session=session).count() == 0
    assert "Only the session's speakers" in html.unescape(response.content.decode())


def _text(page: str) -> str:
    """The page as a reader sees it: tags dropped, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.mark.django_db
def test_find_time_page_plans_a_sydney_organisers_mondays_across_the_dst_change() -> None:
    speaker, session = _audience()
    speaker.timezone = "Australia/Sydney"
    speaker.save()

    response = signed_in(speaker).get(
        f"/sessions/{session.slug}/find-a-time/",
        _query(session, first_day="2027-03-29", series_weeks="3", tz="Australia/Sydney"),
    )

    text = _text(response.content.decode())
    assert "The series starts on Monday 29 March 2027 (Australia/Sydney)" in text
    # Sydney leaves daylight saving on Sunday 4 April: the dates stay Mondays, shown in AEDT
    # then AEST, and the Berlin speaker is inside 09:00-17:00 Berlin time on each.
    dates = re.findall(r"\d \| (Mon \d+ \w+ 2027), \d\d:\d\d (AEDT|AEST)", _series_rows(text))
    assert dates == [
        ("Mon 29 Mar 2027", "AEDT"),
        ("Mon 5 Apr 2027", "AEST"),
        ("Mon 12 Apr 2027", "AEST"),
    ]


def _series_rows(text: str) -> str:
    """The series table as "n | start" pairs."""
    part = text[text.index("# Start Attendance") :]
    return " ".join(
        f"{n} | {start}"
        for n, start in re.findall(r"(\d) (\w{3} \d+ \w{3} \d{4}, [\d:]+ \w+)", part)
    )


@pytest.mark.django_db
def test_find_time_page_shows_members_counts_and_enablers_names() -> None:
    speaker, session = _audience()
    enabler = make_person(name="Erin Enabler", role=Person.Role.ENABLER)
    query = _query(session, series_weeks="0")

    as_member = _text(
        signed_in(speaker).get(f"/sessions/{session.slug}/find-a-time/", query).content.decode()
    )
    as_enabler = _text(
        signed_in(enabler).get(f"/sessions/{session.slug}/find-a-time/", query).content.decode()
    )

    names = ("Member 1 (", "Member 2 (", "Member 3 (")
    assert [name in as_member for name in names] == [False, False, False]
    assert "names and reasons are shown to enablers and to the person concerned" in as_member
    assert any(name in as_enabler for name in names)
    assert "names and reasons are shown to enablers" not in as_enabler


@pytest.mark.django_db
@pytest.mark.parametrize(("fmt", "minutes"), [("workshop", 120), ("talk", 45), ("lightning", 10)])
def test_find_time_page_defaults_the_duration_to_the_format(fmt: str, minutes: int) -> None:
    speaker, session = _audience()
    session.format = fmt
    session.save()

    page = signed_in(speaker).get(f"/sessions/{session.slug}/find-a-time/").content.decode()

    durations = re.findall(r'<input type="number" name="duration" value="(\d+)"', page)
    assert durations == [str(minutes)]


@pytest.mark.django_db
def test_find_time_page_lists_each_days_best_hours_for_phones() -> None:
    speaker, session = _audience()

    response = signed_in(speaker).get(
        f"/sessions/{session.slug}/find-a-time/", _query(session, step="60")
    )

    page = response.content.decode()
    days = re.findall(r"<li><strong>(\w{3} \d\d \w{3})</strong>(.*?)</li>\n", page, re.DOTALL)
    assert len(days) == 7
    hours = {
        name: re.findall(r'<li class="heat-level-(\d)"><time>(\d\d:00)</time> (\d+)%</li>', body)
        for name, body in days
    }
    weekend = [name for name, body in days if "nobody can attend" in body]
    # Saturday in Berlin is a day off everywhere; Sunday evening is Monday in Sydney.
    assert [name[:3] for name in weekend] == ["Sat"]
    for name, best in hours.items():
        if name in weekend:
            assert best == []
            continue
        assert 1 <= len(best) <= 3
        percents = [int(percent) for _, _, percent in best]
        assert percents == sorted(percents, reverse=True) and percents[0] > 0
        # The shade is the share in fifths: 86% is the darkest.
        levels = [int(level) for level, _, _ in best]
        assert levels == [min(5, 1 + p // 20) for p in percents]
    assert sum(len(best) == 3 for best in hours.values()) == 5  # the working days
