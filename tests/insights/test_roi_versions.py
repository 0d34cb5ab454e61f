"""ROI studies are frozen into versions that never change; every hand-entered input says who
entered it and when; the study's page shows the versions and the history."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.accounts.services import api_token_create
from knowflow.insights import services
from knowflow.insights.models import FrozenVersion, RoiStudy, RoiVersion
from tests.conftest import signed_in
from tests.factories import make_person, org_unit

pytestmark = pytest.mark.django_db


def api(person: Person) -> Client:
    _, secret = api_token_create(person=person, name="test")
    return Client(headers={"authorization": f"Bearer {secret}"})


def a_study(enabler: Person) -> RoiStudy:
    today = timezone.now().date()
    return services.roi_study_create(
        actor=enabler,
        title="Testing guild 2026",
        period_start=today - timedelta(days=30),
        period_end=today,
        isolation_method="participant_estimate",
        isolation_note="Participants estimated the share.",
        default_hourly_cost=Decimal("80"),
        organiser_hours=Decimal("10"),
    )


def test_a_frozen_version_keeps_its_figures_when_the_study_changes() -> None:
    enabler = make_person(role=Person.Role.ENABLER, name="Erin Enabler")
    client = api(enabler)
    study = a_study(enabler)
    services.roi_cost_add(study=study, actor=enabler, label="Venue", amount=Decimal("500"))

    frozen = client.post(
        f"/api/v1/insights/roi/{study.pk}/versions",
        {"note": "Q4 report"},
        content_type="application/json",
    ).json()
    live_then = client.get(f"/api/v1/insights/roi/{study.pk}").json()

    # Organiser 10 h × 80 = 800.00, venue 500.00: costs 1,300.00, no benefit yet.
    assert (frozen["number"], frozen["note"], frozen["frozen_by"]) == (
        1,
        "Q4 report",
        "Erin Enabler",
    )
    assert frozen["figures"]["costs"] == live_then["costs"] == "1300.00"
    assert frozen["figures"]["roi_percent"] == "-100.0"
    assert frozen["figures"]["lines"] == live_then["inputs"]

    services.roi_cost_add(study=study, actor=enabler, label="Catering", amount=Decimal("200"))
    services.roi_intangible_add(study=study, actor=enabler, text="Better cross-team trust")

    live_now = client.get(f"/api/v1/insights/roi/{study.pk}").json()
    again = client.get(f"/api/v1/insights/roi/{study.pk}/versions/1").json()
    assert live_now["costs"] == "1500.00"
    assert again == frozen
    assert [v["number"] for v in live_now["versions"]] == [1]


def test_changing_or_deleting_a_frozen_version_is_refused_and_changes_nothing() -> None:
    enabler = make_person(role=Person.Role.ENABLER)
    client = api(enabler)
    study = a_study(enabler)
    version = services.roi_version_freeze(study=study, actor=enabler)
    before = RoiVersion.objects.values().get(pk=version.pk)

    for method in (client.put, client.patch, client.delete):
        response = method(
            f"/api/v1/insights/roi/{study.pk}/versions/1",
            {"note": "changed"},
            content_type="application/json",
        )
        assert (response.status_code, response.json()["detail"]) == (
            409,
            "Version 1 is frozen and never changes; freeze a new version to record new figures.",
        )
    version.note = "changed"
    with pytest.raises(FrozenVersion):
        version.save()
    with pytest.raises(FrozenVersion):
        version.delete()
    assert RoiVersion.objects.values().get(pk=version.pk) == before


def test_leaders_read_versions_but_cannot_freeze_one() -> None:
    enabler = make_person(role=Person.Role.ENABLER)
    leader = make_person(role=Person.Role.LEADER)
    study = a_study(enabler)
    services.roi_version_freeze(study=study, actor=enabler)

    refused = api(leader).post(
        f"/api/v1/insights/roi/{study.pk}/versions", {}, content_type="application/json"
    )

    assert (refused.status_code, refused.json()["detail"]) == (
        403,
        "Only enablers freeze ROI studies.",
    )
    assert list(study.versions.values_list("number", flat=True)) == [1]
    read = api(leader).get(f"/api/v1/insights/roi/{study.pk}/versions/1").json()
    assert read["figures"]["costs"] == "800.00"


def test_study_page_shows_who_entered_each_input_and_the_versions() -> None:
    enabler = make_person(role=Person.Role.ENABLER, name="Erin Enabler")
    other = make_person(role=Person.Role.ENABLER, name="Olu Other")
    study = a_study(enabler)
    services.roi_cost_add(
        study=study, actor=other, label="Venue", amount=Decimal("500"), source="invoice 42"
    )
    team = org_unit("Team A")
    services.hourly_cost_set(actor=other, org_unit=team, amount=Decimal("60"))
    services.hourly_cost_set(actor=enabler, org_unit=team, amount=Decimal("90"))
    client = signed_in(enabler)

    response = client.post(f"/insights/roi/{study.pk}/versions/", {"note": "For the board"})
    assert response["Location"] == f"/insights/roi/{study.pk}/versions/1/"

    page = client.get(f"/insights/roi/{study.pk}/").content.decode()
    history = page[page.index("<h2>History</h2>") :].split("</ul>")[0]
    items = [item.split(" · ", 1)[1] for item in history.split("<li>")[1:]]
    assert [item.split("</li>")[0] for item in items] == [
        f'Erin Enabler: <a href="/insights/roi/{study.pk}/versions/1/">Froze version 1: '
        "For the board</a>",
        "Erin Enabler: Set the hourly cost of org unit Team A to 90.00 (was 60.00) — for "
        "attendees&#x27; and speakers&#x27; time in every study",
        "Olu Other: Set the hourly cost of org unit Team A to 60.00 — for attendees&#x27; and "
        "speakers&#x27; time in every study",
        "Olu Other: Added cost (tooling): Venue, 500.00 — source: invoice 42",
        "Erin Enabler: Created the study",
    ]
    assert "Freeze version 2" in page

    printable = client.get(f"/insights/roi/{study.pk}/versions/1/").content.decode()
    assert "<h1>Testing guild 2026 — version 1</h1>" in printable
    assert "these figures never change" in printable
    assert (
        '<tr><td>Cost (tooling): Venue, 500.00 — source: invoice 42</td><td data-label="Entered by">'
        "Olu Other</td>" in printable
    )


def test_a_version_note_that_is_too_long_is_refused_and_nothing_is_frozen() -> None:
    enabler = make_person(role=Person.Role.ENABLER)
    study = a_study(enabler)

    response = api(enabler).post(
        f"/api/v1/insights/roi/{study.pk}/versions",
        {"note": "x" * 301},
        content_type="application/json",
    )

    assert (response.status_code, response.json()["detail"]) == (
        422,
        "note: String should have at most 300 characters",
    )
    assert study.versions.count() == 0
