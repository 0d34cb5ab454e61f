"""What a reader of the ROI pages sees: no errors before a submit, money in their locale, the
scope in words, and benefit rows that name their session."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from knowflow.insights import services
from knowflow.insights.models import RoiStudy
from knowflow.insights.selectors import roi_result
from tests.conftest import signed_in
from tests.insights.conftest import Programme

pytestmark = pytest.mark.django_db

REQUIRED = "This field is required."


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def table_rows(html: str, heading: str) -> list[list[str]]:
    """The body rows of the first table after ``<h2>heading</h2>``, each as its cells' text."""
    after = html.split(f"<h2>{heading}</h2>", 1)[1]
    body = after.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [text_of(cell) for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S)
    ]


def study_form(**changes: str) -> dict[str, str]:
    today = timezone.now().date()
    return {
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
        **changes,
    }


def test_roi_page_shows_no_error_before_anything_is_submitted(programme: Programme) -> None:
    page = signed_in(programme.enabler).get("/insights/roi/").content.decode()

    assert REQUIRED not in page
    assert 'class="errorlist' not in page
    assert "<h2>New study</h2>" in page  # the form is there, only quiet


def test_roi_study_form_shows_its_errors_after_a_submit_and_the_cost_form_stays_quiet(
    programme: Programme,
) -> None:
    page = (
        signed_in(programme.enabler)
        .post("/insights/roi/", study_form(title="", default_hourly_cost=""))
        .content.decode()
    )

    assert page.count(REQUIRED) == 2  # title and default hourly cost, nothing else
    assert RoiStudy.objects.count() == 0


def test_a_refused_hourly_cost_shows_its_own_error_and_not_the_study_forms(
    programme: Programme,
) -> None:
    page = (
        signed_in(programme.enabler)
        .post("/insights/roi/", {"form": "cost", "amount": ""})
        .content.decode()
    )

    assert page.count(REQUIRED) == 1  # the hourly cost's amount, not the study's eleven fields
    assert page.index(REQUIRED) > page.index("<h2>Loaded hourly costs</h2>")


def _study_with_training(programme: Programme) -> RoiStudy:
    client = signed_in(programme.enabler)
    client.post("/insights/roi/", study_form())
    study = RoiStudy.objects.get()
    # 212,940 of training avoided: 2,129.40 a person × 100 people.
    client.post(
        f"/insights/roi/{study.pk}/add/training/",
        {"course": "Cloud course", "price": "2129.40", "people": "100"},
    )
    return study


def _summary(client: Client, study: RoiStudy, language: str) -> list[list[str]]:
    html = client.get(f"/insights/roi/{study.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [text_of(cell) for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    ]


def test_roi_report_money_reads_in_an_english_readers_locale(programme: Programme) -> None:
    study = _study_with_training(programme)
    client = signed_in(programme.enabler)

    # Costs: attendees 6 h × 50 = 300, speakers 2.5 h × 50 = 125 + preparation 375 → 800.
    assert _summary(client, study, "en-GB,en;q=0.8") == [
        ["Costs (fully loaded)", "800.00"],
        ["Benefits (first year, adjusted)", "212,940.00"],
        ["Benefit-cost ratio = benefits ÷ costs", "266.18"],
        ["ROI % = (benefits − costs) ÷ costs × 100", "26,517.5 %"],
    ]
    html = client.get(f"/insights/roi/{study.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert table_rows(html, "Benefits") == [
        ["training avoided: Cloud course", "100 people × 2129.40", "212,940.00"]
    ]


@override_settings(KNOWFLOW_CURRENCY="EUR")
def test_roi_report_money_reads_in_a_german_readers_locale_with_the_currency(
    programme: Programme,
) -> None:
    study = _study_with_training(programme)
    client = signed_in(programme.enabler)

    assert _summary(client, study, "de-DE,de;q=0.9,en;q=0.5") == [
        ["Costs (fully loaded)", "800,00 €"],
        ["Benefits (first year, adjusted)", "212.940,00 €"],
        ["Benefit-cost ratio = benefits ÷ costs", "266,18"],
        ["ROI % = (benefits − costs) ÷ costs × 100", "26.517,5 %"],
    ]
    # The CSV stays machine-readable whatever the reader's locale.
    rows = client.get(f"/insights/roi/{study.pk}.csv", HTTP_ACCEPT_LANGUAGE="de-DE").content
    assert b"212940.00" in rows and b"212.940" not in rows


def test_roi_report_shows_its_scope_in_words(programme: Programme) -> None:
    study = _study_with_training(programme)
    html = signed_in(programme.enabler).get(f"/insights/roi/{study.pk}/").content.decode()

    meta = text_of(html.split("<h1>", 1)[1].split('<p class="meta">', 1)[1].split("</p>")[0])
    assert meta.startswith("The whole programme · ")
    assert "programme ·" not in meta.replace("The whole programme ·", "")


def test_roi_report_benefit_rows_name_their_session_one_row_each(
    programme: Programme, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Forty answers from two sessions over two rounds each: two rows, each naming its session,
    # never forty "hours saved" rows.
    claim = {"hours_saved_per_month": 1.0, "confidence": 1.0, "attribution": 1.0}
    claims = []
    for title, n_30, n_90 in (("Kafka basics", 10, 10), ("Terraform at scale", 12, 8)):
        for label, n in (("Follow-up after 30 days", n_30), ("Follow-up after 90 days", n_90)):
            claims += [
                {**claim, "source": f"{label}: {title}", "session": title, "round": label}
            ] * n
    monkeypatch.setattr(roi_result, "follow_up_claims", lambda **_: claims)
    enabler = programme.enabler
    study = services.roi_study_create(
        actor=enabler,
        title="Named rows",
        period_start=timezone.now().date() - timedelta(days=30),
        period_end=timezone.now().date(),
        isolation_method="participant_estimate",
        isolation_note="Participants estimated the share.",
        default_hourly_cost=Decimal("50"),
        organiser_hours=Decimal("0"),
    )

    html = signed_in(enabler).get(f"/insights/roi/{study.pk}/").content.decode()

    # 20 answers × 1 h × 12 × 50 = 12,000.00 for each session.
    how = (
        "20 of 20 answers: each one's hours saved a month × 12 × 50.00/h (the study's hourly "
        "cost) × its share attributed to the session × its confidence"
    )
    assert table_rows(html, "Benefits") == [
        ["hours saved: Kafka basics", how, "12,000.00"],
        ["hours saved: Terraform at scale", how, "12,000.00"],
    ]
    trace = signed_in(enabler).get(f"/insights/roi/{study.pk}/trace/").content.decode()
    sources = [
        row[-1]
        for row in re.findall(r"<tr>(.*?)</tr>", trace.split("<tbody>")[1], flags=re.S)
        if "hours saved" in row
        for row in [[text_of(c) for c in re.findall(r"<td>(.*?)</td>", row, flags=re.S)]]
    ]
    assert sources == ["Follow-up after 30 days, Follow-up after 90 days"] * 2
