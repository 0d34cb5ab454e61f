"""Topic pages: everything filed under a topic is one click away, collections included."""

from __future__ import annotations

import pytest

from knowflow.library.services import collection_create
from tests.conftest import signed_in
from tests.factories import make_person, make_topic


@pytest.mark.django_db
def test_topic_page_lists_its_collections_and_links_sessions_library_and_people() -> None:
    viewer = make_person()
    kubernetes = make_topic("Kubernetes")
    helm = make_topic("Helm")
    helm.parent = kubernetes
    helm.save()
    collection_create(actor=viewer, title="Kubernetes for newcomers", kind="path", topic=kubernetes)
    collection_create(actor=viewer, title="Cooking with Rust", topic=make_topic("Rust"))

    response = signed_in(viewer).get(f"/topics/{kubernetes.slug}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Kubernetes for newcomers" in page
    assert "Cooking with Rust" not in page
    assert f'href="/sessions/?topic={kubernetes.slug}"' in page
    assert f'href="/accounts/people/?skill={kubernetes.slug}"' in page
    assert f'href="/topics/{helm.slug}/"' in page


@pytest.mark.django_db
def test_topic_list_links_every_topic_and_unknown_topic_is_404() -> None:
    viewer = make_person()
    topics = [make_topic("Observability"), make_topic("Testing")]
    client = signed_in(viewer)

    listing = client.get("/topics/").content.decode()
    missing = client.get("/topics/no-such-topic/")

    assert all(f'href="/topics/{t.slug}/"' in listing for t in topics)
    assert missing.status_code == 404
    assert "There is no such topic." in missing.content.decode()
