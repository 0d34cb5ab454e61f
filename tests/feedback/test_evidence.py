"""Evidence tagged honestly: survey answers are self-reports (learner perception, LTEM 3)
whatever they are about; the evidence view and the dashboard say which sessions have observed
evidence (attendance recorded) and which only self-reported evidence."""

from __future__ import annotations

import csv
import importlib
import io
import re

import pytest
from django.apps import apps
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.errors import DomainError
from knowflow.feedback.models import Kind, Question, SurveyTemplate
from knowflow.feedback.services.responses import survey_response_submit
from knowflow.feedback.services.templates import survey_template_create
from knowflow.insights.models import DashboardRollup
from tests.conftest import signed_in
from tests.factories import make_person
from tests.feedback.helpers import (
    GOOD,
    answer_all,
    attend,
    ended_occurrence,
    open_requests,
    people,
)

pytestmark = pytest.mark.django_db

FOLLOW_UP = {
    "applied": "regularly",
    "how_often": "weekly",
    "result": "clear",
    "hours_saved": "4",
    "hours_confidence": "50",
    "hours_attribution": "50",
}


def evidence_rows(page: str) -> list[list[str]]:
    """The evidence table as a person reads it: each row's cells, in words."""
    body = page.split('<table class="evidence cards">', 1)[1].split("</tbody>", 1)[0]
    body = body.split("<tbody>", 1)[1]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in body.split("</tr>")[:-1]
    ]


def test_shipped_follow_ups_are_tagged_as_learner_perception() -> None:
    tags = {
        (t.family, q.key): q.ltem
        for t in SurveyTemplate.objects.filter(shipped=True, family__startswith="follow-up")
        for q in t.questions.all()
    }
    assert set(tags.values()) == {"3A"}
    assert tags[("follow-up-30-days", "applied")] == "3A"  # was 7: "I applied it"
    assert tags[("follow-up-90-days", "hours_saved")] == "3A"  # was 8: "it saves me hours"
    assert tags[("follow-up-7-days", "remember")] == "3A"  # was 4: "what do you remember"
    every_tier = set(Question.objects.values_list("ltem", flat=True))
    assert every_tier <= {"2", "3A", "3B"}


@pytest.mark.parametrize("tier", ["1", "4", "7", "8"])
def test_a_survey_question_cannot_claim_observed_tiers(tier: str) -> None:
    enabler = make_person(role=Person.Role.ENABLER)
    before = SurveyTemplate.objects.count()
    with pytest.raises(DomainError) as error:
        survey_template_create(
            actor=enabler,
            name="Did it work?",
            kind=Kind.FOLLOW_UP_30,
            questions=[
                {
                    "key": "applied",
                    "text": "Did you apply it?",
                    "type": "text",
                    "kirkpatrick": 3,
                    "ltem": tier,
                }
            ],
        )
    assert (error.value.field, error.value.message) == (
        "ltem",
        "Question 'applied': a survey answer is the person's own account, so its LTEM tier is "
        "3A (perceived effectiveness), 3B (satisfaction, reputation) or 2 (activity). Tiers 1 "
        "and 4–8 need recorded or observed evidence (attendance, a scored test, a completed "
        "task, a figure a manager or a system entered), not a survey.",
    )
    assert SurveyTemplate.objects.count() == before


def test_template_editor_offers_only_the_tiers_a_survey_can_claim() -> None:
    enabler = signed_in(make_person(role=Person.Role.ENABLER))
    page = enabler.get("/feedback/templates/new/").content.decode()
    select = page.split('name="q-0-ltem"', 1)[1].split("</select>", 1)[0]
    values = [v.split('"')[0] for v in select.split('value="')[1:]]
    assert values == ["", "2", "3A", "3B"]


def _migration(app: str, name: str):  # noqa: ANN202 - a migration module
    return importlib.import_module(f"knowflow.{app}.migrations.{name}")


def test_stored_tags_are_corrected_and_the_dashboard_recomputed() -> None:
    # An organisation's own copy, written before the fix with the old tags.
    old = SurveyTemplate.objects.create(
        family="our-follow-up",
        name="Our follow-up",
        kind=Kind.FOLLOW_UP_30,
        created_at=timezone.now(),
        is_default=False,
    )
    options = [
        {"value": "yes", "label": "Yes", "standard": "superior"},
        {"value": "no", "label": "No", "standard": "unacceptable"},
    ]
    for position, (key, level, tier) in enumerate(
        [("applied", 3, "7"), ("result", 4, "8"), ("remember", 2, "4"), ("nps", 1, "3B")], 1
    ):
        Question.objects.create(
            template=old,
            position=position,
            key=key,
            text=f"{key}?",
            type="single",
            kirkpatrick=level,
            ltem=tier,
            options=options,
        )
    DashboardRollup.objects.create(
        period="last-90-days",
        start=timezone.now(),
        end=timezone.now(),
        figures={"figures": {"evidence": {"application": 116}}},
        computed_at=timezone.now(),
        seconds=1.0,
    )

    _migration("feedback", "0007_self_reports_are_learner_perception").retag(apps, None)
    _migration("insights", "0004_recompute_evidence_rollups").drop_rollups(apps, None)

    assert list(old.questions.values_list("key", "kirkpatrick", "ltem", "options")) == [
        ("applied", 3, "3A", options),
        ("result", 4, "3A", options),
        ("remember", 2, "3A", options),
        ("nps", 1, "3B", options),
    ]
    assert DashboardRollup.objects.count() == 0


def test_follow_up_answers_are_self_reported_results_never_observed() -> None:
    occurrence = ended_occurrence()
    attend(occurrence, people(5))
    answer_all(occurrence, GOOD)
    answer_all(occurrence, FOLLOW_UP, kind=Kind.FOLLOW_UP_30)
    silent = ended_occurrence()  # attended, nobody answered
    attend(silent, people(2))
    enabler = signed_in(make_person(role=Person.Role.ENABLER))

    page = enabler.get("/feedback/evidence/").content.decode()

    assert evidence_rows(page) == [
        [
            silent.session.title,
            "attendance recorded; no feedback yet",
            "2",
            "—",
            "—",
            "—",
            "—",
            "—",
        ],
        [
            occurrence.session.title,
            # "applied": "regularly" is an answer saying so; the results question is only
            # known to be answered.
            "attendance recorded; people say they applied it (self-reported)",
            "5",
            "—",
            "✓ 5",
            "✓ 5",
            "✓ 5",
            "✓ 5",
        ],
    ]
    assert f'<a href="/feedback/sessions/{occurrence.session.slug}/">' in page  # enablers link
    # Every cell names its column, so the table reads as cards on a phone.
    assert '<td data-label="Self-reported: application">✓ 5</td>' in page
    # Methodology names live in the legend, not in the headings.
    headings = page.split("<thead>", 1)[1].split("</thead>", 1)[0]
    assert "LTEM" not in headings and "Kirkpatrick" not in headings and "K1" not in headings
    assert '<h2 id="how-we-measure-title">How we measure</h2>' in page

    dashboard = enabler.get("/insights/?period=last-30-days").content.decode()
    ladder = dashboard.split("<h2>What we know about each session</h2>", 1)[1].split("</table>")[0]
    assert [
        row.split("</th>")[1].replace("<td>", "").split("</td>")[:2]
        for row in ladder.split('<th scope="row">')[1:]
    ] == [
        ["2", "0"],  # attendance: observed for both sessions, nobody's own account
        ["–", "1"],
        ["–", "1"],
        ["0", "1"],  # application: one session's people say so; nothing observed
        ["0", "1"],
    ]
    csv_text = enabler.get("/insights/dashboard.csv?period=last-30-days").content.decode()
    ladder_rows = [row for row in csv.reader(io.StringIO(csv_text)) if row[0] == "evidence ladder"]
    assert ladder_rows == [
        ["evidence ladder", "attendance", "sessions (observed)", "2", ""],
        ["evidence ladder", "application", "sessions (observed)", "0", ""],
        ["evidence ladder", "results", "sessions (observed)", "0", ""],
        ["evidence ladder", "attendance", "sessions (self-reported)", "0", ""],
        ["evidence ladder", "reaction", "sessions (self-reported)", "1", ""],
        ["evidence ladder", "learning", "sessions (self-reported)", "1", ""],
        ["evidence ladder", "application", "sessions (self-reported)", "1", ""],
        ["evidence ladder", "results", "sessions (self-reported)", "1", ""],
        ["evidence ladder", "any feedback", "sessions", "1", ""],
    ]


def _dashboard_attendance(client: object) -> list[str]:
    page = client.get("/insights/?period=last-30-days").content.decode()
    ladder = page.split("<h2>What we know about each session</h2>", 1)[1].split("</table>")[0]
    row = ladder.split('<th scope="row">Attendance</th>', 1)[1].split("</tr>", 1)[0]
    return re.findall(r"<td>([^<]*)</td>", row)


def test_saying_you_watched_the_recording_is_self_reported_not_observed() -> None:
    speaker = make_person()
    occurrence = ended_occurrence(speakers=[speaker])
    member, seen = make_person(), make_person()
    url = f"/sessions/occurrences/{occurrence.pk}/attendance/"
    enabler = signed_in(make_person(role=Person.Role.ENABLER))

    signed_in(member).post(url, {"person": member.pk, "mode": "recording"})

    assert evidence_rows(enabler.get("/feedback/evidence/").content.decode()) == [
        [occurrence.session.title, "no feedback yet", "—", "1", "—", "—", "—", "—"]
    ]
    assert _dashboard_attendance(enabler) == ["0", "1"]

    # The speaker marks someone in the room: that one is observed.
    signed_in(speaker).post(url, {"person": seen.pk, "mode": "room"})

    assert evidence_rows(enabler.get("/feedback/evidence/").content.decode()) == [
        [occurrence.session.title, "attendance recorded; no feedback yet", "1", "1"] + ["—"] * 4
    ]
    assert _dashboard_attendance(enabler) == ["1", "1"]


def test_recorded_views_stored_before_are_marked_self_reported() -> None:
    occurrence = ended_occurrence()
    watcher, present = people(2)
    attend(occurrence, [watcher], mode="recording")  # rows as written before the field
    attend(occurrence, [present])
    from knowflow.events.models import Attendance

    Attendance.objects.update(self_reported=False)

    _migration("events", "0008_attendance_self_reported").mark_recording_views_self_reported(
        apps, None
    )

    assert sorted(Attendance.objects.values_list("person_id", "mode", "self_reported")) == sorted(
        [(watcher.pk, "recording", True), (present.pk, "room", False)]
    )


def test_a_small_survey_round_cannot_be_recovered_by_subtraction() -> None:
    """The reviewer's attack: the after-session survey asks about reaction and learning, the
    7-day follow-up about learning and application. With 7 after-session answers and one
    follow-up answer, learning used to read 8, so application = 8 − 7 = 1: one person."""
    occurrence = ended_occurrence()
    attend(occurrence, people(8))
    after = list(open_requests(occurrence).values())
    for request, _token in after[:7]:
        survey_response_submit(request=request, answers=GOOD)
    follow_up = list(open_requests(occurrence, kind=Kind.FOLLOW_UP_7).values())
    survey_response_submit(
        request=follow_up[0][0], answers={"remember": "few", "tried": "no_chance"}
    )
    enabler = signed_in(make_person(role=Person.Role.ENABLER))

    [row] = evidence_rows(enabler.get("/feedback/evidence/").content.decode())

    title, headline, observed, _recording, reaction, learning, application, results = row
    assert (headline, reaction, learning, application, results) == (
        "attendance recorded; people say what they learned (self-reported)",
        "✓ 7",
        "✓ 7 (+ few, not counted)",
        "few",
        "—",
    )
    # The attacker's subtraction: learning minus reaction.
    shown = {name: int(cell.split()[1]) for name, cell in (("r", reaction), ("l", learning))}
    assert shown["l"] - shown["r"] == 0  # learns nothing about the follow-up's one answer


def test_the_headline_claims_only_what_counted_answers_say() -> None:
    # Every cell "few": no claim at all.
    few = ended_occurrence(days_ago=3)
    attend(few, people(3))
    answer_all(few, GOOD)
    # Five people answered the 7-day follow-up "No, I haven't had the chance".
    no_chance = ended_occurrence(days_ago=2)
    attend(no_chance, people(5))
    answer_all(no_chance, {"remember": "few", "tried": "no_chance"}, kind=Kind.FOLLOW_UP_7)
    # Five answered the 30-day follow-up "Not yet": its results questions were answered.
    not_yet = ended_occurrence(days_ago=1)
    attend(not_yet, people(5))
    answer_all(not_yet, {**FOLLOW_UP, "applied": "not_yet"}, kind=Kind.FOLLOW_UP_30)
    enabler = signed_in(make_person(role=Person.Role.ENABLER))

    rows = evidence_rows(enabler.get("/feedback/evidence/").content.decode())

    assert [row[:2] + row[4:] for row in rows] == [
        [
            not_yet.session.title,
            "attendance recorded; people answered about its results (self-reported)",
            "—",
            "—",
            "✓ 5",
            "✓ 5",
        ],
        [
            no_chance.session.title,
            "attendance recorded; people answered about applying it (self-reported)",
            "—",
            "✓ 5",
            "✓ 5",
            "—",
        ],
        [few.session.title, "attendance recorded; too few responses to count yet"]
        + ["few", "few", "—", "—"],
    ]
