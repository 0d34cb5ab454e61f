"""Duplicate detection and decisions, ROI studies and their traceable results."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from knowflow.errors import DomainError, Forbidden
from knowflow.insights import services
from knowflow.insights.models import DuplicateCluster, HourlyCost, RoiStudy
from knowflow.insights.selectors import clusters, roi_result, roi_studies, snapshot
from tests.factories import make_occurrence, make_person, make_session
from tests.insights.conftest import Programme

pytestmark = pytest.mark.django_db

ABSTRACT = (
    "Property-based testing generates hundreds of inputs from a description of the data, then "
    "shrinks every failure to the smallest example that still breaks the code. We write "
    "properties for a date parser and find two real bugs in it."
)


def copies(programme: Programme) -> tuple:
    a = make_session(
        title="Property-based testing in practice", abstract=ABSTRACT, speakers=[programme.s1]
    )
    b = make_session(
        title="Property based testing, in practice", abstract=ABSTRACT, speakers=[programme.s1]
    )
    make_occurrence(session=a, start=timezone.now() - timedelta(days=60), minutes=60)
    make_occurrence(session=b, start=timezone.now() - timedelta(days=20), minutes=60)
    return a, b


def test_detection_proposes_a_cluster_with_hours_and_an_explanation(programme: Programme) -> None:
    a, b = copies(programme)
    report = services.duplicates_detect()
    assert (report.clusters, report.pairs) == (1, 1)
    [view] = clusters.duplicate_clusters(viewer=programme.enabler)
    assert [c.session for c in view.copies] == [a, b]  # the first given first
    # 1 h each, preparation 3 × 1 h each; reuse would have spared the second preparation
    assert (view.hours_spent, view.hours_reuse_would_save) == (8.0, 3.0)
    assert view.pairs[0]["why"]["passages"][0].startswith(
        "property based testing generates hundreds"
    )


def test_decided_cluster_is_never_proposed_again(programme: Programme) -> None:
    copies(programme)
    services.duplicates_detect()
    cluster = DuplicateCluster.objects.get()
    services.duplicate_cluster_decide(
        cluster=cluster, actor=programme.enabler, status="not_duplicate", note="different audiences"
    )
    report = services.duplicates_detect()
    assert report.clusters == 0
    assert list(DuplicateCluster.objects.values_list("status", flat=True)) == ["not_duplicate"]


def test_a_new_copy_of_a_decided_cluster_is_a_new_proposal(programme: Programme) -> None:
    a, b = copies(programme)
    services.duplicates_detect()
    services.duplicate_cluster_decide(
        cluster=DuplicateCluster.objects.get(),
        actor=programme.enabler,
        status="merged",
        merged_into=a,
    )
    c = make_session(
        title="Property-based testing in practice (again)",
        abstract=ABSTRACT,
        speakers=[programme.s1],
    )
    services.duplicates_detect()
    proposed = DuplicateCluster.objects.get(status="proposed")
    assert set(proposed.sessions.all()) == {a, b, c}


def test_decisions_are_checked(programme: Programme) -> None:
    a, _ = copies(programme)
    services.duplicates_detect()
    cluster = DuplicateCluster.objects.get()
    with pytest.raises(Forbidden):
        services.duplicate_cluster_decide(
            cluster=cluster, actor=programme.member, status="duplicate"
        )
    with pytest.raises(DomainError) as no_target:
        services.duplicate_cluster_decide(cluster=cluster, actor=programme.enabler, status="merged")
    outsider = make_session(title="Other")
    with pytest.raises(DomainError) as wrong_target:
        services.duplicate_cluster_decide(
            cluster=cluster, actor=programme.enabler, status="merged", merged_into=outsider
        )
    with pytest.raises(DomainError):
        services.duplicate_cluster_decide(
            cluster=cluster, actor=programme.enabler, status="proposed"
        )
    assert (no_target.value.field, wrong_target.value.field) == ("merged_into", "merged_into")
    assert DuplicateCluster.objects.get().status == "proposed"


def test_already_taught_finds_the_earlier_session_incrementally(programme: Programme) -> None:
    a, _ = copies(programme)
    services.duplicates_detect()
    found = snapshot.already_taught(title="Property-based testing for everyone", abstract=ABSTRACT)
    assert {f.session for f in found} == {a, _}
    assert found[0].speakers == ["Sam Speaker"]
    assert (
        snapshot.already_taught(
            title="Sourdough baking", abstract="Flour, water, salt and patience."
        )
        == []
    )


def study(programme: Programme, **kwargs: object) -> RoiStudy:
    today = timezone.now().date()
    values = {
        "actor": programme.enabler,
        "title": "Q study",
        "period_start": today - timedelta(days=30),
        "period_end": today,
        "isolation_method": "participant_estimate",
        "isolation_note": "Participants estimated the share.",
        "default_hourly_cost": Decimal("50"),
        "organiser_hours": Decimal("2"),
    }
    values.update(kwargs)
    return services.roi_study_create(**values)


def test_roi_study_result_is_traceable_and_hand_computed(programme: Programme) -> None:
    HourlyCost.objects.create(org_unit=programme.p1.org_unit, amount=Decimal("80"))  # Team B
    s = study(programme)
    services.roi_cost_add(
        study=s, actor=programme.enabler, label="Video platform", amount=Decimal("500")
    )
    services.roi_training_avoided_add(
        study=s,
        actor=programme.enabler,
        course="External PBT course",
        price=Decimal("2000"),
        people=1,
    )
    services.roi_intangible_add(study=s, actor=programme.enabler, text="Stronger testing community")
    result = roi_result.roi_study_result(
        viewer=programme.enabler,
        study=roi_studies.roi_study_get(viewer=programme.enabler, study_id=s.pk),
    )
    # attendees: Team B 3.5 h × 80 = 280; default 2.5 h × 50 = 125; Sam 1 h + 3 h prep at 50 = 50 + 150;
    # Sue (Team B) 1.5 h + 4.5 h prep at 80 = 120 + 360; organiser 2 h × 50 = 100; tooling 500.
    assert result.costs == Decimal("1685.00")
    assert result.benefits == Decimal("2000.00")
    assert result.bcr == Decimal("1.19")
    assert result.roi_percent == Decimal("18.7")
    assert result.intangibles == ["Stronger testing community"]
    sources = {(line.item, line.value): line.source for line in result.lines}
    assert (
        sources[("attendee time", Decimal("280.00"))]
        == "attendance records; hourly cost of org unit Team B"
    )
    assert (
        sources[("speaker preparation (estimate)", Decimal("150.00"))]
        == "preparation ratio of the study; the study's default hourly cost"
    )
    assert any(a.startswith("Isolation: Participants' estimate") for a in result.assumptions)


def test_roi_study_needs_an_isolation_method_and_note(programme: Programme) -> None:
    with pytest.raises(DomainError) as method:
        study(programme, isolation_method="")
    with pytest.raises(DomainError) as note:
        study(programme, isolation_note="  ")
    with pytest.raises(Forbidden):
        study(programme, actor=programme.member)
    assert (method.value.field, note.value.field) == ("isolation_method", "isolation_note")


def test_hourly_cost_is_for_a_unit_or_an_office_not_both(programme: Programme) -> None:
    with pytest.raises(DomainError):
        services.hourly_cost_set(actor=programme.enabler, amount=Decimal("10"))
    cost = services.hourly_cost_set(
        actor=programme.enabler,
        amount=Decimal("75"),
        org_unit=programme.s1.org_unit,
        source="HR 2025",
    )
    again = services.hourly_cost_set(
        actor=programme.enabler, amount=Decimal("77"), org_unit=programme.s1.org_unit
    )
    assert cost.pk == again.pk
    assert HourlyCost.objects.get().amount == Decimal("77.00")
    with pytest.raises(Forbidden):
        services.hourly_cost_set(
            actor=make_person(), amount=Decimal("1"), org_unit=programme.s1.org_unit
        )
