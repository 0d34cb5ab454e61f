"""Library pages: search page (facets, logging, click redirect), resources, collections and
paths, stale resources, insights, the session page's related block, and query counts."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from knowflow.library import services
from knowflow.library.models import PathProgress, Resource, SearchClick, SearchQueryLog
from knowflow.search.index import index_write
from knowflow.topics.models import Topic
from tests.conftest import signed_in
from tests.events.test_views import messages_of
from tests.factories import make_person, make_session

pytestmark = pytest.mark.django_db


def _link(actor, title: str, **kwargs: object) -> Resource:
    return services.resource_create(
        actor=actor, kind="article", title=title, url="https://example.org/x", **kwargs
    )


def test_search_page_lists_results_logs_the_query_without_the_person_and_counts_the_click():
    person = make_person()
    resource = _link(person, "Graph databases in practice", description="Neo4j <b>stories</b>.")
    client = signed_in(person)

    response = client.get("/search/", {"q": "graph"})

    assert response.status_code == 200
    assert [h.title for h in response.context["page"].hits] == ["Graph databases in practice"]
    log = SearchQueryLog.objects.get()
    assert (log.query, log.normalized, log.result_count) == ("graph", "graph", 1)
    assert not hasattr(log, "person") and not hasattr(log, "user")
    body = response.content.decode()
    assert "Neo4j &lt;b&gt;stories&lt;/b&gt;." in body
    click = f"/search/click/{log.pk}/resource/{resource.pk}/1/"
    assert click in body

    followed = client.get(click)

    assert followed.status_code == 302 and followed["Location"] == f"/library/{resource.slug}/"
    assert SearchClick.objects.get().position == 1


def test_search_page_facet_links_filter_the_results():
    person = make_person()
    topic = Topic.objects.create(name="Graphs", slug="graphs")
    _link(person, "Graph one", topics=[topic])
    _link(person, "Graph two")
    client = signed_in(person)

    response = client.get("/search/", {"q": "graph"})
    topic_links = dict(response.context["facets"])["Topic"]
    filtered = client.get("/search/" + topic_links[0]["url"])

    assert [(link["label"], link["count"]) for link in topic_links] == [("Graphs", 1)]
    assert [h.title for h in filtered.context["page"].hits] == ["Graph one"]


def test_search_page_with_hostile_query_answers_200():
    client = signed_in(make_person())

    response = client.get("/search/", {"q": '"NEAR( *-) ' + "x" * 9000})

    assert response.status_code == 200


def test_search_page_bad_date_range_is_a_form_error():
    client = signed_in(make_person())

    response = client.get(
        "/search/", {"q": "x", "date_from": "2024-05-02", "date_to": "2024-05-01"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["date_to"] == [
        "The end of the date range is before its start."
    ]


def test_suggest_returns_words_and_titles_as_json():
    person = make_person()
    _link(person, "Kubernetes operators")

    response = signed_in(person).get("/search/suggest/", {"q": "kuber"})

    assert response.json() == {
        "words": ["kubernetes"],
        "results": [{"type": "resource", "id": Resource.objects.get().pk, "title": "Kubernetes operators",
                     "url": f"/library/{Resource.objects.get().slug}/"}],
    }  # fmt: skip


def test_insights_show_frequent_zero_result_and_unclicked_queries_to_enablers_only():
    enabler, member = make_person(role="enabler"), make_person()
    _link(enabler, "Terraform modules")
    client = signed_in(member)
    for text in ["terraform", "Terraform", "quantum"]:
        client.get("/search/", {"q": text})

    forbidden = client.get("/library/insights/")
    response = signed_in(enabler).get("/library/insights/")

    assert forbidden.status_code == 403
    insights = response.context["insights"]
    assert [(q.query, q.count) for q in insights["frequent"]] == [("terraform", 2), ("quantum", 1)]
    assert [(q.query, q.count) for q in insights["zero_results"]] == [("quantum", 1)]
    assert [(q.query, q.count) for q in insights["not_clicked"]] == [("terraform", 2)]


def test_resource_page_renders_markdown_safely_and_shows_related(
    django_capture_on_commit_callbacks,
):
    person = make_person()
    with django_capture_on_commit_callbacks(execute=True):  # the worker's refresh, after commit
        resource = _link(
            person, "Profiling Python", description="Use **py-spy**. <script>alert(1)</script>"
        )
        _link(person, "Profiling memory in Python")

    response = signed_in(person).get(f"/library/{resource.slug}/")

    body = response.content.decode()
    assert "<strong>py-spy</strong>" in body and "<script>alert(1)</script>" not in body
    assert [h.title for h in response.context["related"]] == ["Profiling memory in Python"]


def test_stale_resource_is_flagged_listed_for_its_owner_and_confirmed(settings):
    settings.KNOWFLOW_RESOURCE_REVIEW_DAYS = 30
    owner = make_person()
    resource = _link(owner, "Old runbook")
    Resource.objects.filter(pk=resource.pk).update(
        last_reviewed_on=timezone.localdate() - timedelta(days=31)
    )
    client = signed_in(owner)

    home = client.get("/library/")
    page = client.get(f"/library/{resource.slug}/")
    client.post(f"/library/{resource.slug}/confirm/", {"next": "home"})

    assert [r.title for r in home.context["stale"]] == ["Old runbook"]
    assert "Old runbook" in client.get("/").content.decode()  # also on the home page
    assert page.context["stale"] is True
    assert Resource.objects.get().last_reviewed_on == timezone.localdate()
    assert client.get("/library/").context["stale"] == []


def test_someone_else_cannot_confirm_or_edit_a_resource():
    owner, other = make_person(), make_person()
    resource = _link(owner, "Runbook")
    client = signed_in(other)

    response = client.post(f"/library/{resource.slug}/confirm/")
    edit = client.get(f"/library/{resource.slug}/edit/")

    assert response.status_code == 302
    assert edit.status_code == 403


def test_learning_path_follow_and_mark_items_done_shows_progress():
    owner, learner = make_person(), make_person()
    path = services.collection_create(actor=owner, title="Kubernetes for newcomers", kind="path")
    basics = services.collection_section_add(collection=path, actor=owner, title="Basics")
    first = services.collection_item_add(
        collection=path, actor=owner, resource=_link(owner, "Pods"), section=basics
    )
    services.collection_item_add(
        collection=path, actor=owner, session=make_session(title="Operators live")
    )
    client = signed_in(learner)

    client.post(f"/library/collections/{path.slug}/follow/")
    client.post(f"/library/collections/items/{first.pk}/done/")
    response = client.get(f"/library/collections/{path.slug}/")

    view = response.context["view"]
    assert (view.following, view.done_count, view.total, view.percent) == (True, 1, 2, 50)
    assert [
        (s.title if s else None, [str(i.target) for i in items]) for s, items in view.sections
    ] == [
        (None, ["Operators live"]),
        ("Basics", ["Pods"]),
    ]
    assert "1 of 2 done (50%)" in response.content.decode()
    assert PathProgress.objects.get().person == learner


def test_collection_add_item_by_pasting_a_link():
    owner = make_person()
    collection = services.collection_create(actor=owner, title="Reading list")
    resource = _link(owner, "A paper")

    signed_in(owner).post(
        f"/library/collections/{collection.slug}/items/",
        {"resource": f"http://testserver/library/{resource.slug}/"},
    )

    assert [str(i.target) for i in collection.items.all()] == ["A paper"]


def test_collection_add_form_is_two_pickers_a_resource_and_a_session():
    owner = make_person()
    collection = services.collection_create(actor=owner, title="Reading list")

    page = signed_in(owner).get(f"/library/collections/{collection.slug}/").content.decode()

    assert re.findall(r'<input type="text" name="(\w+)"[^>]*data-picker="(\w+)"', page) == [
        ("resource", "resources"),
        ("session", "sessions"),
    ]
    assert '<label for="id_resource">Resource</label>' in page
    assert '<label for="id_session">Session</label>' in page


def test_collection_add_items_picked_by_title():
    owner = make_person()
    collection = services.collection_create(actor=owner, title="Reading list")
    _link(owner, "Consensus in practice")
    make_session(title="Raft explained")
    client = signed_in(owner)
    url = f"/library/collections/{collection.slug}/items/"

    first = client.post(url, {"resource": "consensus in practice"}, follow=True)
    client.post(url, {"session": "Raft explained", "note": "Watch before the workshop"})

    assert messages_of(first.content.decode()) == ["Added."]
    assert [(str(i.target), i.note) for i in collection.items.order_by("position")] == [
        ("Consensus in practice", ""),
        ("Raft explained", "Watch before the workshop"),
    ]


def test_collection_add_an_ambiguous_or_missing_name_keeps_the_input_and_adds_nothing():
    owner = make_person()
    collection = services.collection_create(actor=owner, title="Reading list")
    one, two = _link(owner, "Kafka basics"), _link(owner, "Kafka basics")
    client = signed_in(owner)
    url = f"/library/collections/{collection.slug}/items/"

    twice = client.post(url, {"resource": "Kafka basics", "note": "Start here"})
    neither = client.post(url, {"note": "Start here"})
    both = client.post(url, {"resource": one.slug, "session": make_session().slug})

    assert twice.status_code == neither.status_code == both.status_code == 400
    page = twice.content.decode()
    refusal = re.search(r'<ul class="errorlist" id="id_resource_error"><li>(.*?)</li>', page)
    listed = sorted(re.findall(r"Kafka basics \(article, ([\w-]+)\)", refusal.group(1)))
    assert refusal.group(1).startswith("Two resources are called Kafka basics: ")
    assert refusal.group(1).endswith(". Type the address (slug) of the one you mean.")
    assert listed == sorted([one.slug, two.slug])
    assert 'value="Kafka basics"' in page and 'value="Start here"' in page
    assert "Pick a resource or a session to add." in neither.content.decode()
    assert (
        "Add a resource or a session, not both at once: add them one after the other."
        in both.content.decode()
    )
    assert collection.items.count() == 0


def test_collection_add_the_same_item_twice_says_so():
    owner = make_person()
    collection = services.collection_create(actor=owner, title="Reading list")
    resource = _link(owner, "A paper")
    client = signed_in(owner)
    url = f"/library/collections/{collection.slug}/items/"
    client.post(url, {"resource": resource.slug})

    again = client.post(url, {"resource": resource.slug})

    assert again.status_code == 400
    assert (
        '<ul class="errorlist" id="id_resource_error"><li>That is already in this collection.'
        in again.content.decode()
    )
    session = make_session(title="Raft explained")
    client.post(url, {"session": session.slug})
    twice = client.post(url, {"session": session.slug})
    assert (
        '<ul class="errorlist" id="id_session_error"><li>That is already in this collection.'
        in twice.content.decode()
    )
    assert collection.items.count() == 2


def test_resource_picker_suggests_resources_by_title_with_kind_and_session():
    person = make_person()
    talk = make_session(title="Observability 101")
    services.resource_create(actor=person, kind="recording", title="Observability 101 (video)",
                             url="https://v.example.org/o", session=talk)  # fmt: skip
    _link(person, "Tracing with OpenTelemetry")

    found = signed_in(person).get("/pick/resources/", {"q": "obs"}).json()

    assert found == {
        "results": [
            {
                "value": Resource.objects.get(kind="recording").slug,
                "label": "Observability 101 (video)",
                "detail": "Recording · Observability 101",
                "initials": "O1",
            }
        ]
    }


def test_resource_edit_moves_it_to_another_session_with_the_session_picker():
    owner = make_person()
    first = make_session(title="Kubernetes at scale")
    second = make_session(title="Kubernetes in production, part two")
    resource = services.resource_create(actor=owner, kind="recording", title="Video",
                                        url="https://v.example.org/k", session=first)  # fmt: skip
    client = signed_in(owner)
    url = f"/library/{resource.slug}/edit/"
    form = {"title": "Video", "url": "https://v.example.org/k", "language": "en"}

    page = client.get(url).content.decode()
    moved = client.post(url, {**form, "session": "in production"}, follow=True)
    again = client.get(url).content.decode()
    client.post(url, {**form, "session": second.slug, "title": "Video, cut"})
    resource.refresh_from_db()
    kept = (resource.title, resource.session)
    detached = client.post(url, {**form, "session": ""})
    resource.refresh_from_db()

    # The same picker as "Add a resource", filled in with the session it comes from; a
    # title with a comma is written as the slug, so saving the form again keeps it.
    assert re.search(
        r'<input type="text" name="session" value="Kubernetes at scale"[^>]*data-picker="sessions"',
        page,
    )
    assert f'name="session" value="{second.slug}"' in again
    assert f'from <a href="/sessions/{second.slug}/">Kubernetes in production, part two</a>' in (
        moved.content.decode()
    )
    assert kept == ("Video, cut", second)
    assert detached.status_code == 302
    assert resource.session is None


def test_resource_edit_names_an_unknown_session_and_changes_nothing():
    owner = make_person()
    talk = make_session(title="Kubernetes at scale")
    resource = services.resource_create(actor=owner, kind="recording", title="Video",
                                        url="https://v.example.org/k", session=talk)  # fmt: skip

    response = signed_in(owner).post(
        f"/library/{resource.slug}/edit/",
        {"title": "New title", "url": "https://v.example.org/k", "language": "en",
         "session": "No such talk"},
    )  # fmt: skip

    resource.refresh_from_db()
    assert response.status_code == 200
    assert "No session called “No such talk” was found." in response.content.decode()
    assert (resource.title, resource.session) == ("Video", talk)


def test_session_page_shows_related_content_with_recording(django_capture_on_commit_callbacks):
    person = make_person()
    with django_capture_on_commit_callbacks(execute=True):  # the worker's refresh, after commit
        past = make_session(title="Rust for Python developers", speakers=[person], status="done")
        services.resource_create(actor=person, kind="recording", title="Rust for Python developers (video)",
                                 url="https://v.example.org/rust", session=past)  # fmt: skip
        upcoming = make_session(title="Rust for Python developers, again", speakers=[person])
        index_write(kind="session", object_ids=[past.pk, upcoming.pk], dependents=True)

    response = signed_in(person).get(f"/sessions/{upcoming.slug}/")

    body = response.content.decode()
    assert "More on this" in body
    assert f'href="/sessions/{past.slug}/"' in body
    assert "already taught" in body


def test_session_page_runs_no_search_to_show_related_content(django_capture_on_commit_callbacks):
    person = make_person()
    with django_capture_on_commit_callbacks(execute=True):
        past = make_session(title="Rust for Python developers", speakers=[person], status="done")
        upcoming = make_session(title="Rust for Python developers, again", speakers=[person])
        index_write(kind="session", object_ids=[past.pk, upcoming.pk], dependents=True)
    client = signed_in(person)

    with CaptureQueriesContext(connection) as captured:
        body = client.get(f"/sessions/{upcoming.slug}/").content.decode()

    assert f'<a href="/sessions/{past.slug}/">Rust for Python developers</a>' in body
    full_text = [q["sql"] for q in captured if _is_full_text(q["sql"])]
    assert full_text == []


def _is_full_text(sql: str) -> bool:
    """A query of the full-text index: FTS5's MATCH on SQLite, a tsquery on PostgreSQL."""
    lowered = sql.lower()
    return " match " in lowered or "searchdocument_fts" in lowered or "tsquery" in lowered


def test_related_content_follows_a_renamed_and_a_deleted_document(
    django_capture_on_commit_callbacks,
):
    person = make_person()
    with django_capture_on_commit_callbacks(execute=True):
        page = _link(person, "Kubernetes operators in Go")
        renamed = _link(person, "Kubernetes operators explained")
        deleted = _link(person, "Writing Kubernetes operators")
    client = signed_in(person)
    before = client.get(f"/library/{page.slug}/").context["related"]

    with django_capture_on_commit_callbacks(execute=True):
        services.resource_update(
            actor=person, resource=renamed, title="Kubernetes operators, renamed"
        )
        services.resource_delete(actor=person, resource=deleted)
    after = client.get(f"/library/{page.slug}/").context["related"]

    assert sorted(h.title for h in before) == [
        "Kubernetes operators explained",
        "Writing Kubernetes operators",
    ]
    assert [h.title for h in after] == ["Kubernetes operators, renamed"]


def test_a_new_document_joins_the_blocks_of_the_documents_it_is_related_to(
    django_capture_on_commit_callbacks,
):
    person = make_person()
    with django_capture_on_commit_callbacks(execute=True):
        first = _link(person, "Terraform state locking")
        _link(person, "Gardening for beginners")
    client = signed_in(person)
    before = client.get(f"/library/{first.slug}/").context["related"]

    with django_capture_on_commit_callbacks(execute=True):
        _link(person, "Terraform state in practice")
    after = client.get(f"/library/{first.slug}/").context["related"]

    assert [h.title for h in before] == []
    assert [h.title for h in after] == ["Terraform state in practice"]


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", ["/library/", "/library/collections/", "/search/?q=guide"])
def test_list_pages_issue_a_fixed_number_of_queries(url):
    person = make_person()
    topic = Topic.objects.create(name="Guides", slug="guides")
    client = signed_in(person)
    for n in range(2):
        _link(person, f"Guide {n}", topics=[topic])
        services.collection_create(actor=person, title=f"Guide collection {n}")
    few = _queries(client, url)
    for n in range(2, 12):
        _link(person, f"Guide {n}", topics=[topic])
        services.collection_create(actor=person, title=f"Guide collection {n}")

    assert _queries(client, url) == few


def test_related_refresh_command_fills_the_blocks_a_bulk_load_left_empty():
    person = make_person()
    page = _link(person, "Profiling Python")  # no commit: as a bulk load, the worker never ran
    _link(person, "Profiling memory in Python")
    client = signed_in(person)
    before = client.get(f"/library/{page.slug}/").context["related"]
    out = StringIO()

    call_command("related_refresh", stdout=out)

    after = client.get(f"/library/{page.slug}/").context["related"]
    assert [h.title for h in before] == []
    assert [h.title for h in after] == ["Profiling memory in Python"]
    assert out.getvalue() == '"More on this" computed for 2 documents.\n'


def test_session_page_links_the_collections_that_hold_it_or_its_recording():
    owner = make_person()
    talk = make_session(title="Raft explained")
    video = services.resource_create(actor=owner, kind="recording", title="Raft (video)",
                                     url="https://v.example.org/r", session=talk)  # fmt: skip
    path = services.collection_create(actor=owner, title="Consensus path", kind="path")
    reading = services.collection_create(actor=owner, title="Another list")
    services.collection_create(actor=owner, title="Unrelated")
    services.collection_item_add(collection=path, actor=owner, session=talk)
    services.collection_item_add(collection=reading, actor=owner, resource=video)

    page = signed_in(make_person()).get(f"/sessions/{talk.slug}/").content.decode()

    shown = re.search(r'<p id="session-collections">(.*?)</p>', page).group(1)
    assert re.findall(
        r'<a href="([^"]+)">([^<]+)</a> <span class="badge">([^<]+)</span>', shown
    ) == [
        (f"/library/collections/{reading.slug}/", "Another list", "Collection"),
        (f"/library/collections/{path.slug}/", "Consensus path", "Learning path"),
    ]
