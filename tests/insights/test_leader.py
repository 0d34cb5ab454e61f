"""The leader role: reads the programme's results (dashboard, CSV, duplicated training, ROI,
programme feedback) exactly as enablers see them, and changes none of them."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.events.models import Attendance, Occurrence
from knowflow.feedback.models import SurveyTemplate
from knowflow.feedback.services.responses import survey_response_submit
from knowflow.feedback.services.templates import survey_template_copy
from knowflow.insights import services
from knowflow.insights.models import DuplicateCluster, HourlyCost, RoiStudy
from tests.conftest import signed_in
from tests.factories import make_person
from tests.feedback.helpers import GOOD, attend, ended_occurrence, open_requests, people
from tests.feedback.test_evidence import evidence_rows
from tests.insights.conftest import Programme

pytestmark = pytest.mark.django_db


@pytest.fixture
def leader() -> Person:
    return make_person(role=Person.Role.LEADER, name="Lea Leader")


def not_allowed(response: object, message: str) -> None:
    assert response.status_code == 403
    assert f"<h1>Not allowed</h1><p>{message}</p>" in response.content.decode()


def a_study(programme: Programme) -> RoiStudy:
    today = timezone.now().date()
    return services.roi_study_create(
        actor=programme.enabler,
        title="Testing guild ROI",
        period_start=today - timedelta(days=30),
        period_end=today,
        isolation_method=RoiStudy.Isolation.PARTICIPANT_ESTIMATE,
        isolation_note="Estimates.",
        default_hourly_cost=Decimal("50"),
    )


def answered_session(n: int, *, speakers: list[Person] | None = None) -> Occurrence:
    """An ended occurrence with ``n`` answers to the after-session survey, half of them online."""
    occurrence = ended_occurrence(speakers=speakers or [make_person()])
    attend(occurrence, people(n // 2))
    attend(occurrence, people(n - n // 2), mode=Attendance.Mode.ONLINE)
    for request, _ in open_requests(occurrence).values():
        survey_response_submit(request=request, answers=GOOD)
    return occurrence


def programme_table(client: Client) -> str:
    page = client.get("/feedback/programme/")
    assert page.status_code == 200
    return re.search(r'<table class="programme">.*?</table>', page.content.decode(), re.S)[0]


# --- what a leader reads ---------------------------------------------------------------------


def test_leader_reads_the_dashboard_and_has_the_insights_links(
    programme: Programme, leader: Person
) -> None:
    response = signed_in(leader).get("/insights/?period=last-30-days")

    html = response.content.decode()
    assert response.status_code == 200
    assert (
        '<tr><th scope="row">Learning hours</th><td>6.0</td><td>0.0</td><td>new</td></tr>' in html
    )
    assert '<a href="/insights/">Insights</a>' in html
    assert '<a href="/feedback/programme/">Programme feedback</a>' in html


def test_insights_link_is_shown_to_leaders_and_enablers_only(
    programme: Programme, leader: Person
) -> None:
    link = '<a href="/insights/">Insights</a>'

    shown = {
        who: link in signed_in(person).get("/").content.decode()
        for who, person in (
            ("leader", leader),
            ("enabler", programme.enabler),
            ("member", programme.member),
        )
    }

    assert shown == {"leader": True, "enabler": True, "member": False}


def test_leader_downloads_the_dashboard_csv_the_enabler_gets(
    programme: Programme, leader: Person
) -> None:
    url = "/insights/dashboard.csv?period=last-30-days"

    response = signed_in(leader).get(url)

    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    figures = {r["item"]: r["this period"] for r in rows if r["section"] == "key figure"}
    assert (figures["Sessions run"], figures["Unique learners"]) == ("2", "4")
    assert response.content == signed_in(programme.enabler).get(url).content


def test_leader_reads_duplicated_training_but_cannot_decide(
    programme: Programme, leader: Person
) -> None:
    cluster = DuplicateCluster.objects.create(score=0.91, pairs=[])
    cluster.sessions.set([programme.session1, programme.session2])
    client = signed_in(leader)

    page = client.get("/insights/duplicates/")
    listed = client.get("/api/v1/insights/duplicates")
    decided = client.post(
        f"/insights/duplicates/{cluster.pk}/decide/", {"status": "duplicate", "note": "same"}
    )
    decided_api = client.post(
        f"/api/v1/insights/duplicates/{cluster.pk}/decision",
        {"status": "duplicate"},
        content_type="application/json",
    )

    assert page.status_code == 200
    assert f'<h2 id="cluster-{cluster.pk}">Cluster {cluster.pk} · Proposed' in page.content.decode()
    # No decision form for a leader: the page says who decides instead.
    assert "<button>Record</button>" not in page.content.decode()
    assert "Proposed: an enabler decides whether it is a duplicate." in page.content.decode()
    assert (
        "<button>Record</button>"
        in signed_in(programme.enabler).get("/insights/duplicates/").content.decode()
    )
    assert [(c["id"], c["status"]) for c in listed.json()] == [(cluster.pk, "proposed")]
    not_allowed(decided, "Only enablers decide on duplicates.")
    assert (decided_api.status_code, decided_api.json()["detail"]) == (
        403,
        "Only enablers decide on duplicates.",
    )
    cluster.refresh_from_db()
    assert (cluster.status, cluster.decided_by) == ("proposed", None)


def test_leader_reads_the_roi_report_trace_and_csv_the_enabler_reads(
    programme: Programme, leader: Person
) -> None:
    study = a_study(programme)
    client, enabler = signed_in(leader), signed_in(programme.enabler)

    report = client.get(f"/insights/roi/{study.pk}/")
    trace = client.get(f"/insights/roi/{study.pk}/trace/")
    rows = list(csv.DictReader(io.StringIO(client.get(f"/insights/roi/{study.pk}.csv").text)))
    api = client.get(f"/api/v1/insights/roi/{study.pk}")

    assert report.status_code == 200
    assert "<h1>Testing guild ROI</h1>" in report.content.decode()
    # Read only: no input forms on the report, no new study or hourly cost on the list.
    assert "Add an input" not in report.content.decode()
    assert "Add an input" in enabler.get(f"/insights/roi/{study.pk}/").content.decode()
    listing = client.get("/insights/roi/").content.decode()
    assert "Testing guild ROI" in listing
    assert "<h2>New study</h2>" not in listing and "Save hourly cost" not in listing
    assert "<title>ROI studies · Knowflow</title>" in listing
    assert trace.status_code == 200
    assert "<h1>Testing guild ROI: every input and its source</h1>" in trace.content.decode()
    # attendees 6 h × 50 = 300, speakers 2.5 h × 50 = 125 + preparation 7.5 h × 50 = 375
    assert [r["value"] for r in rows if r["item"] == "costs"] == ["800.00"]
    assert client.get(f"/insights/roi/{study.pk}.csv").content == (
        enabler.get(f"/insights/roi/{study.pk}.csv").content
    )
    assert api.json() == enabler.get(f"/api/v1/insights/roi/{study.pk}").json()
    assert [s["id"] for s in client.get("/api/v1/insights/roi").json()] == [study.pk]


def test_leader_reads_the_programme_and_evidence_views_the_enabler_reads(
    leader: Person,
) -> None:
    occurrence = answered_session(6)
    enabler = make_person(role=Person.Role.ENABLER)
    client = signed_in(leader)

    table = programme_table(client)
    body = client.get("/api/v1/feedback/programme").json()
    evidence = client.get("/feedback/evidence/")

    title = re.escape(occurrence.session.title)
    # The same figures; the enabler's rows link each session's results, which leaders cannot
    # open (they belong to its speakers and enablers), so the leader's rows are plain text.
    assert re.sub(r"<a [^>]*>|</a>", "", programme_table(signed_in(enabler))) == table
    assert re.search(rf"<td>{title}</td><td>1</td>\s*<td>6</td>", table)  # 1 session, 6 answers
    assert "/feedback/sessions/" not in table
    assert body == signed_in(enabler).get("/api/v1/feedback/programme").json()
    assert [(r["label"], r["responses"]) for r in body["rows"]] == [(occurrence.session.title, 6)]
    assert evidence.status_code == 200
    assert [row[:3] for row in evidence_rows(evidence.content.decode())] == [
        [
            occurrence.session.title,
            "attendance recorded; people say what they learned (self-reported)",
            "6",
        ]
    ]
    assert "/feedback/sessions/" not in evidence.content.decode()


# --- what a leader may not do ------------------------------------------------------------------


def test_leader_cannot_create_a_roi_study_or_set_an_hourly_cost(
    programme: Programme, leader: Person
) -> None:
    today = timezone.now().date()
    client = signed_in(leader)

    page = client.post(
        "/insights/roi/",
        {
            "title": "Leader's study",
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
        },
    )
    api = client.post(
        "/api/v1/insights/roi",
        {
            "title": "Leader's study",
            "period_start": (today - timedelta(days=30)).isoformat(),
            "period_end": today.isoformat(),
            "isolation_method": "trend_line",
            "isolation_note": "Trend.",
            "default_hourly_cost": "50",
        },
        content_type="application/json",
    )
    cost = client.post(
        "/insights/roi/", {"form": "cost", "org_unit": programme.s1.org_unit.pk, "amount": "70"}
    )

    not_allowed(page, "Only enablers create ROI studies.")
    assert (api.status_code, api.json()["detail"]) == (403, "Only enablers create ROI studies.")
    not_allowed(cost, "Only enablers set hourly costs.")
    assert (RoiStudy.objects.count(), HourlyCost.objects.count()) == (0, 0)


def test_leader_cannot_edit_a_roi_study(programme: Programme, leader: Person) -> None:
    study = a_study(programme)
    client = signed_in(leader)

    added = {
        what: client.post(f"/insights/roi/{study.pk}/add/{what}/", data)
        for what, data in (
            ("cost", {"label": "Room hire", "amount": "100", "kind": "tooling"}),
            ("training", {"course": "Course", "price": "1000", "people": "2"}),
            ("intangible", {"text": "Better morale"}),
        )
    }

    for response in added.values():
        not_allowed(response, "Only enablers edit ROI studies.")
    assert (study.costs.count(), study.training_avoided.count(), study.intangibles.count()) == (
        0,
        0,
        0,
    )


def test_leader_cannot_open_a_sessions_results_unless_they_speak_at_it(leader: Person) -> None:
    someone_elses = answered_session(5)
    their_own = answered_session(5, speakers=[leader])
    client = signed_in(leader)
    slug = someone_elses.session.slug

    page = client.get(f"/feedback/sessions/{slug}/")
    export = client.get(f"/feedback/sessions/{slug}/export.csv")
    api = client.get(f"/api/v1/feedback/sessions/{someone_elses.session.pk}/results")
    own = client.get(f"/feedback/sessions/{their_own.session.slug}/")

    message = "Only the session&#x27;s speakers and enablers read its feedback."
    not_allowed(page, message)
    not_allowed(export, message)
    assert (api.status_code, api.json()["detail"]) == (
        403,
        "Only the session's speakers and enablers read its feedback.",
    )
    assert own.status_code == 200
    assert f">{their_own.session.title}</a></h1>" in own.content.decode()


def test_leader_cannot_edit_a_survey_template(leader: Person) -> None:
    enabler = make_person(role=Person.Role.ENABLER)
    shipped = SurveyTemplate.objects.get(family="after-the-session", is_current=True)
    ours = survey_template_copy(template=shipped, actor=enabler, name="Ours")
    client = signed_in(leader)
    versions = SurveyTemplate.objects.count()

    opened = client.get(f"/feedback/templates/{ours.pk}/edit/")
    posted = client.post(
        f"/feedback/templates/{ours.pk}/edit/", {"name": "Leader's", "questions": "0"}
    )
    api = client.patch(
        f"/api/v1/feedback/templates/{ours.pk}",
        {"name": "Leader's"},
        content_type="application/json",
    )
    default = client.post(f"/feedback/templates/{ours.pk}/default/")

    not_allowed(opened, "Only enablers edit survey templates.")
    not_allowed(posted, "Only enablers edit survey templates.")
    assert (api.status_code, api.json()["detail"]) == (403, "Only enablers edit survey templates.")
    assert default.status_code == 403
    assert SurveyTemplate.objects.count() == versions
    assert SurveyTemplate.objects.get(pk=ours.pk).name == "Ours"
