"""Stand-alone library resources in duplicate detection: resource vs resource and resource vs
session clusters, their explanations and hours, decisions keyed by kind, the page, CLI and API."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from knowflow.errors import DomainError
from knowflow.events.models import Session
from knowflow.insights import services
from knowflow.insights.models import DuplicateCluster
from knowflow.insights.selectors import clusters, snapshot
from knowflow.library import services as library
from knowflow.library.models import Resource
from tests.conftest import signed_in
from tests.factories import make_occurrence, make_person, make_session, make_topic
from tests.insights.conftest import Programme
from tests.insights.test_services import ABSTRACT

pytestmark = pytest.mark.django_db

PIPELINE_GUIDE = (
    "Every change goes through the deployment pipeline: the build runs the unit tests, a canary "
    "release sends five percent of traffic to the new version for thirty minutes, and an "
    "automatic rollback fires when the error rate doubles. This guide explains each stage and "
    "how to read its dashboards."
)
# The same content told differently: another title, sentences cut and reworded, numbers as
# digits, an introduction and a closing line of its own.
PIPELINE_NOTE = (
    "New here? Every change goes through the deployment pipeline. The build runs the unit "
    "tests; then a canary release sends 5 percent of traffic to the new version for 30 minutes, "
    "and an automatic rollback fires if the error rate doubles. Ask in the deploys channel when "
    "a stage is red."
)


def pipeline_twins(programme: Programme) -> tuple[Resource, Resource]:
    """A document and a note, neither belonging to a session, teaching the same pipeline."""
    author = make_person(name="Dana Docs")
    deployment = make_topic("deployment")
    guide = library.resource_create(
        actor=author,
        kind="document",
        title="Our deployment pipeline, stage by stage",
        description=PIPELINE_GUIDE,
        url="https://wiki.example.org/pipeline",
        topics=[deployment],
        authors=[author],
    )
    note = library.resource_create(
        actor=author,
        kind="note",
        title="The deployment pipeline explained for newcomers",
        body=PIPELINE_NOTE,
        topics=[deployment],
    )
    return guide, note


def recording_of_a_session(programme: Programme) -> tuple[Session, Resource]:
    """A session, and a recording of the same talk given at a meetup, filed without a session."""
    session = make_session(
        title="Property-based testing in practice", abstract=ABSTRACT, speakers=[programme.s1]
    )
    make_occurrence(session=session, start=timezone.now() - timedelta(days=60), minutes=60)
    recording = library.resource_create(
        actor=programme.s1,
        kind="recording",
        title="Property-based testing: finding bugs with generated inputs",
        description="Recorded at the Berlin testing meetup. " + ABSTRACT,
        url="https://video.example.org/pbt-meetup",
        authors=[programme.s1],
    )
    return session, recording


def unrelated_resources(programme: Programme) -> None:
    for title, text in (
        ("Sourdough baking", "Flour, water, salt and patience: a starter and a hot oven."),
        ("Team offsite photos", "Pictures from the spring offsite at the lake."),
    ):
        library.resource_create(
            actor=programme.enabler,
            kind="document",
            title=title,
            description=text,
            url="https://files.example.org/x",
        )


def members(view: clusters.ClusterView) -> list[tuple[str, str]]:
    return [
        (m.kind, m.session.title if m.kind == "session" else m.resource.title) for m in view.members
    ]


def test_two_standalone_resources_in_different_words_form_a_cluster(programme: Programme) -> None:
    guide, note = pipeline_twins(programme)
    unrelated_resources(programme)

    report = services.duplicates_detect()

    assert (report.resources, report.clusters, report.pairs) == (4, 1, 1)
    [view] = clusters.duplicate_clusters(viewer=programme.enabler)
    assert members(view) == [
        ("resource", "Our deployment pipeline, stage by stage"),
        ("resource", "The deployment pipeline explained for newcomers"),
    ]
    assert view.best_pair_titles == (guide.title, note.title)
    why = view.pairs[0]["why"]
    assert why["passages"][0] == (
        "every change goes through the deployment pipeline the build runs the unit tests a "
        "canary release sends 5 percent of traffic to the new version for"
    )
    assert (why["title_words"], why["topics"], why["speakers"]) == (
        ["deployment", "pipeline"],
        ["deployment"],
        ["dana docs"],
    )
    # No session among the copies: no hours spent, none that reuse would save.
    assert (view.hours_spent, view.hours_reuse_would_save) == (0.0, 0.0)


def test_a_resource_duplicating_a_session_clusters_with_it(programme: Programme) -> None:
    session, recording = recording_of_a_session(programme)

    services.duplicates_detect()

    [view] = clusters.duplicate_clusters(viewer=programme.enabler)
    assert members(view) == [
        ("session", "Property-based testing in practice"),
        ("resource", "Property-based testing: finding bugs with generated inputs"),
    ]
    assert [(p["a_kind"], p["a"], p["b_kind"], p["b"]) for p in view.pairs] == [
        ("session", session.pk, "resource", recording.pk)
    ]
    assert view.pairs[0]["why"]["speakers"] == ["sam speaker"]
    # The session's 1 h and its 3 h of preparation; the recording has no recorded hours, and
    # one session alone leaves no preparation that reuse would have spared.
    assert (view.hours_spent, view.hours_reuse_would_save) == (4.0, 0.0)
    assert view.units == ["Team A"]


def test_unrelated_resources_do_not_cluster(programme: Programme) -> None:
    unrelated_resources(programme)

    report = services.duplicates_detect()

    assert (report.resources, report.clusters, report.pairs) == (2, 0, 0)
    assert not DuplicateCluster.objects.exists()


def test_a_sessions_own_recording_is_compared_through_the_session(programme: Programme) -> None:
    session = make_session(title="Property-based testing in practice", abstract=ABSTRACT)
    library.resource_create(
        actor=programme.enabler,
        kind="recording",
        title=session.title,
        description=ABSTRACT,
        url="https://video.example.org/pbt",
        session=session,
    )

    report = services.duplicates_detect()

    assert (report.resources, report.clusters) == (0, 0)


def test_a_decision_on_a_resource_cluster_is_kept_and_not_proposed_again(
    programme: Programme,
) -> None:
    pipeline_twins(programme)
    services.duplicates_detect()
    services.duplicate_cluster_decide(
        cluster=DuplicateCluster.objects.get(),
        actor=programme.enabler,
        status="not_duplicate",
        note="the note is for newcomers",
    )

    report = services.duplicates_detect()

    assert (report.clusters, report.kept_decided) == (0, 1)
    [view] = clusters.duplicate_clusters(viewer=programme.enabler)
    assert (view.cluster.status, view.cluster.note) == (
        "not_duplicate",
        "the note is for newcomers",
    )
    assert [kind for kind, _ in members(view)] == ["resource", "resource"]


def test_decisions_name_the_kind_so_sessions_with_the_same_ids_are_still_proposed(
    programme: Programme,
) -> None:
    guide, note = pipeline_twins(programme)
    services.duplicates_detect()
    services.duplicate_cluster_decide(
        cluster=DuplicateCluster.objects.get(), actor=programme.enabler, status="not_duplicate"
    )
    # Two copies of one session numbered like the two resources decided above.
    Session.objects.filter(pk__in=[guide.pk, note.pk]).delete()
    a = make_session(pk=guide.pk, title="Property-based testing in practice", abstract=ABSTRACT)
    b = make_session(pk=note.pk, title="Property based testing, in practice", abstract=ABSTRACT)

    report = services.duplicates_detect()

    assert report.clusters == 1
    proposed = DuplicateCluster.objects.get(status="proposed")
    assert (set(proposed.sessions.all()), list(proposed.resources.all())) == ({a, b}, [])


def test_a_merge_can_name_a_resource_and_survives_its_deletion(programme: Programme) -> None:
    session, recording = recording_of_a_session(programme)
    services.duplicates_detect()
    cluster = DuplicateCluster.objects.get()
    outsider = library.resource_create(
        actor=programme.enabler, kind="article", title="Other", url="https://e.org/other"
    )
    with pytest.raises(DomainError) as not_a_member:
        services.duplicate_cluster_decide(
            cluster=cluster,
            actor=programme.enabler,
            status="merged",
            merged_into_resource=outsider,
        )
    with pytest.raises(DomainError) as two_targets:
        services.duplicate_cluster_decide(
            cluster=cluster,
            actor=programme.enabler,
            status="merged",
            merged_into=session,
            merged_into_resource=recording,
        )
    assert (not_a_member.value.field, two_targets.value.message) == (
        "merged_into_resource",
        "Name one copy to merge into, not two.",
    )

    services.duplicate_cluster_decide(
        cluster=cluster, actor=programme.enabler, status="merged", merged_into_resource=recording
    )
    assert DuplicateCluster.objects.get().merged_into_copy == recording
    library.resource_delete(resource=recording, actor=programme.s1)

    cluster = DuplicateCluster.objects.get()
    assert (cluster.status, cluster.merged_into_resource, list(cluster.resources.all())) == (
        "merged",
        None,
        [],
    )


def test_already_taught_still_answers_with_sessions_when_resources_took_part(
    programme: Programme,
) -> None:
    session, _recording = recording_of_a_session(programme)
    pipeline_twins(programme)
    services.duplicates_detect()

    found = snapshot.already_taught(title="Property-based testing for everyone", abstract=ABSTRACT)

    assert [f.session for f in found] == [session]


def test_duplicates_page_links_a_resource_to_its_library_page(programme: Programme) -> None:
    session, recording = recording_of_a_session(programme)
    services.duplicates_detect()
    client = signed_in(programme.enabler)

    html = client.get("/insights/duplicates/").content.decode()

    assert (
        f'<tr><td><a href="/library/{recording.slug}/">'
        "Property-based testing: finding bugs with generated inputs</a> "
        f'<span class="meta">(recording in the library, resource {recording.pk})</span></td>'
        f"<td>added {recording.created_at:%Y-%m-%d}</td><td>not recorded</td>"
        "<td>not recorded</td></tr>"
    ) in html
    assert (
        "Hours spent: 4.0 h; reuse would have saved 0.0 h of preparation (sessions only: no "
        "hours are recorded for resources).</p>"
    ) in html
    assert (
        "<p>Best pair: “Property-based testing in practice” and “Property-based testing: "
        "finding bugs with generated inputs”.</p>"
    ) in html
    assert f'<option value="resource:{recording.pk}">recording: {recording.title}</option>' in html
    assert client.get(f"/library/{recording.slug}/").status_code == 200


def test_duplicates_page_records_a_merge_into_a_resource(programme: Programme) -> None:
    _session, recording = recording_of_a_session(programme)
    services.duplicates_detect()
    cluster = DuplicateCluster.objects.get()
    client = signed_in(programme.enabler)

    response = client.post(
        f"/insights/duplicates/{cluster.pk}/decide/",
        {"status": "merged", "merged_into": f"resource:{recording.pk}", "note": "keep the video"},
    )

    assert response.status_code == 302
    html = client.get("/insights/duplicates/").content.decode()
    assert (
        f'merged into “<a href="/library/{recording.slug}/">'
        "Property-based testing: finding bugs with generated inputs</a>”. keep the video</p>"
    ) in html


def test_cli_json_lists_members_with_their_kind(programme: Programme) -> None:
    session, recording = recording_of_a_session(programme)
    services.duplicates_detect()
    out = io.StringIO()

    call_command("duplicates", "--json", stdout=out, stderr=io.StringIO())

    [line] = [json.loads(x) for x in out.getvalue().splitlines()]
    assert line["members"] == [
        {"kind": "session", "id": session.pk, "slug": session.slug, "title": session.title},
        {
            "kind": "resource",
            "id": recording.pk,
            "slug": recording.slug,
            "title": recording.title,
            "resource_kind": "recording",
        },
    ]
    assert line["sessions"] == [{"id": session.pk, "slug": session.slug, "title": session.title}]


def test_cli_text_names_each_members_kind(programme: Programme) -> None:
    guide, note = pipeline_twins(programme)
    services.duplicates_detect()
    out = io.StringIO()

    call_command("duplicates", stdout=out, stderr=io.StringIO())

    cluster = DuplicateCluster.objects.get()
    assert out.getvalue().splitlines() == [
        f"cluster {cluster.pk} · Proposed · score {cluster.score:.2f}",
        f"  resource {guide.pk:>7}  Our deployment pipeline, stage by stage",
        f"  resource {note.pk:>7}  The deployment pipeline explained for newcomers",
    ]


def test_api_lists_members_with_their_kind_and_merges_into_a_resource(
    programme: Programme,
) -> None:
    session, recording = recording_of_a_session(programme)
    services.duplicates_detect()
    client = signed_in(programme.enabler)

    [cluster] = client.get("/api/v1/insights/duplicates").json()

    first_given = session.occurrences.get().start.isoformat()
    assert cluster["members"] == [
        {
            "kind": "session",
            "id": session.pk,
            "slug": session.slug,
            "title": session.title,
            "url": f"/sessions/{session.slug}/",
            "preparation_hours": 3.0,
            "delivery_hours": 1.0,
            "first_given": first_given,
        },
        {
            "kind": "resource",
            "id": recording.pk,
            "slug": recording.slug,
            "title": recording.title,
            "url": f"/library/{recording.slug}/",
            "resource_kind": "recording",
            "added": recording.created_at.isoformat(),
            "preparation_hours": None,
            "delivery_hours": None,
        },
    ]
    assert (cluster["pairs"][0]["a_kind"], cluster["pairs"][0]["b_kind"]) == (
        "session",
        "resource",
    )
    decided = client.post(
        f"/api/v1/insights/duplicates/{cluster['id']}/decision",
        {"status": "merged", "merged_into_resource": recording.pk},
        content_type="application/json",
    ).json()
    assert (decided["status"], decided["merged_into"], decided["merged_into_resource"]) == (
        "merged",
        None,
        recording.pk,
    )


def test_duplicates_page_query_count_does_not_grow_with_resource_clusters(
    programme: Programme,
) -> None:
    recording_of_a_session(programme)
    services.duplicates_detect()
    client = signed_in(programme.enabler)
    client.get("/insights/duplicates/")
    with CaptureQueriesContext(connection) as one_cluster:
        client.get("/insights/duplicates/")
    pipeline_twins(programme)
    services.duplicates_detect()
    with CaptureQueriesContext(connection) as two_clusters:
        html = client.get("/insights/duplicates/").content.decode()

    assert html.count('<section class="cluster"') == 2
    assert len(two_clusters.captured_queries) == len(one_cluster.captured_queries)
