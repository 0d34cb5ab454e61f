"""The library API: search (same ranking and filters as the page), resources, collections, progress."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from knowflow.accounts.services import api_token_create
from knowflow.library import services
from knowflow.library.models import Resource
from knowflow.library.selectors import SearchRequest, search_everything
from knowflow.topics.models import Topic
from tests.factories import make_person, make_session

pytestmark = pytest.mark.django_db


def _client(person) -> Client:
    _, secret = api_token_create(person=person, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_api_search_ranks_like_the_page_with_filters_and_facets():
    person = make_person()
    topic = Topic.objects.create(name="Security", slug="security")
    for title, topics in [
        ("Security reviews", [topic]),
        ("Threat modelling for security", []),
        ("Security theatre", []),
    ]:
        services.resource_create(
            actor=person, kind="article", title=title, url="https://e.org/x", topics=topics
        )
    client = _client(person)

    response = client.get("/api/v1/library/search", {"q": "security"})
    filtered = client.get("/api/v1/library/search", {"q": "security", "topic": "security"})

    page = search_everything(viewer=person, request=SearchRequest(text="security"), facets=True)
    body = response.json()
    assert [r["title"] for r in body["results"]] == [h.title for h in page.hits]
    assert [r["score"] for r in body["results"]] == [h.score for h in page.hits]
    assert body["facets"]["topic"] == [{"value": "security", "label": "Security", "count": 1}]
    assert [r["title"] for r in filtered.json()["results"]] == ["Security reviews"]


def test_api_search_bad_type_is_a_400_naming_the_field():
    response = _client(make_person()).get("/api/v1/library/search", {"q": "x", "type": "video"})

    assert response.status_code == 400
    assert response.json()["field"] == "type"


def test_api_resource_create_update_confirm_and_delete():
    person = make_person()
    client = _client(person)

    created = client.post(
        "/api/v1/library/resources",
        {"kind": "repository", "title": "Our linters", "url": "https://git.example.org/linters"},
        content_type="application/json",
    )
    resource_id = created.json()["id"]
    patched = client.patch(
        f"/api/v1/library/resources/{resource_id}",
        {"title": "Our linters (v2)"},
        content_type="application/json",
    )
    confirmed = client.post(f"/api/v1/library/resources/{resource_id}/confirm")
    deleted = client.delete(f"/api/v1/library/resources/{resource_id}")

    assert created.status_code == 201 and created.json()["possibly_stale"] is False
    assert patched.json()["title"] == "Our linters (v2)"
    assert confirmed.status_code == 200
    assert deleted.status_code == 204 and Resource.objects.count() == 0


def test_api_resource_patch_moves_it_to_a_session_keeps_it_or_detaches_it():
    person = make_person()
    talk = make_session(title="Linting at scale")
    client = _client(person)
    resource = services.resource_create(
        actor=person, kind="repository", title="Linters", url="https://git.example.org/l"
    )
    url = f"/api/v1/library/resources/{resource.pk}"

    def patch(body: dict) -> dict:
        return client.patch(url, body, content_type="application/json").json()

    attached = patch({"session_id": talk.pk})["session_id"]
    kept = patch({"title": "Our linters"})["session_id"]
    unknown = client.patch(url, {"session_id": 999_999}, content_type="application/json")
    detached = patch({"session_id": None})["session_id"]

    assert (attached, kept, detached) == (talk.pk, talk.pk, None)
    assert unknown.status_code == 404
    assert unknown.json()["field"] == "session_id"


def test_api_resource_missing_link_is_a_400_naming_the_field():
    response = _client(make_person()).post(
        "/api/v1/library/resources",
        {"kind": "recording", "title": "A video"},
        content_type="application/json",
    )

    assert (response.status_code, response.json()["field"]) == (400, "url")


def test_api_upload_refuses_html_renamed_pdf():
    response = _client(make_person()).post(
        "/api/v1/library/uploads?kind=slides&title=Deck",
        {"file": SimpleUploadedFile("deck.pdf", b"<html><script>alert(1)</script></html>")},
    )

    assert (response.status_code, response.json()["field"]) == (400, "file")
    assert Resource.objects.count() == 0


def test_api_collections_items_and_progress():
    owner, learner = make_person(), make_person()
    resource = services.resource_create(
        actor=owner, kind="article", title="Pods", url="https://e.org/pods"
    )
    client = _client(owner)

    path = client.post(
        "/api/v1/library/collections",
        {"title": "K8s path", "kind": "path"},
        content_type="application/json",
    ).json()
    item = client.post(
        f"/api/v1/library/collections/{path['id']}/items",
        {"resource_id": resource.pk},
        content_type="application/json",
    ).json()
    learner_client = _client(learner)
    done = learner_client.put(f"/api/v1/library/items/{item['id']}/done")
    progress = learner_client.get(f"/api/v1/library/collections/{path['id']}/progress")
    forbidden = learner_client.post(
        f"/api/v1/library/collections/{path['id']}/sections",
        {"title": "Mine"},
        content_type="application/json",
    )

    assert done.json() == {
        "collection_id": path["id"],
        "following": True,
        "done_item_ids": [item["id"]],
        "done": 1,
        "total": 1,
    }
    assert progress.json()["done"] == 1
    assert forbidden.status_code == 403
