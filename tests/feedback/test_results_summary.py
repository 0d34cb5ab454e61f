"""A session's results page opens with what happened, in words and in the reader's locale; the
charts and tables are one click away, and the method is a legend at the end."""

from __future__ import annotations

import re
from html import unescape

import pytest

from knowflow.accounts.models import Person
from knowflow.feedback.services.responses import survey_response_submit
from tests.conftest import signed_in
from tests.factories import make_person
from tests.feedback.helpers import GOOD, attend, ended_occurrence, open_requests, people

pytestmark = pytest.mark.django_db

WEAK = {**GOOD, "apply_now": "awareness", "relevance": "critical", "first_step": ""}


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def _session(answers: list[dict]) -> tuple:
    speaker = make_person()
    occurrence = ended_occurrence(speakers=[speaker])
    attend(occurrence, people(len(answers) + 1))  # one attendee never answers
    requests = [request for request, _ in open_requests(occurrence).values()]
    for request, given in zip(requests, answers, strict=False):
        survey_response_submit(request=request, answers=given)
    return occurrence.session, speaker


def _summary(html: str) -> list[str]:
    block = html.split('<section id="summary"', 1)[1].split("</section>", 1)[0]
    return [
        re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", item))).strip()
        for item in re.findall(r"<li>(.*?)</li>", block, flags=re.S)
    ]


def test_results_page_opens_with_responses_and_the_share_meeting_each_standard() -> None:
    session, speaker = _session([GOOD] * 4 + [WEAK] * 2)

    html = signed_in(speaker).get(f"/feedback/sessions/{session.slug}/").content.decode()

    # 4 of 6 can apply it on their own (above the standard), 2 only know it exists (below).
    # Everyone finds it relevant: 4 "now" (meets), 2 "critical" (above). All remember most.
    assert _summary(html) == [
        "After the session: 6 of 7 answered (86%)",
        "67% meet the standard (67% above it): How able are you to apply this now?",
        "100% meet the standard (33% above it): How relevant is it to your work?",
        "100% meet the standard (100% above it): How well will you remember it?",
    ]


def test_results_page_puts_the_summary_first_the_detail_behind_a_click_the_method_last() -> None:
    session, speaker = _session([GOOD] * 6)

    html = signed_in(speaker).get(f"/feedback/sessions/{session.slug}/").content.decode()
    text = text_of(html)

    order = [
        "In short",
        "Cut the results by date, attendance, org unit or office",
        "Response rate of each survey",
        "Every question, with its chart and table (5)",
        "Retrospective",
        "How we measure What “meets the standard” and “measures learning” mean",
    ]
    assert [text.index(part) for part in order] == sorted(text.index(part) for part in order)
    # The method is a legend at the end, not a heading of every question.
    assert text.index("Kirkpatrick") > text.index(order[-1])
    assert "LTEM 3A" not in text
    # Every chart sits inside a closed <details>: the page opens short.
    detail = html.split("Every question, with its chart and table", 1)[0]
    assert '<details class="results-detail"><summary>Every question' in html
    assert "<svg" not in detail
    # Standards read as words, measured levels too.
    assert "★ Above the standard" in text and "superior" not in text
    assert "6 answers · measures learning" in text


def test_results_summary_follows_the_readers_locale() -> None:
    session, speaker = _session([GOOD] * 4 + [WEAK] * 2)
    client = signed_in(speaker)

    english = client.get(f"/feedback/sessions/{session.slug}/", HTTP_ACCEPT_LANGUAGE="en-US")
    german = client.get(f"/feedback/sessions/{session.slug}/", HTTP_ACCEPT_LANGUAGE="de-DE,de")

    assert _summary(english.content.decode())[1].startswith("67% meet the standard (67% above")
    assert _summary(german.content.decode())[1].startswith("67 % meet the standard (67 % above")
    # The words stay English whatever the browser asks for.
    assert '<h2 id="summary-title">In short</h2>' in german.content.decode()


def test_results_summary_shows_nothing_below_the_minimum_group() -> None:
    # Four answers of five asked: fewer than k (5), so neither the count nor any share.
    session, speaker = _session([GOOD] * 4)

    html = signed_in(speaker).get(f"/feedback/sessions/{session.slug}/").content.decode()

    assert _summary(html) == ["After the session: too few responses to show how many answered"]
    assert "%" not in text_of(html.split('<section id="summary"', 1)[1].split("</section>")[0])
    assert "Try it on our deployment pipeline" not in html


def test_programme_groupings_and_standards_read_in_words() -> None:
    _session([GOOD] * 6)
    enabler = signed_in(make_person(role=Person.Role.ENABLER))

    page = enabler.get("/feedback/programme/?group_by=mode").content.decode()
    options = re.findall(
        r'<option value="(\w+)"[^>]*>([^<]+)</option>',
        page.split('name="group_by"')[1].split("</select>")[0],
    )

    assert options == [
        ("session", "Session"),
        ("circle", "Circle"),
        ("format", "Format"),
        ("mode", "Attendance"),
    ]
    assert "<thead><tr><th>Attendance</th><th>Sessions</th>" in page
    templates = enabler.get("/feedback/templates/").content.decode()
    badges = set(re.findall(r'<span class="badge">([^<]+)</span>', templates))
    assert {"Below the standard", "Meets the standard", "Above the standard"} <= badges
    assert not badges & {"unacceptable", "acceptable", "superior"}
