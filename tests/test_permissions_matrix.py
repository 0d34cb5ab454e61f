"""Who may do what: the role × action matrix, checked on the services, the pages and the API.

Every cell is asserted: an allowed action changes what it should; a refused one answers 403
(the page shows the message, the API answers JSON ``detail``) and changes nothing. A second
matrix covers what each role may *read* among the pages and API calls that are not for
everyone (insights, ROI, programme feedback, a session's results).

The leader reads the programme's results (insights, ROI studies, programme feedback) and
otherwise may do what a member may: every change below is refused to them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from knowflow.accounts.models import Office, PeopleFileUpload, Person
from knowflow.accounts.people_file.uploads import people_file_upload_create
from knowflow.accounts.services import api_token_create
from knowflow.circles.models import Circle, Membership
from knowflow.circles.services import (
    circle_create,
    circle_join,
    circle_review,
    circle_sunset,
    circle_update,
    membership_set_role,
)
from knowflow.errors import Forbidden
from knowflow.events.attendance import (
    attendance_record,
    attendance_record_bulk,
    occurrence_checkin_token,
)
from knowflow.events.models import Attendance, Occurrence, Registration, Room, Session
from knowflow.events.services import (
    occurrence_cancel,
    occurrence_create,
    registration_cancel,
    registration_create,
    room_create,
    session_cancel,
    session_update,
)
from knowflow.feedback.models import RetrospectiveAction, SurveyTemplate
from knowflow.feedback.services.retrospectives import (
    retrospective_action_add,
    retrospective_action_set_done,
)
from knowflow.feedback.services.templates import survey_template_copy, survey_template_revise
from knowflow.insights.models import DuplicateCluster, RoiStudy
from knowflow.insights.services import (
    duplicate_cluster_decide,
    roi_intangible_add,
    roi_study_create,
    roi_version_freeze,
)
from knowflow.topics.models import Topic
from knowflow.topics.services import topic_create
from tests.conftest import signed_in
from tests.factories import make_circle, make_occurrence, make_office, make_person, make_session
from tests.feedback.test_template_pages import form_of

pytestmark = pytest.mark.django_db

ROLES = ("admin", "enabler", "leader", "champion", "speaker", "member")


@dataclass
class World:
    people: dict[str, Person]
    learner: Person  # registered for the occurrence
    outsider: Person  # in no circle
    circle: Circle  # invite-only; the champion runs it
    session: Session  # hosted by the circle, given by the speaker
    occurrence: Occurrence  # started half an hour ago, still running
    upcoming: Occurrence  # a later date of the session (in three days); the learner has a place
    office: Office
    cluster: DuplicateCluster  # proposed: the session and a copy of it
    study: RoiStudy  # made by the enabler
    template: SurveyTemplate  # the enabler's copy of a shipped survey, current
    action: RetrospectiveAction  # from the session's retrospective, owned by the learner
    proposal: Session  # proposed by the member, given by the learner, not scheduled yet
    proposed_circle: Circle  # started by the member, waiting for an enabler's approval

    def refresh(self) -> None:
        self.session.refresh_from_db()
        self.circle.refresh_from_db()


@pytest.fixture
def world() -> World:
    people = {
        "admin": make_person(role=Person.Role.ADMIN, name="Ari Admin"),
        "enabler": make_person(role=Person.Role.ENABLER, name="Eli Enabler"),
        "leader": make_person(role=Person.Role.LEADER, name="Lee Leader"),
        "champion": make_person(name="Cho Champion"),
        "speaker": make_person(name="Sol Speaker"),
        "member": make_person(name="Mo Member"),
    }
    circle = make_circle(
        name="Inner circle", visibility="invite_only", champions=[people["champion"]]
    )
    Membership.objects.create(circle=circle, person=people["member"])
    session = make_session(title="Original title", speakers=[people["speaker"]], circle=circle)
    occurrence = make_occurrence(
        session=session, start=timezone.now() - timedelta(minutes=30), minutes=120
    )
    learner = make_person(name="Lu Learner")
    registration_create(occurrence=occurrence, person=learner, actor=learner)
    upcoming = make_occurrence(session=session)
    registration_create(occurrence=upcoming, person=learner, actor=learner)
    cluster = DuplicateCluster.objects.create(score=0.9, pairs=[])
    cluster.sessions.set([session, make_session(title="Original title, again")])
    today = timezone.now().date()
    study = roi_study_create(
        actor=people["enabler"],
        title="Inner circle ROI",
        period_start=today - timedelta(days=30),
        period_end=today,
        isolation_method=RoiStudy.Isolation.PARTICIPANT_ESTIMATE,
        isolation_note="Participants' own estimates.",
        default_hourly_cost=Decimal("50"),
    )
    template = survey_template_copy(
        template=SurveyTemplate.objects.get(family="after-the-session", is_current=True),
        actor=people["enabler"],
        name="Our after-session survey",
    )
    action = retrospective_action_add(
        occurrence=occurrence, actor=people["speaker"], text="Fix the mic", owner=learner
    )
    return World(
        people=people,
        learner=learner,
        outsider=make_person(name="Oz Outsider"),
        circle=circle,
        session=session,
        occurrence=occurrence,
        upcoming=upcoming,
        office=make_office("Main office"),
        cluster=cluster,
        study=study,
        template=template,
        action=action,
        proposal=make_session(
            title="An idea", speakers=[learner], proposed_by=people["member"], circle=None
        ),
        proposed_circle=_proposed_circle(people["member"]),
    )


def _proposed_circle(starter: Person) -> Circle:
    circle = make_circle(name="Grassroots", champions=[starter])
    Circle.objects.filter(pk=circle.pk).update(state="proposed", proposed_by=starter)
    circle.refresh_from_db()
    return circle


def future_slot() -> tuple:
    start = timezone.now() + timedelta(days=10)
    return start, start + timedelta(hours=1)


# Each action: who may do it, what the database looks like (to see whether it changed), and
# how to attempt it through the service, a page (where one exists) and the API (where one exists).


@dataclass(frozen=True)
class Action:
    allowed: frozenset[str]
    state: Callable[[World], object]
    service: Callable[[World, Person], object]
    message: str
    page: Callable[[World, Client], object] | None = None
    api: Callable[[World, Client], object] | None = None
    # Where the page or the API refuses earlier than the service, with its own words (by role).
    page_messages: tuple[tuple[str, str], ...] = ()
    api_messages: tuple[tuple[str, str], ...] = ()


def _api_post(client: Client, url: str, payload: dict) -> object:
    return client.post(url, data=payload, content_type="application/json")


def _api_patch(client: Client, url: str, payload: dict) -> object:
    return client.patch(url, data=payload, content_type="application/json")


def _occurrence_page(w: World, c: Client) -> object:
    start, end = future_slot()
    return c.post(
        f"/sessions/{w.session.slug}/occurrences/new/",
        {
            "start": start.strftime("%Y-%m-%dT%H:%M"),
            "end": end.strftime("%Y-%m-%dT%H:%M"),
            "zone": "UTC",
            "online_url": "https://meet.example.org/new",
            "capacity": "5",
        },
    )


def _occurrence_api(w: World, c: Client) -> object:
    start, end = future_slot()
    return _api_post(
        c,
        "/api/v1/occurrences/",
        {
            "session_id": w.session.pk,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "online_url": "https://meet.example.org/new",
            "capacity": 5,
        },
    )


def _study_form(title: str) -> dict:
    today = timezone.now().date()
    return {
        "title": title,
        "scope": "programme",
        "period_start": (today - timedelta(days=30)).isoformat(),
        "period_end": today.isoformat(),
        "isolation_method": "participant_estimate",
        "isolation_note": "Estimates.",
        "default_hourly_cost": "50",
        "attribution_share": "1",
        "hours_saved_cap": "40",
        "preparation_ratio": "3",
        "organiser_hours": "0",
    }


def _template_edit_page(w: World, c: Client) -> object:
    """What a browser sends: the page's own form, renamed (refused roles cannot open it)."""
    url = f"/feedback/templates/{w.template.pk}/edit/"
    page = c.get(url)
    form = form_of(page.content.decode()) if page.status_code == 200 else {"questions": "0"}
    return c.post(url, {**form, "name": "Renamed survey"})


EDITORS = frozenset({"admin", "enabler", "champion", "speaker"})
CIRCLE_MANAGERS = frozenset({"admin", "enabler", "champion"})
ENABLERS = frozenset({"admin", "enabler"})
# Insights pages load the study (or the list) before the service refuses the change: those who
# may not read insights at all are told so first.
NOT_READING_INSIGHTS = tuple(
    (role, "Insights are for enablers and leaders.") for role in ("champion", "speaker", "member")
)

ACTIONS: dict[str, Action] = {
    "edit session": Action(
        allowed=EDITORS,
        state=lambda w: Session.objects.get(pk=w.session.pk).title,
        service=lambda w, actor: session_update(session=w.session, actor=actor, title="Changed"),
        message="Only the session's speakers, its circle's champions and enablers can edit it.",
        page=lambda w, c: c.post(
            f"/sessions/{w.session.slug}/edit/",
            {
                "title": "Changed",
                "abstract": "",
                "format": "talk",
                "level": "introductory",
                "language": "en",
                "speakers": ", ".join(p.slug for p in w.session.speakers.all()),
                "circle": w.circle.slug,
                "status": w.session.status,
            },
        ),
        api=lambda w, c: _api_patch(c, f"/api/v1/sessions/{w.session.pk}", {"title": "Changed"}),
    ),
    # A proposer edits what their proposal says until it is scheduled (events.permissions).
    "edit own proposal": Action(
        allowed=ENABLERS | {"member"},
        state=lambda w: Session.objects.get(pk=w.proposal.pk).title,
        service=lambda w, actor: session_update(session=w.proposal, actor=actor, title="Changed"),
        message="Only the session's speakers, its circle's champions and enablers can edit it.",
        page=lambda w, c: c.post(
            f"/sessions/{w.proposal.slug}/edit/",
            {
                "title": "Changed",
                "abstract": "",
                "format": "talk",
                "level": "introductory",
                "language": "en",
                "speakers": ", ".join(p.slug for p in w.proposal.speakers.all()),
                "circle": "",
                "status": "proposed",
            },
        ),
        api=lambda w, c: _api_patch(c, f"/api/v1/sessions/{w.proposal.pk}", {"title": "Changed"}),
    ),
    "add occurrence": Action(
        allowed=EDITORS,
        state=lambda w: Occurrence.objects.filter(session=w.session).count(),
        service=lambda w, actor: occurrence_create(
            session=w.session,
            actor=actor,
            start=future_slot()[0],
            end=future_slot()[1],
            online_url="https://meet.example.org/new",
            capacity=5,
        ),
        message="Only the session's speakers, its circle's champions and enablers can schedule it.",
        page=_occurrence_page,
        api=_occurrence_api,
    ),
    "record attendance": Action(
        allowed=EDITORS,
        state=lambda w: list(Attendance.objects.values_list("person_id", "mode")),
        service=lambda w, actor: attendance_record(
            occurrence=w.occurrence, person=w.learner, mode="room", actor=actor
        ),
        message="Only the session's speakers, its circle's champions and enablers record attendance.",
        page=lambda w, c: c.post(
            f"/sessions/occurrences/{w.occurrence.pk}/attendance/",
            {"person": w.learner.pk, "mode": "room"},
        ),
    ),
    "record attendance in bulk": Action(
        allowed=EDITORS,
        state=lambda w: list(Attendance.objects.values_list("person_id", "mode")),
        service=lambda w, actor: attendance_record_bulk(
            occurrence=w.occurrence, actor=actor, marks={}, all_present="online"
        ),
        message="Only the session's speakers, its circle's champions and enablers record attendance.",
        page=lambda w, c: c.post(
            f"/sessions/occurrences/{w.occurrence.pk}/checklist/",
            {"person": [w.learner.pk], "all": "online"},
        ),
        api=lambda w, c: _api_post(
            c, f"/api/v1/occurrences/{w.occurrence.pk}/attendance", {"all_present": "online"}
        ),
    ),
    "replace the check-in link": Action(
        allowed=EDITORS,
        state=lambda w: Occurrence.objects.get(pk=w.occurrence.pk).checkin_token,
        service=lambda w, actor: occurrence_checkin_token(
            occurrence=w.occurrence, actor=actor, rotate=True
        ),
        message="Only the session's speakers, its circle's champions and enablers record attendance.",
        page=lambda w, c: c.post(f"/sessions/occurrences/{w.occurrence.pk}/check-in-link/"),
        api=lambda w, c: _api_post(c, f"/api/v1/occurrences/{w.occurrence.pk}/check-in-link", {}),
    ),
    "cancel a date": Action(
        allowed=EDITORS,
        state=lambda w: Occurrence.objects.get(pk=w.upcoming.pk).cancelled_at,
        service=lambda w, actor: occurrence_cancel(occurrence=w.upcoming, actor=actor),
        message="Only the session's speakers, its circle's champions and enablers can cancel a date.",
        page=lambda w, c: c.post(f"/sessions/occurrences/{w.upcoming.pk}/cancel-date/"),
    ),
    "cancel session": Action(
        allowed=EDITORS,
        state=lambda w: Session.objects.get(pk=w.session.pk).status,
        service=lambda w, actor: session_cancel(session=w.session, actor=actor),
        message="Only the session's speakers, its circle's champions and enablers can cancel it.",
        page=lambda w, c: c.post(f"/sessions/{w.session.slug}/cancel/"),
    ),
    "create topic": Action(
        allowed=ENABLERS,
        state=lambda w: Topic.objects.count(),
        service=lambda w, actor: topic_create(actor=actor, name="Fresh topic"),
        message="Only enablers change the topic taxonomy.",
        api=lambda w, c: _api_post(c, "/api/v1/topics/", {"name": "Fresh topic"}),
    ),
    # Any member starts a circle (with approval on, it waits for an enabler).
    "create circle": Action(
        allowed=frozenset(ROLES),
        state=lambda w: Circle.objects.count(),
        service=lambda w, actor: circle_create(actor=actor, name="Fresh circle"),
        message="Only active members start circles.",
        page=lambda w, c: c.post(
            "/circles/new/", {"name": "Fresh circle", "cadence": "monthly", "visibility": "open"}
        ),
        api=lambda w, c: _api_post(c, "/api/v1/circles/", {"name": "Fresh circle"}),
    ),
    "approve circle": Action(
        allowed=ENABLERS,
        state=lambda w: Circle.objects.get(pk=w.proposed_circle.pk).state,
        service=lambda w, actor: circle_review(circle=w.proposed_circle, actor=actor, approve=True),
        message="Only enablers approve or decline circles.",
        page=lambda w, c: c.post(
            f"/circles/{w.proposed_circle.slug}/review/", {"decision": "approve"}
        ),
    ),
    "sunset circle": Action(
        allowed=CIRCLE_MANAGERS,
        state=lambda w: Circle.objects.get(pk=w.circle.pk).state,
        service=lambda w, actor: circle_sunset(circle=w.circle, actor=actor),
        message="Only the circle's champions and enablers can sunset it.",
        page=lambda w, c: c.post(f"/circles/{w.circle.slug}/sunset/"),
    ),
    "name a facilitator": Action(
        allowed=CIRCLE_MANAGERS,
        state=lambda w: Membership.objects.get(circle=w.circle, person=w.people["member"]).role,
        service=lambda w, actor: membership_set_role(
            circle=w.circle, person=w.people["member"], role="facilitator", actor=actor
        ),
        message="Only the circle's champions and enablers can name champions.",
        page=lambda w, c: c.post(
            f"/circles/{w.circle.slug}/people/",
            {"person": w.people["member"].slug, "role": "facilitator"},
        ),
    ),
    "edit circle": Action(
        allowed=CIRCLE_MANAGERS,
        state=lambda w: Circle.objects.get(pk=w.circle.pk).mission,
        service=lambda w, actor: circle_update(circle=w.circle, actor=actor, mission="New mission"),
        message="Only the circle's champions and enablers can edit it.",
        api=lambda w, c: _api_patch(
            c, f"/api/v1/circles/{w.circle.pk}", {"mission": "New mission"}
        ),
    ),
    "add member to invite-only circle": Action(
        allowed=CIRCLE_MANAGERS,
        state=lambda w: Membership.objects.filter(circle=w.circle, person=w.outsider).exists(),
        service=lambda w, actor: circle_join(circle=w.circle, person=w.outsider, actor=actor),
        message="Only the circle's champions and enablers can add members.",
        page=lambda w, c: c.post(f"/circles/{w.circle.slug}/members/", {"person": w.outsider.slug}),
        api=lambda w, c: _api_post(
            c, f"/api/v1/circles/{w.circle.pk}/members", {"person_id": w.outsider.pk}
        ),
    ),
    "create room": Action(
        allowed=ENABLERS,
        state=lambda w: Room.objects.count(),
        service=lambda w, actor: room_create(
            actor=actor, office=w.office, name="Fresh room", capacity=8
        ),
        message="Only enablers manage rooms.",
    ),
    "cancel someone else's registration": Action(
        allowed=ENABLERS,
        state=lambda w: Registration.objects.get(person=w.learner, occurrence=w.upcoming).status,
        service=lambda w, actor: registration_cancel(
            occurrence=w.upcoming, person=w.learner, actor=actor
        ),
        message="You can only cancel your own registration.",
        api=lambda w, c: _api_patch(
            c,
            f"/api/v1/registrations/{Registration.objects.get(person=w.learner, occurrence=w.upcoming).pk}",
            {"status": "cancelled"},
        ),
        # A member (or a leader) may not even read the registration; speakers and champions may.
        api_messages=tuple(
            (role, "This is someone else's registration.") for role in ("leader", "member")
        ),
    ),
    "decide duplicate": Action(
        allowed=ENABLERS,
        state=lambda w: DuplicateCluster.objects.get(pk=w.cluster.pk).status,
        service=lambda w, actor: duplicate_cluster_decide(
            cluster=w.cluster, actor=actor, status="not_duplicate"
        ),
        message="Only enablers decide on duplicates.",
        page=lambda w, c: c.post(
            f"/insights/duplicates/{w.cluster.pk}/decide/", {"status": "not_duplicate"}
        ),
        api=lambda w, c: _api_post(
            c, f"/api/v1/insights/duplicates/{w.cluster.pk}/decision", {"status": "not_duplicate"}
        ),
    ),
    "create ROI study": Action(
        allowed=ENABLERS,
        state=lambda w: RoiStudy.objects.count(),
        service=lambda w, actor: roi_study_create(
            actor=actor,
            title="Fresh study",
            period_start=date(2025, 1, 1),
            period_end=date(2025, 3, 31),
            isolation_method=RoiStudy.Isolation.PARTICIPANT_ESTIMATE,
            isolation_note="Estimates.",
            default_hourly_cost=Decimal("50"),
        ),
        message="Only enablers create ROI studies.",
        page=lambda w, c: c.post("/insights/roi/", _study_form("Fresh study")),
        api=lambda w, c: _api_post(c, "/api/v1/insights/roi", _study_form("Fresh study")),
        page_messages=NOT_READING_INSIGHTS,
    ),
    "add to ROI study": Action(
        allowed=ENABLERS,
        state=lambda w: list(w.study.intangibles.values_list("text", flat=True)),
        service=lambda w, actor: roi_intangible_add(
            study=w.study, actor=actor, text="Better onboarding"
        ),
        message="Only enablers edit ROI studies.",
        page=lambda w, c: c.post(
            f"/insights/roi/{w.study.pk}/add/intangible/", {"text": "Better onboarding"}
        ),
        page_messages=NOT_READING_INSIGHTS,
    ),
    # The action's owner (the learner, who holds no role) may close it too: tested in
    # tests/feedback/test_retrospectives.py.
    "mark a retrospective action done": Action(
        allowed=ENABLERS | {"speaker"},
        state=lambda w: RetrospectiveAction.objects.get(pk=w.action.pk).done,
        service=lambda w, actor: retrospective_action_set_done(
            action=w.action, actor=actor, done=True
        ),
        message="Only the action's owner, the session's speakers and enablers mark it done.",
        page=lambda w, c: c.post(f"/feedback/actions/{w.action.pk}/done/", {"done": "1"}),
        api=lambda w, c: _api_post(
            c, f"/api/v1/feedback/actions/{w.action.pk}/done", {"done": True}
        ),
    ),
    "freeze ROI version": Action(
        allowed=ENABLERS,
        state=lambda w: list(w.study.versions.values_list("number", flat=True)),
        service=lambda w, actor: roi_version_freeze(study=w.study, actor=actor),
        message="Only enablers freeze ROI studies.",
        page=lambda w, c: c.post(f"/insights/roi/{w.study.pk}/versions/", {"note": ""}),
        api=lambda w, c: _api_post(c, f"/api/v1/insights/roi/{w.study.pk}/versions", {}),
        page_messages=NOT_READING_INSIGHTS,
        api_messages=NOT_READING_INSIGHTS,
    ),
    "edit survey template": Action(
        allowed=ENABLERS,
        state=lambda w: list(
            SurveyTemplate.objects.filter(family=w.template.family).values_list("version", "name")
        ),
        service=lambda w, actor: survey_template_revise(
            template=w.template, actor=actor, name="Renamed survey"
        ),
        message="Only enablers edit survey templates.",
        page=_template_edit_page,
        api=lambda w, c: _api_patch(
            c, f"/api/v1/feedback/templates/{w.template.pk}", {"name": "Renamed survey"}
        ),
    ),
    "import people from a file": Action(
        allowed=frozenset({"admin"}),
        state=lambda w: (
            PeopleFileUpload.objects.count(),
            Person.objects.filter(email="new.hire@example.org").count(),
        ),
        service=lambda w, actor: people_file_upload_create(
            actor=actor,
            file_name="staff.csv",
            data=b"email,name\nnew.hire@example.org,New Hire\n",
            deactivate_missing=False,
        ),
        message="Only an admin can import people from a file.",
        page=lambda w, c: c.post(
            "/accounts/people/import/",
            {
                "file": SimpleUploadedFile(
                    "staff.csv", b"email,name\nnew.hire@example.org,New Hire\n"
                )
            },
        ),
    ),
}


def cells(layer: str) -> list:
    return [
        pytest.param(action, role, id=f"{action}-{role}")
        for action, spec in ACTIONS.items()
        if getattr(spec, layer) is not None
        for role in ROLES
    ]


def api_client(person: Person) -> Client:
    _, secret = api_token_create(person=person, name="matrix")
    return Client(headers={"Authorization": f"Bearer {secret}"})


@pytest.mark.parametrize(("action", "role"), cells("service"))
def test_service_permission(world: World, action: str, role: str) -> None:
    spec = ACTIONS[action]
    before = spec.state(world)

    if role in spec.allowed:
        spec.service(world, world.people[role])
        assert spec.state(world) != before
    else:
        with pytest.raises(Forbidden) as error:
            spec.service(world, world.people[role])
        assert error.value.message == spec.message
        assert spec.state(world) == before


@pytest.mark.parametrize(("action", "role"), cells("page"))
def test_page_permission(world: World, action: str, role: str) -> None:
    spec = ACTIONS[action]
    before = spec.state(world)

    response = spec.page(world, signed_in(world.people[role]))

    if role in spec.allowed:
        assert response.status_code == 302
        assert spec.state(world) != before
    else:
        html = response.content.decode()
        message = dict(spec.page_messages).get(role, spec.message)
        assert response.status_code == 403
        assert f"<h1>Not allowed</h1><p>{escape(message)}</p>" in html
        assert spec.state(world) == before


@pytest.mark.parametrize(("action", "role"), cells("api"))
def test_api_permission(world: World, action: str, role: str) -> None:
    spec = ACTIONS[action]
    before = spec.state(world)

    response = spec.api(world, api_client(world.people[role]))

    if role in spec.allowed:
        assert response.status_code in (200, 201)
        assert spec.state(world) != before
    else:
        assert response.status_code == 403
        assert response.json()["detail"] == dict(spec.api_messages).get(role, spec.message)
        assert spec.state(world) == before


# What each role may read: pages and API calls that answer 200 to some roles and 403 to others.


@dataclass(frozen=True)
class Read:
    allowed: frozenset[str]
    message: str
    page: Callable[[World], str]  # the URL
    shows: Callable[[World], str]  # what an allowed reader sees on it
    api: Callable[[World], str] | None = None
    answers: Callable[[World, object], object] | None = None  # the API's body → a value …
    expected: Callable[[World], object] | None = None  # … equal to this


RESULT_READERS = ENABLERS | {"leader"}
INSIGHTS_REFUSED = "Insights are for enablers and leaders."

READS: dict[str, Read] = {
    "insights dashboard": Read(
        allowed=RESULT_READERS,
        message=INSIGHTS_REFUSED,
        page=lambda w: "/insights/",
        shows=lambda w: "<h1>Programme dashboard</h1>",
        api=lambda w: "/api/v1/insights/dashboard",
        answers=lambda w, body: sorted(body),
        expected=lambda w: ["computed_at", "figures", "from_rollup", "previous"],
    ),
    "insights dashboard CSV": Read(
        allowed=RESULT_READERS,
        message=INSIGHTS_REFUSED,
        page=lambda w: "/insights/dashboard.csv",
        shows=lambda w: "section,item,measure,this period,previous period\n",
    ),
    "what works": Read(
        allowed=RESULT_READERS,
        message=INSIGHTS_REFUSED,
        page=lambda w: "/insights/what-works/",
        shows=lambda w: "<h1>What works</h1>",
    ),
    "duplicated training": Read(
        allowed=RESULT_READERS,
        message=INSIGHTS_REFUSED,
        page=lambda w: "/insights/duplicates/",
        shows=lambda w: "<h1>Duplicated training</h1>",
        api=lambda w: "/api/v1/insights/duplicates",
        answers=lambda w, body: [(c["id"], c["status"]) for c in body],
        expected=lambda w: [(w.cluster.pk, "proposed")],
    ),
    "knowledge gaps": Read(
        allowed=RESULT_READERS,
        message=INSIGHTS_REFUSED,
        page=lambda w: "/insights/gaps/",
        shows=lambda w: "<h1>Knowledge gaps</h1>",
    ),
    "knowledge map": Read(
        allowed=RESULT_READERS,
        message=INSIGHTS_REFUSED,
        page=lambda w: "/insights/map/",
        shows=lambda w: "<h1>Knowledge map</h1>",
    ),
    "ROI report": Read(
        allowed=RESULT_READERS,
        message=INSIGHTS_REFUSED,
        page=lambda w: f"/insights/roi/{w.study.pk}/",
        shows=lambda w: "<h1>Inner circle ROI</h1>",
        api=lambda w: f"/api/v1/insights/roi/{w.study.pk}",
        answers=lambda w, body: (body["id"], body["title"]),
        expected=lambda w: (w.study.pk, "Inner circle ROI"),
    ),
    "ROI traceability": Read(
        allowed=RESULT_READERS,
        message=INSIGHTS_REFUSED,
        page=lambda w: f"/insights/roi/{w.study.pk}/trace/",
        shows=lambda w: "<h1>Inner circle ROI: every input and its source</h1>",
    ),
    "programme feedback": Read(
        allowed=RESULT_READERS,
        message="The programme view is for enablers and leaders.",
        page=lambda w: "/feedback/programme/",
        shows=lambda w: "<h1>Programme feedback</h1>",
        api=lambda w: "/api/v1/feedback/programme",
        answers=lambda w, body: (body["rows"], body["left_out"]),
        expected=lambda w: ([], 0),
    ),
    "evidence by session": Read(
        allowed=RESULT_READERS,
        message="The evidence view is for enablers and leaders.",
        page=lambda w: "/feedback/evidence/",
        shows=lambda w: "<h1>Evidence by session</h1>",
    ),
    "every open action": Read(
        allowed=ENABLERS,
        message="The list of every open action is for enablers.",
        page=lambda w: "/feedback/actions/",
        shows=lambda w: "<h1>Open actions</h1>",
        api=lambda w: "/api/v1/feedback/actions",
        answers=lambda w, body: (body["total"], [a["text"] for a in body["actions"]]),
        expected=lambda w: (1, ["Fix the mic"]),
    ),
    "a session's feedback results": Read(
        allowed=ENABLERS | {"speaker"},
        message="Only the session's speakers and enablers read its feedback.",
        page=lambda w: f"/feedback/sessions/{w.session.slug}/",
        shows=lambda w: (
            f'<h1>Feedback: <a href="/sessions/{w.session.slug}/">Original title</a></h1>'
        ),
        api=lambda w: f"/api/v1/feedback/sessions/{w.session.pk}/results",
        answers=lambda w, body: body["session_id"],
        expected=lambda w: w.session.pk,
    ),
}


def read_cells(layer: str) -> list:
    return [
        pytest.param(name, role, id=f"read {name}-{role}")
        for name, spec in READS.items()
        if getattr(spec, layer) is not None
        for role in ROLES
    ]


@pytest.mark.parametrize(("name", "role"), read_cells("page"))
def test_page_read_permission(world: World, name: str, role: str) -> None:
    spec = READS[name]

    response = signed_in(world.people[role]).get(spec.page(world))

    text = response.content.decode()
    if role in spec.allowed:
        assert response.status_code == 200
        assert spec.shows(world) in text
    else:
        assert response.status_code == 403
        assert f"<h1>Not allowed</h1><p>{escape(spec.message)}</p>" in text


@pytest.mark.parametrize(("name", "role"), read_cells("api"))
def test_api_read_permission(world: World, name: str, role: str) -> None:
    spec = READS[name]

    response = api_client(world.people[role]).get(spec.api(world))

    if role in spec.allowed:
        assert response.status_code == 200
        assert spec.answers(world, response.json()) == spec.expected(world)
    else:
        assert response.status_code == 403
        assert response.json()["detail"] == spec.message


def test_matrix_covers_every_role_and_action() -> None:
    assert len(cells("service")) == 24 * 6
    assert len(cells("page")) == 20 * 6
    assert len(cells("api")) == 15 * 6
    assert len(read_cells("page")) == 12 * 6
    assert len(read_cells("api")) == 6 * 6
