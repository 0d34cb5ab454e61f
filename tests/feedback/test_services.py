"""Feedback services: templates and versions, question validation, requests, answering, bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.errors import DomainError, Forbidden
from knowflow.events.models import Attendance
from knowflow.feedback.defaults import DEFAULT_TEMPLATES
from knowflow.feedback.models import (
    Answer,
    Kind,
    Question,
    Response,
    ResponseAuthor,
    ResponseTally,
    SurveyLink,
    SurveyRequest,
    SurveyTemplate,
)
from knowflow.feedback.selectors.requests import (
    AlreadyAnswered,
    SurveyClosed,
    survey_request_for_token,
)
from knowflow.feedback.services.requests import (
    NotAttended,
    feedback_dispatch_due,
    feedback_requests_create_due,
    survey_request_create,
)
from knowflow.feedback.services.responses import survey_response_submit
from knowflow.feedback.services.templates import (
    question_validate,
    survey_template_copy,
    survey_template_create,
    survey_template_make_default,
    survey_template_revise,
)
from tests.factories import make_person
from tests.feedback.helpers import GOOD, attend, ended_occurrence, open_requests, people

pytestmark = pytest.mark.django_db

SCALE = {"key": "nps", "text": "Recommend?", "type": "scale", "kirkpatrick": 1, "ltem": "3B"}
CHOICE = {
    "key": "able",
    "text": "Can you apply it?",
    "type": "single",
    "kirkpatrick": 2,
    "ltem": "3A",
    "options": [
        {"value": "no", "label": "No", "standard": "unacceptable"},
        {"value": "yes", "label": "Yes", "standard": "superior"},
    ],
}


def nothing_written() -> tuple[int, int, int]:
    return Response.objects.count(), Answer.objects.count(), ResponseTally.objects.count()


# --- shipped templates ---------------------------------------------------------------------


def test_shipped_templates_are_loaded_valid_and_default_for_their_kind() -> None:
    shipped = SurveyTemplate.objects.filter(shipped=True).order_by("kind")
    assert sorted(t.family for t in shipped) == sorted(spec["family"] for spec in DEFAULT_TEMPLATES)
    assert {t.kind for t in shipped if t.is_default} == set(Kind.values)
    for spec in DEFAULT_TEMPLATES:
        for question in spec["questions"]:
            assert question_validate(spec=question)["key"] == question["key"]


def test_after_session_template_is_performance_focused_with_optional_nps_as_reputation() -> None:
    template = SurveyTemplate.objects.get(family="after-the-session")
    questions = {q.key: q for q in template.questions.all()}
    assert template.anonymous is True
    assert list(questions)[:3] == ["apply_now", "relevance", "remember"]
    nps = questions["reputation_nps"]
    assert (nps.type, nps.required, nps.ltem) == ("scale", False, "3B")
    assert nps.text.startswith("Reputation (optional)")


def test_follow_ups_ask_hours_saved_with_a_confidence_and_an_attribution() -> None:
    for family in ("follow-up-30-days", "follow-up-90-days"):
        keys = list(
            SurveyTemplate.objects.get(family=family).questions.values_list("key", flat=True)
        )
        assert keys == [
            "applied",
            "how_often",
            "result",
            "result_example",
            "hours_saved",
            "hours_confidence",
            "hours_attribution",
            "blocker",
        ]


# --- question validation --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"type": "stars"}, "Question 'able': the type must be one of single, multi, scale, text."),
        ({"kirkpatrick": 5}, "Question 'able': the Kirkpatrick level is 1, 2, 3 or 4."),
        ({"ltem": "3C"}, "Question 'able': the LTEM tier is one of 1, 2, 3A, 3B, 4, 5, 6, 7, 8."),
        (
            {"options": [{"value": "yes", "label": "Yes", "standard": "superior"}]},
            "Question 'able': a choice question needs at least two options.",
        ),
        (
            {
                "options": [
                    {"value": "a", "label": "A", "standard": "good"},
                    {"value": "b", "label": "B", "standard": "superior"},
                ]
            },
            "Question 'able': say whether 'a' is unacceptable, acceptable or superior (the standard is fixed before any answer is collected).",
        ),
        (
            {
                "options": [
                    {"value": "a", "label": "A", "standard": "superior"},
                    {"value": "a", "label": "B", "standard": "superior"},
                ]
            },
            "Question 'able': the option 'a' appears twice.",
        ),
        (
            {"key": "has space"},
            "Each question needs a key of letters, digits, '-' or '_' (at most 60).",
        ),
    ],
)
def test_question_validate_refuses_bad_questions(change: dict, message: str) -> None:
    with pytest.raises(DomainError) as error:
        question_validate(spec={**CHOICE, **change})
    assert error.value.message == message


def test_scale_question_needs_standards_for_0_to_10() -> None:
    with pytest.raises(DomainError) as error:
        question_validate(spec=SCALE)
    assert (
        error.value.message
        == "Question 'nps': say which of 0–10 are unacceptable, acceptable and superior."
    )
    options = [{"value": str(n), "label": str(n), "standard": "acceptable"} for n in range(10)]
    with pytest.raises(DomainError):
        question_validate(spec={**SCALE, "options": options})


def test_template_create_refuses_duplicate_keys_and_members() -> None:
    enabler = make_person(role=Person.Role.ENABLER)
    with pytest.raises(DomainError) as error:
        survey_template_create(
            actor=enabler, name="X", kind="after_session", questions=[CHOICE, CHOICE]
        )
    assert error.value.message == "Question keys must be unique; repeated: able."
    with pytest.raises(Forbidden):
        survey_template_create(
            actor=make_person(), name="X", kind="after_session", questions=[CHOICE]
        )
    assert not SurveyTemplate.objects.filter(name="X").exists()


# --- versioning -------------------------------------------------------------------------------


def test_revising_a_template_writes_a_new_version_and_never_changes_given_answers() -> None:
    enabler = make_person(role=Person.Role.ENABLER)
    shipped = SurveyTemplate.objects.get(family="after-the-session")
    with pytest.raises(DomainError):
        survey_template_revise(template=shipped, actor=enabler, name="Mine")
    copy = survey_template_copy(template=shipped, actor=enabler, name="Our after-session survey")
    survey_template_make_default(template=copy, actor=enabler)
    occurrence = ended_occurrence()
    attend(occurrence, people(1))
    ((request, _token),) = open_requests(occurrence).values()
    assert request.template_id == copy.pk
    survey_response_submit(request=request, answers=GOOD)
    answer = Answer.objects.get(question__key="apply_now")
    old_options = list(answer.question.options)

    questions = [
        {
            f: getattr(q, f)
            for f in (
                "key",
                "text",
                "help_text",
                "type",
                "required",
                "kirkpatrick",
                "ltem",
                "options",
            )
        }
        for q in copy.questions.all()
    ]
    questions[0]["text"] = "Can you apply it?"
    questions[0]["options"][3]["standard"] = "acceptable"  # "on my own" is no longer superior
    v2 = survey_template_revise(template=copy, actor=enabler, questions=questions)

    copy.refresh_from_db()
    answer.refresh_from_db()
    assert (v2.family, v2.version, v2.is_current, v2.is_default) == (copy.family, 2, True, True)
    assert (copy.is_current, copy.is_default) == (False, False)
    assert answer.question.template_id == copy.pk
    assert answer.question.options == old_options
    assert answer.question.option_map()["on_my_own"]["standard"] == "superior"
    assert v2.questions.get(key="apply_now").option_map()["on_my_own"]["standard"] == "acceptable"
    with pytest.raises(DomainError) as error:
        survey_template_revise(template=copy, actor=enabler, name="again")
    assert error.value.message == "This is version 1; edit the current version instead."


# --- distribution ------------------------------------------------------------------------------


def test_ended_occurrence_gets_requests_for_every_attendee_and_speakers_once() -> None:
    speaker = make_person()
    occurrence = ended_occurrence(speakers=[speaker])
    room, online = people(2), people(1)
    attend(occurrence, room)
    attend(occurrence, online, mode=Attendance.Mode.ONLINE)
    not_attended = make_person()  # registered, never came: no request
    now = timezone.now()

    feedback_requests_create_due(now=now)
    feedback_requests_create_due(now=now)  # a re-run writes nothing more

    rows = set(SurveyRequest.objects.values_list("person_id", "kind", "mode"))
    expected = {
        (p.pk, kind, mode)
        for group, mode in ((room, "room"), (online, "online"))
        for p in group
        for kind in ("after_session", "follow_up_7", "follow_up_30", "follow_up_90")
    } | {(speaker.pk, "retrospective", "speaker")}
    assert rows == expected
    assert not SurveyRequest.objects.filter(person=not_attended).exists()
    after = SurveyRequest.objects.get(person=room[0], kind="after_session")
    follow = SurveyRequest.objects.get(person=room[0], kind="follow_up_30")
    assert after.due_at == occurrence.end + timedelta(minutes=30)
    assert follow.due_at == occurrence.end + timedelta(minutes=30, days=30)


def test_someone_who_left_is_asked_nothing_more_and_their_links_stop_working() -> None:
    from knowflow.accounts.services import person_deactivate
    from knowflow.feedback.models import SurveyLink

    occurrence = ended_occurrence(speakers=[make_person()])
    stays, leaves, left_before = people(3)
    attend(occurrence, [stays, leaves, left_before])
    person_deactivate(person=left_before)
    now = timezone.now()
    feedback_requests_create_due(now=now)
    SurveyLink.objects.create(
        request=SurveyRequest.objects.filter(person=leaves).first(),
        token_hash="x" * 64,
        created_at=now,
    )

    person_deactivate(person=leaves)

    assert not SurveyRequest.objects.filter(person=left_before).exists()
    assert set(SurveyRequest.objects.filter(person=leaves).values_list("status", flat=True)) == {
        "cancelled"
    }
    assert not SurveyLink.objects.filter(request__person=leaves).exists()
    assert "cancelled" not in set(
        SurveyRequest.objects.filter(person=stays).values_list("status", flat=True)
    )


def test_recording_watched_later_counts_from_when_it_was_watched() -> None:
    occurrence = ended_occurrence(days_ago=10)
    viewer = make_person()
    attend(occurrence, [viewer], mode=Attendance.Mode.RECORDING)
    watched = timezone.now() - timedelta(hours=2)
    Attendance.objects.filter(person=viewer).update(recorded_at=watched)
    feedback_requests_create_due(now=timezone.now())
    request = SurveyRequest.objects.get(person=viewer, kind="after_session")
    assert (request.mode, request.due_at) == ("recording", watched + timedelta(minutes=30))


def test_dispatch_sends_once_reminds_once_then_expires() -> None:
    occurrence = ended_occurrence()
    (person,) = people(1)
    attend(occurrence, [person])
    now = timezone.now()
    feedback_requests_create_due(now=now)

    first = feedback_dispatch_due(now=now + timedelta(hours=1))
    again = feedback_dispatch_due(now=now + timedelta(hours=1))
    request = SurveyRequest.objects.get(person=person, kind="after_session")
    # Two: the attendee's survey and the speaker's retrospective.
    assert (first.sent, again.sent, request.status) == (2, 0, "sent")
    assert request.expires_at == now + timedelta(hours=1, days=14)

    reminded = feedback_dispatch_due(now=now + timedelta(days=4))
    request.refresh_from_db()
    assert (
        reminded.reminded,
        request.reminder_sent,
        SurveyLink.objects.filter(request=request).count(),
    ) == (2, True, 2)
    assert feedback_dispatch_due(now=now + timedelta(days=5)).reminded == 0

    expired = feedback_dispatch_due(now=now + timedelta(days=15))
    request.refresh_from_db()
    assert (
        expired.expired,
        request.status,
        SurveyLink.objects.filter(request=request).count(),
    ) == (2, "expired", 0)


def test_a_request_whose_window_closed_before_dispatch_is_expired_not_mailed() -> None:
    # A worker that first runs weeks after the sessions (a freshly loaded demo) must not mail
    # surveys about them.
    from knowflow.mail.models import OutboxMessage

    occurrence = ended_occurrence(days_ago=61)
    (person,) = people(1)
    attend(occurrence, [person])
    feedback_requests_create_due(now=timezone.now() - timedelta(days=60))
    # A session that ended yesterday: its survey is still worth sending, and the backlog must
    # not fill the batch ahead of it.
    recent = ended_occurrence(days_ago=1)
    (newcomer,) = people(1)
    attend(recent, [newcomer])
    feedback_requests_create_due(now=timezone.now())

    report = feedback_dispatch_due(now=timezone.now(), limit=2)

    statuses = dict(SurveyRequest.objects.filter(person=person).values_list("kind", "status"))
    assert statuses == {
        "after_session": "expired",
        "follow_up_7": "expired",
        "follow_up_30": "expired",
        "follow_up_90": "scheduled",  # due in a month: it will be sent then
    }
    # The old speaker's retrospective too: four expired, none of them mailed; yesterday's
    # survey and retrospective sent.
    assert (report.sent, report.expired) == (2, 4)
    assert sorted(OutboxMessage.objects.values_list("recipient", flat=True)) == sorted(
        [newcomer.email, recent.session.speakers.get().email]
    )
    assert SurveyLink.objects.filter(request__occurrence=occurrence).count() == 0


def test_requests_due_uses_the_index_range() -> None:
    from django.db import connection

    sql, params = (
        SurveyRequest.objects.filter(
            status__in=["scheduled", "sent"], next_action_at__lte=timezone.now()
        )
        .order_by("next_action_at", "id")[:500]
        .query.sql_with_params()
    )
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " ".join(str(row) for row in cursor.fetchall())
            assert "survey_request_due" in plan


# --- answering and bad input -------------------------------------------------------------------


@pytest.fixture
def open_request() -> tuple[SurveyRequest, str]:
    occurrence = ended_occurrence()
    attend(occurrence, people(1))
    ((request, token),) = open_requests(occurrence).values()
    return request, token


def test_submit_through_the_link_stores_an_anonymous_response(open_request: tuple) -> None:
    request, token = open_request
    found = survey_request_for_token(token=token)
    response = survey_response_submit(request=found, answers=GOOD)

    assert {f.name for f in Response._meta.get_fields() if f.concrete} == {
        "id",
        "template",
        "occurrence",
        "kind",
        "mode",
        "org_unit",
        "office",
        "submission_key",
    }
    assert not ResponseAuthor.objects.exists()
    assert sorted(response.answers.values_list("question__key", "value", "text")) == [
        ("apply_now", "on_my_own", ""),
        ("first_step", "", "Try it on our deployment pipeline"),
        ("relevance", "now", ""),
        ("remember", "most", ""),
        ("support", "material", ""),
    ]
    request.refresh_from_db()
    assert (request.status, request.next_action_at) == ("answered", None)
    tally = ResponseTally.objects.get()
    assert (tally.responses, tally.unacceptable, tally.acceptable, tally.superior) == (1, 0, 2, 2)


def test_reused_link_and_double_submit_store_once(open_request: tuple) -> None:
    request, token = open_request
    survey_response_submit(request=survey_request_for_token(token=token), answers=GOOD)
    with pytest.raises(AlreadyAnswered) as twice:
        survey_response_submit(request=request, answers=GOOD)
    assert (
        twice.value.message
        == "You have already answered this survey; your first answers were kept."
    )
    with pytest.raises(DomainError) as reused:
        survey_request_for_token(token=token)
    assert reused.value.status_code == 404
    assert Response.objects.count() == 1


def test_submission_key_refuses_a_second_response_even_without_the_request_lock(
    open_request: tuple,
) -> None:
    request, _ = open_request
    survey_response_submit(request=request, answers=GOOD)
    SurveyRequest.objects.filter(pk=request.pk).update(status="sent")  # as if a race read "sent"
    with pytest.raises(AlreadyAnswered):
        survey_response_submit(request=request, answers=GOOD)
    assert Response.objects.count() == 1


@pytest.mark.parametrize(
    ("answers", "field", "message"),
    [
        (
            {**GOOD, "apply_now": ""},
            "apply_now",
            "Please answer “How able are you to apply this now?”.",
        ),
        (
            {**GOOD, "relevance": "maybe"},
            "relevance",
            "“How relevant is it to your work?”: 'maybe' is not one of the answers; choose from not_relevant, later, now, critical.",
        ),
        (
            {**GOOD, "reputation_nps": 12},
            "reputation_nps",
            "“Reputation (optional): how likely are you to recommend this session to a colleague?”: 12 is outside the scale; give a number from 0 to 10.",
        ),
        (
            {**GOOD, "reputation_nps": "ten"},
            "reputation_nps",
            "“Reputation (optional): how likely are you to recommend this session to a colleague?” takes a whole number from 0 to 10.",
        ),
        (
            {**GOOD, "support": ["material", "material"]},
            "support",
            "“What support will you need to apply it?”: an answer is given twice.",
        ),
        (
            {**GOOD, "apply_now": ["on_my_own", "expert"]},
            "apply_now",
            "“How able are you to apply this now?” takes exactly one answer.",
        ),
        ({**GOOD, "mood": "happy"}, "mood", "This survey has no question 'mood'."),
    ],
)
def test_bad_answers_are_refused_and_nothing_is_written(
    open_request: tuple, answers: dict, field: str, message: str
) -> None:
    request, _ = open_request
    with pytest.raises(DomainError) as error:
        survey_response_submit(request=request, answers=answers)
    assert (error.value.field, error.value.message) == (field, message)
    assert nothing_written() == (0, 0, 0)
    request.refresh_from_db()
    assert request.status == "sent"


def test_expired_closed_and_not_attended_are_refused(open_request: tuple) -> None:
    request, token = open_request
    with pytest.raises(SurveyClosed) as expired:
        survey_response_submit(
            request=request, answers=GOOD, now=request.expires_at + timedelta(seconds=1)
        )
    assert expired.value.message == f"This survey closed on {request.expires_at:%d %B %Y}."
    SurveyRequest.objects.filter(pk=request.pk).update(status="cancelled")
    with pytest.raises(SurveyClosed) as withdrawn:
        survey_response_submit(request=request, answers=GOOD)
    assert withdrawn.value.message == "This survey was withdrawn (the session was cancelled)."
    SurveyRequest.objects.filter(pk=request.pk).update(status="sent")
    Attendance.objects.filter(person=request.person).delete()
    with pytest.raises(NotAttended) as absent:
        survey_response_submit(request=request, answers=GOOD)
    assert absent.value.message == (
        f"{request.person.display_name} did not attend this date, so there is no feedback to give on it."
    )
    assert nothing_written() == (0, 0, 0)


def test_enabler_cannot_ask_someone_who_did_not_attend() -> None:
    enabler = make_person(role=Person.Role.ENABLER)
    occurrence = ended_occurrence()
    stranger = make_person()
    with pytest.raises(NotAttended):
        survey_request_create(
            occurrence=occurrence, person=stranger, kind="after_session", actor=enabler
        )
    assert not SurveyRequest.objects.exists()


def test_named_retrospective_records_its_author() -> None:
    speaker = make_person()
    occurrence = ended_occurrence(speakers=[speaker])
    requests = open_requests(occurrence, kind=Kind.RETROSPECTIVE)
    request, _ = requests[speaker.pk]
    response = survey_response_submit(
        request=request,
        answers={
            "went_well": "Demos",
            "to_change": "Shorter intro",
            "hybrid": "took_part",
            "hybrid_notes": "",
        },
    )
    assert ResponseAuthor.objects.get(response=response).person == speaker


def test_applied_follow_up_feeds_the_tally() -> None:
    occurrence = ended_occurrence()
    attend(occurrence, people(2))
    answers = {
        "applied": "regularly",
        "how_often": "weekly",
        "result": "clear",
        "hours_saved": "4",
        "hours_confidence": "50",
        "hours_attribution": "75",
    }
    reqs = list(open_requests(occurrence, kind=Kind.FOLLOW_UP_30).values())
    survey_response_submit(request=reqs[0][0], answers=answers)
    survey_response_submit(request=reqs[1][0], answers={**answers, "applied": "not_yet"})
    tally = ResponseTally.objects.filter(kind="follow_up_30").values_list(
        "applied_asked", "applied_yes"
    )
    assert tuple(map(sum, zip(*tally, strict=True))) == (2, 1)
    assert Question.objects.filter(template__family="follow-up-30-days", key="hours_saved").exists()


def test_demo_feedback_goes_through_the_services() -> None:
    import random

    from knowflow.feedback.demo import feedback_demo_load

    occurrence = ended_occurrence(days_ago=40)
    attend(occurrence, people(10))
    written = feedback_demo_load(rng=random.Random(3))
    assert 0 < written == Response.objects.count()
    assert not ResponseAuthor.objects.exists()
    assert sum(ResponseTally.objects.values_list("responses", flat=True)) == written
