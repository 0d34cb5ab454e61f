"""Tries to learn who answered what — through every filter, page, the API, the CSV and the
admin — and fails. k = 5 (the default)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.admin.sites import site as admin_site

from knowflow.accounts.models import Person
from knowflow.events.models import Attendance
from knowflow.feedback.models import Response, ResponseAuthor
from knowflow.feedback.selectors.anonymity import SegmentFilters
from knowflow.feedback.selectors.programme import ProgrammeFilters, programme_view
from knowflow.feedback.selectors.results import (
    KindResult,
    SessionResults,
    feedback_summary_for_session,
)
from knowflow.feedback.selectors.speakers import speaker_sessions_over_time
from knowflow.feedback.services.responses import survey_response_submit
from tests.conftest import signed_in
from tests.factories import make_office, make_person, org_unit
from tests.feedback.helpers import GOOD, attend, ended_occurrence, open_requests, people

pytestmark = pytest.mark.django_db

SECRET = "Only I, the lone Lisbon tester, would write this"


@pytest.fixture
def setup() -> dict:
    """One session: 4 people from Team A (Lisbon office, online), 6 from Team B (room)."""
    team_a, team_b = org_unit("Team A"), org_unit("Team B")
    lisbon, berlin = make_office("Lisbon"), make_office("Berlin")
    speaker, enabler = make_person(), make_person(role=Person.Role.ENABLER)
    occurrence = ended_occurrence(speakers=[speaker])
    a, b = people(4, org_unit=team_a, office=lisbon), people(6, org_unit=team_b, office=berlin)
    attend(occurrence, a, mode=Attendance.Mode.ONLINE)
    attend(occurrence, b)
    requests = open_requests(occurrence)
    for person in a:
        survey_response_submit(
            request=requests[person.pk][0],
            answers={**GOOD, "apply_now": "not_at_all", "first_step": SECRET},
        )
    for person in b:
        survey_response_submit(request=requests[person.pk][0], answers=GOOD)
    return {
        "session": occurrence.session,
        "occurrence": occurrence,
        "team_a": team_a,
        "team_b": team_b,
        "lisbon": lisbon,
        "speaker": speaker,
        "enabler": enabler,
        "a": a,
        "b": b,
    }


def kind_result(summary: SessionResults, kind: str = "after_session") -> KindResult:
    return next(k for k in summary.kinds if k.kind == kind)


def summary_for(setup: dict, **filters: object) -> SessionResults:
    occurrence_id = filters.pop("occurrence_id", None)
    return feedback_summary_for_session(
        session=setup["session"],
        viewer=setup["enabler"],
        filters=SegmentFilters(**filters),
        occurrence_id=occurrence_id,
    )


def test_unfiltered_results_show_the_whole_group(setup: dict) -> None:
    result = kind_result(summary_for(setup))
    assert (result.visible, result.n) == (True, 10)
    apply_now = next(q for q in result.questions if q.key == "apply_now")
    assert {row.value: row.count for row in apply_now.rows}["not_at_all"] == 4


@pytest.mark.parametrize(
    "filters",
    [
        {"org_unit": "team_a"},  # 4 < k
        {"org_unit": "team_b"},  # 6 >= k, but the other 4 would be total minus these 6
        {"office": "lisbon"},
        {"mode": "online"},
        {"mode": "room"},  # 6, leaving 4 online: hidden for the same reason
    ],
)
def test_every_filter_that_would_isolate_fewer_than_k_shows_too_few(
    setup: dict, filters: dict
) -> None:
    kwargs = {}
    if "org_unit" in filters:
        kwargs["org_unit_id"] = setup[filters["org_unit"]].pk
    if "office" in filters:
        kwargs["office_id"] = setup[filters["office"]].pk
    if "mode" in filters:
        kwargs["mode"] = filters["mode"]
    result = kind_result(summary_for(setup, **kwargs))
    assert (result.visible, result.questions) == (False, [])


def test_comments_from_a_small_group_never_appear_anywhere(setup: dict) -> None:
    speaker_client = signed_in(setup["speaker"])
    slug = setup["session"].slug
    pages = [
        speaker_client.get(f"/feedback/sessions/{slug}/?org_unit={setup['team_a'].pk}"),
        speaker_client.get(f"/feedback/sessions/{slug}/?office={setup['lisbon'].pk}"),
        speaker_client.get(f"/feedback/sessions/{slug}/?mode=online"),
        speaker_client.get(f"/feedback/sessions/{slug}/export.csv?org_unit={setup['team_a'].pk}"),
        speaker_client.get(
            f"/api/v1/feedback/sessions/{setup['session'].pk}/results?org_unit_id={setup['team_a'].pk}"
        ),
        speaker_client.get(f"/api/v1/feedback/sessions/{setup['session'].pk}/results?mode=room"),
    ]
    for page in pages:
        assert page.status_code == 200
        body = page.content.decode()
        assert SECRET not in body
        assert "too few responses" in body


def test_csv_is_aggregates_only_and_hides_small_groups(setup: dict) -> None:
    client = signed_in(setup["enabler"])
    rows = (
        client.get(f"/feedback/sessions/{setup['session'].slug}/export.csv")
        .content.decode()
        .splitlines()
    )
    assert rows[0] == "survey,question,kirkpatrick,ltem,answer,standard,count,share,note"
    assert (
        "After the session,How able are you to apply this now?,2,3A,Not at all: I did not understand enough to use it.,unacceptable,4,0.400,"
        in rows
    )
    # No row names anyone, and nothing identifies a response.
    for person in setup["a"] + setup["b"]:
        assert all(person.display_name not in row for row in rows)
    filtered = (
        client.get(
            f"/feedback/sessions/{setup['session'].slug}/export.csv?org_unit={setup['team_a'].pk}"
        )
        .content.decode()
        .splitlines()
    )
    assert filtered[1] == "After the session,,,,,,,,too few responses"
    assert all("unacceptable" not in row for row in filtered)


def test_comments_are_sorted_not_in_the_order_written(setup: dict) -> None:
    result = kind_result(summary_for(setup))
    first_step = next(q for q in result.questions if q.key == "first_step")
    assert first_step.comments == sorted(first_step.comments, key=str.casefold)


def test_nothing_in_the_data_links_an_anonymous_response_to_a_person(setup: dict) -> None:
    assert not ResponseAuthor.objects.exists()
    columns = {f.column for f in Response._meta.concrete_fields}
    assert columns == {
        "id",
        "template_id",
        "occurrence_id",
        "kind",
        "mode",
        "org_unit_id",
        "office_id",
        "submission_key",
    }
    keys = set(Response.objects.values_list("submission_key", flat=True))
    # The key is an HMAC: the plain person ids do not appear in it, and a plain SHA-256 of
    # the same text is not it.
    import hashlib

    person = setup["a"][0]
    plain = hashlib.sha256(
        f"{person.pk}:{setup['occurrence'].pk}:after_session".encode()
    ).hexdigest()
    assert plain not in keys


def test_admin_has_no_response_screen_and_the_request_screen_no_link(setup: dict) -> None:
    from knowflow.feedback.models import Answer, ResponseTally, SurveyRequest

    assert not admin_site.is_registered(Response)
    assert not admin_site.is_registered(Answer)
    assert not admin_site.is_registered(ResponseAuthor)
    assert not admin_site.is_registered(ResponseTally)
    admin = make_person(role=Person.Role.ADMIN)
    admin.user.is_staff = admin.user.is_superuser = True
    admin.user.save()
    client = signed_in(admin)
    assert client.get("/admin/feedback/response/").status_code == 404
    request = SurveyRequest.objects.get(person=setup["a"][0], kind="after_session")
    page = client.get(f"/admin/feedback/surveyrequest/{request.pk}/change/").content.decode()
    assert "Answered" in page
    assert "response" not in re.sub(r"<[^>]+>", " ", page).lower().replace("responses", "")
    index = client.get("/admin/feedback/").content.decode()
    assert sorted(set(re.findall(r'href="/admin/feedback/(\w+)/"', index))) == [
        "retrospective",
        "surveyrequest",
        "surveytemplate",
    ]


def test_programme_partition_hides_a_small_mode_and_the_one_that_would_reveal_it(
    setup: dict,
) -> None:
    # 6 in the room, 4 online: showing "room" would give "online" as total minus room.
    view = programme_view(viewer=setup["enabler"], filters=ProgrammeFilters(group_by="mode"))
    assert view.rows == []
    assert (view.total.visible, view.total.n, view.left_out) == (False, 0, 1)


def test_programme_leaves_out_sessions_below_k_and_segment_filters_apply_the_complement(
    setup: dict,
) -> None:
    small = ended_occurrence()
    attend(small, people(3))
    for request, _ in open_requests(small).values():
        survey_response_submit(request=request, answers=GOOD)
    view = programme_view(viewer=setup["enabler"], filters=ProgrammeFilters())
    assert [(row.label, row.visible, row.n) for row in view.rows] == [
        (setup["session"].title, True, 10)
    ]
    assert view.left_out == 1
    filtered = programme_view(
        viewer=setup["enabler"],
        filters=ProgrammeFilters(segment=SegmentFilters(org_unit_id=setup["team_b"].pk)),
    )
    # Team B's 6 would leave Team A's 4 as the session minus Team B: no cell, no row.
    assert (filtered.rows, filtered.total.visible, filtered.left_out) == ([], False, 2)


def test_speaker_over_time_hides_a_small_date_and_its_partner(setup: dict) -> None:
    second = ended_occurrence(session=setup["session"], days_ago=2)
    attend(second, people(3))
    for request, _ in open_requests(second).values():
        survey_response_submit(request=request, answers=GOOD)
    (entry,) = speaker_sessions_over_time(viewer=setup["speaker"], person=setup["speaker"])
    assert [(row.occurrence.pk, row.visible) for row in entry["rows"]] == [
        (second.pk, False),
        (setup["occurrence"].pk, False),
    ]
    # The session's own page shows the total of 13 and hides each date filter.
    assert kind_result(summary_for(setup)).n == 13
    assert kind_result(summary_for(setup, occurrence_id=setup["occurrence"].pk)).visible is False


def test_other_speakers_and_members_cannot_read_results(setup: dict) -> None:
    member = signed_in(make_person())
    assert member.get(f"/feedback/sessions/{setup['session'].slug}/").status_code == 403
    assert member.get(f"/feedback/sessions/{setup['session'].slug}/export.csv").status_code == 403
    assert member.get(f"/api/v1/feedback/sessions/{setup['session'].pk}/results").status_code == 403
    assert member.get("/feedback/programme/").status_code == 403
    assert member.get("/feedback/evidence/").status_code == 403


# Differencing: two visible figures must never subtract to fewer than k ------------------------


def answered_session(groups: list[tuple[int, dict]]) -> Any:
    """A session whose attendees answered; groups are (how many, people/attendance options)."""
    occurrence = ended_occurrence()
    for n, options in groups:
        attend(
            occurrence,
            people(n, org_unit=options.get("org_unit"), office=options.get("office")),
            mode=options.get("mode", Attendance.Mode.ROOM),
        )
    for request, _ in open_requests(occurrence).values():
        survey_response_submit(request=request, answers=GOOD)
    return occurrence.session


def session_summary(session: Any, enabler: Person, **filters: object) -> KindResult:
    return kind_result(
        feedback_summary_for_session(
            session=session, viewer=enabler, filters=SegmentFilters(**filters)
        )
    )


def test_three_modes_cannot_be_subtracted_from_the_total() -> None:
    # 10 room, 6 online, 3 recording. Room and online each leave at least 5 out, but showing
    # both would give the 3 recording watchers as total minus room minus online.
    enabler = make_person(role=Person.Role.ENABLER)
    session = answered_session(
        [
            (10, {"mode": Attendance.Mode.ROOM}),
            (6, {"mode": Attendance.Mode.ONLINE}),
            (3, {"mode": Attendance.Mode.RECORDING}),
        ]
    )
    shown = {
        mode: session_summary(session, enabler, mode=mode).visible
        for mode in (Attendance.Mode.ROOM, Attendance.Mode.ONLINE, Attendance.Mode.RECORDING)
    }
    assert shown == {"room": True, "online": False, "recording": False}


def test_a_team_cannot_be_subtracted_from_its_division() -> None:
    # Division D: 3 people of its own and Team T (9) below it; Division E: 10. The old
    # complement rule showed T (19 - 9 = 10 left out), and D (12) minus T gave away D's 3.
    enabler = make_person(role=Person.Role.ENABLER)
    division = org_unit("Division D", kind="division")
    team = org_unit("Team T", parent=division)
    other = org_unit("Division E", kind="division")
    session = answered_session(
        [(3, {"org_unit": division}), (9, {"org_unit": team}), (10, {"org_unit": other})]
    )
    assert session_summary(session, enabler, org_unit_id=division.pk).visible is True
    assert session_summary(session, enabler, org_unit_id=other.pk).visible is True
    assert session_summary(session, enabler, org_unit_id=team.pk).visible is False


def test_two_cuts_at_once_are_refused_everywhere(setup: dict) -> None:
    client = signed_in(setup["enabler"])
    slug, pk = setup["session"].slug, setup["session"].pk
    both = f"mode=room&office={setup['lisbon'].pk}"
    for url in (
        f"/feedback/sessions/{slug}/?{both}",
        f"/feedback/sessions/{slug}/export.csv?{both}",
        f"/feedback/programme/?{both}",
        f"/feedback/programme/?group_by=mode&office={setup['lisbon'].pk}",
    ):
        page = client.get(url)
        assert page.status_code == 400, url
        assert "cut one way at a time" in page.content.decode(), url
        assert SECRET not in page.content.decode()
    api = client.get(
        f"/api/v1/feedback/sessions/{pk}/results?{both.replace('office', 'office_id')}"
    )
    assert api.status_code == 400
    assert "one way at a time" in api.json()["detail"]


def test_programme_figures_are_sums_of_cells_each_results_page_shows() -> None:
    # S1: 10 online. S2: 8 in the room, 2 online. Online in the programme counts S1's 10
    # only: were S2's 2 counted, a period holding S1 and S2 minus a period holding S1 alone
    # would give away the 2.
    enabler = make_person(role=Person.Role.ENABLER)
    s1 = answered_session([(10, {"mode": Attendance.Mode.ONLINE})])
    s2 = answered_session(
        [(8, {"mode": Attendance.Mode.ROOM}), (2, {"mode": Attendance.Mode.ONLINE})]
    )
    online = programme_view(
        viewer=enabler,
        filters=ProgrammeFilters(segment=SegmentFilters(mode="online")),
    )
    assert [(row.key, row.n) for row in online.rows] == [(s1.pk, 10)]
    assert (online.total.n, online.left_out) == (10, 1)
    by_mode = programme_view(viewer=enabler, filters=ProgrammeFilters(group_by="mode"))
    assert {row.key: row.n for row in by_mode.rows} == {"online": 10}
    assert by_mode.total.sessions == 1
    assert session_summary(s2, enabler, mode="online").visible is False
    assert session_summary(s2, enabler, mode="room").visible is False


def test_the_programme_and_the_results_page_break_ties_the_same_way() -> None:
    # 6 room, 6 online, 3 recording: one of the two sixes must go with the 3. Both views
    # hide the same one (the lower key, "online"); if they differed, together they would
    # show room and online, and the total would give away the 3.
    enabler = make_person(role=Person.Role.ENABLER)
    session = answered_session(
        [
            (6, {"mode": Attendance.Mode.ROOM}),
            (6, {"mode": Attendance.Mode.ONLINE}),
            (3, {"mode": Attendance.Mode.RECORDING}),
        ]
    )
    page = {
        mode: session_summary(session, enabler, mode=mode).visible
        for mode in (Attendance.Mode.ROOM, Attendance.Mode.ONLINE, Attendance.Mode.RECORDING)
    }
    programme = programme_view(viewer=enabler, filters=ProgrammeFilters(group_by="mode"))
    assert page == {"room": True, "online": False, "recording": False}
    assert {row.key: row.n for row in programme.rows} == {"room": 6}


FOLLOW_UP = {
    "applied": "regularly",
    "how_often": "weekly",
    "result": "clear",
    "hours_saved": "2",
    "hours_confidence": "50",
    "hours_attribution": "50",
}


def test_speaker_over_time_never_adds_a_small_follow_up_round_to_a_visible_one() -> None:
    # Date 1: 5 answers at +30 and 1 at +90 (who did not apply it); date 2: 5 at +90. The
    # +90 results cut by date hide both dates, so over time date 1 shows its +30 only.
    from knowflow.feedback.models import Kind

    speaker = make_person()
    first = ended_occurrence(speakers=[speaker], days_ago=3)
    second = ended_occurrence(session=first.session, days_ago=2)
    attend(first, people(6))
    attend(second, people(5))
    requests_30 = open_requests(first, kind=Kind.FOLLOW_UP_30)
    requests_90 = open_requests(first, kind=Kind.FOLLOW_UP_90)
    for i, (person_id, (request, _)) in enumerate(sorted(requests_30.items())):
        if i < 5:
            survey_response_submit(request=request, answers=FOLLOW_UP)
        else:
            survey_response_submit(
                request=requests_90[person_id][0], answers={**FOLLOW_UP, "applied": "not_yet"}
            )
    for request, _ in open_requests(second, kind=Kind.FOLLOW_UP_90).values():
        survey_response_submit(request=request, answers=FOLLOW_UP)

    (entry,) = speaker_sessions_over_time(viewer=speaker, person=speaker)

    assert [(row.occurrence.pk, row.applied_asked, row.applied_yes) for row in entry["rows"]] == [
        (first.pk, 5, 5),
        (second.pk, 0, 0),
    ]


def test_the_programme_does_not_total_the_speakers_named_retrospectives(setup: dict) -> None:
    client = signed_in(setup["enabler"])
    page = client.get("/feedback/programme/?kind=retrospective")
    assert page.status_code == 400
    assert "a retrospective is read on its session" in page.content.decode()
    assert client.get("/feedback/programme/?kind=nonsense").status_code == 400
    assert 'value="retrospective"' not in client.get("/feedback/programme/").content.decode()


def test_an_optional_question_answered_by_fewer_than_k_shows_neither_answers_nor_count() -> None:
    # Five answer the after-session survey; two of them give the optional NPS: 7 and 9.
    speaker = make_person()
    occurrence = ended_occurrence(speakers=[speaker])
    attend(occurrence, people(5))
    for i, (request, _token) in enumerate(open_requests(occurrence).values()):
        nps = {0: "7", 1: "9"}.get(i, "")
        survey_response_submit(request=request, answers={**GOOD, "reputation_nps": nps})
    client = signed_in(speaker)
    session = occurrence.session

    api = client.get(f"/api/v1/feedback/sessions/{session.pk}/results").json()
    after = next(s for s in api["surveys"] if s["kind"] == "after_session")
    by_key = {q["key"]: q for q in after["questions"]}
    assert (by_key["reputation_nps"]["answered"], by_key["reputation_nps"]["distribution"]) == (
        None,
        [],
    )
    assert by_key["apply_now"]["answered"] == 5  # the required questions still show

    page = client.get(f"/feedback/sessions/{session.slug}/").content.decode()
    nps_block = page[page.index("Reputation (optional)") :].split("</article>")[0]
    assert "Too few responses to this question to show its answers" in nps_block
    assert "<table" not in nps_block

    rows = client.get(f"/feedback/sessions/{session.slug}/export.csv").content.decode()
    nps_rows = [row for row in rows.splitlines() if "Reputation (optional)" in row]
    assert len(nps_rows) == 1
    assert nps_rows[0].endswith(",,,,,too few responses")


def test_programme_adds_applied_answers_only_where_k_or_more_gave_one() -> None:
    # An enabler's follow-up makes "applied" optional. Session 1: 6 respond, 5 say "applied".
    # Session 2: 6 respond, 2 answer "applied" (both "not yet"): its results page hides the
    # question, so the programme must not add those two to the total either.
    from knowflow.feedback.models import Kind, Question, SurveyTemplate

    template = SurveyTemplate.objects.get(family="follow-up-30-days", is_current=True)
    Question.objects.filter(template=template, key="applied").update(required=False)
    enabler = make_person(role=Person.Role.ENABLER)
    rest = {"how_often": "weekly", "result": "clear", "hours_saved": "0"}
    rest |= {"hours_confidence": "50", "hours_attribution": "50"}
    for applied in (["regularly"] * 5 + [""], ["not_yet"] * 2 + [""] * 4):
        occurrence = ended_occurrence()
        attend(occurrence, people(6))
        requests = [r for r, _ in open_requests(occurrence, kind=Kind.FOLLOW_UP_30).values()]
        for request, value in zip(requests, applied, strict=True):
            survey_response_submit(request=request, answers={**rest, "applied": value})

    view = programme_view(viewer=enabler, filters=ProgrammeFilters(kind=Kind.FOLLOW_UP_30))

    assert sorted((row.n, row.applied_asked, row.applied_yes) for row in view.rows) == [
        (6, 0, 0),
        (6, 5, 5),
    ]
    assert (view.total.n, view.total.applied_asked, view.total.applied_share) == (12, 5, 1.0)
    by_mode = programme_view(
        viewer=enabler,
        filters=ProgrammeFilters(kind=Kind.FOLLOW_UP_30, group_by="mode"),
    )
    assert [(row.key, row.applied_asked) for row in by_mode.rows] == [("room", 5)]
