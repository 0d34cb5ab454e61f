"""Library services: resource and collection rules, permissions, and the index kept current by
the services of every app."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from knowflow.circles.services import circle_create
from knowflow.errors import DomainError, Forbidden
from knowflow.events import services as event_services
from knowflow.library import services
from knowflow.library.selectors import SearchRequest, search_everything
from knowflow.search.models import SearchDocument
from knowflow.topics.models import Topic
from knowflow.topics.services import person_skills_set, topic_create, topic_update
from tests.factories import make_circle, make_occurrence, make_person, make_session

pytestmark = pytest.mark.django_db


def _titles(text: str, **request: object) -> list[str]:
    return [
        h.title
        for h in search_everything(viewer=None, request=SearchRequest(text=text, **request)).hits
    ]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"kind": "note", "title": "Empty note"}, "body", "A note needs its text."),
        ({"kind": "recording", "title": "A video"}, "url", "Give the link to it."),
        ({"kind": "slides", "title": "Deck"}, "file", "Upload the file or give a link to it."),
        (
            {"kind": "article", "title": "  ", "url": "https://e.org"},
            "title",
            "A resource needs a title.",
        ),
        (
            {"kind": "article", "title": "X", "url": "javascript:alert(1)"},
            "url",
            "The link must be a web address that starts with http:// or https://.",
        ),
        ({"kind": "podcast", "title": "X", "url": "https://e.org"}, "kind", None),
    ],
)
def test_resource_create_refuses_incomplete_resources(kwargs, field, message):
    with pytest.raises(DomainError) as error:
        services.resource_create(actor=make_person(), **kwargs)

    assert error.value.field == field
    if message:
        assert error.value.message == message


def test_resource_create_sets_owner_review_date_and_circle_of_its_session():
    speaker = make_person()
    circle = make_circle()
    session = make_session(speakers=[speaker], circle=circle)

    resource = services.resource_create(
        actor=speaker, kind="slides", title="Deck", url="https://e.org/deck.pdf", session=session
    )

    assert (resource.owner, resource.last_reviewed_on, resource.circle) == (
        speaker,
        timezone.localdate(),
        circle,
    )
    assert list(resource.authors.all()) == [speaker]


def test_session_speaker_and_circle_champion_may_edit_a_resource_others_may_not():
    owner, speaker, champion, stranger = make_person(), make_person(), make_person(), make_person()
    circle = make_circle(champions=[champion])
    session = make_session(speakers=[speaker], circle=circle)
    resource = services.resource_create(
        actor=owner, kind="article", title="A", url="https://e.org", session=session
    )

    services.resource_update(resource=resource, actor=speaker, title="B")
    services.resource_update(resource=resource, actor=champion, title="C")
    with pytest.raises(Forbidden):
        services.resource_update(resource=resource, actor=stranger, title="D")
    with pytest.raises(Forbidden):
        services.resource_confirm_reviewed(resource=resource, actor=stranger)

    assert _titles("c") == ["C"] or _titles("c", types=("resource",)) == ["C"]


def test_resource_delete_leaves_the_index_and_updates_its_session():
    person = make_person()
    session = make_session(speakers=[person], title="Streams")
    resource = services.resource_create(
        actor=person,
        kind="recording",
        title="Streams video",
        url="https://v.example.org/s",
        session=session,
    )

    services.resource_delete(resource=resource, actor=person)

    assert not SearchDocument.objects.filter(kind="resource").exists()
    assert SearchDocument.objects.get(kind="session").has_recording is False


def test_collection_item_is_a_resource_or_a_session_and_not_twice():
    owner = make_person()
    collection = services.collection_create(actor=owner, title="List")
    session = make_session()

    with pytest.raises(DomainError, match="either a resource or a session"):
        services.collection_item_add(collection=collection, actor=owner)
    services.collection_item_add(collection=collection, actor=owner, session=session)
    with pytest.raises(DomainError, match="already in this collection"):
        services.collection_item_add(collection=collection, actor=owner, session=session)
    with pytest.raises(Forbidden):
        services.collection_item_add(
            collection=collection, actor=make_person(), session=make_session()
        )


def test_collection_item_move_swaps_neighbours():
    owner = make_person()
    collection = services.collection_create(actor=owner, title="List")
    first = services.collection_item_add(
        collection=collection, actor=owner, session=make_session(title="One")
    )
    services.collection_item_add(
        collection=collection, actor=owner, session=make_session(title="Two")
    )

    services.collection_item_move(item=first, actor=owner, up=False)

    assert [str(i.target) for i in collection.items.order_by("position")] == ["Two", "One"]


def test_path_progress_mark_and_unmark():
    owner, learner = make_person(), make_person()
    path = services.collection_create(actor=owner, title="Path", kind="path")
    item = services.collection_item_add(collection=path, actor=owner, session=make_session())

    services.path_item_mark(item=item, person=learner)
    services.path_item_mark(item=item, person=learner)  # twice is once
    assert (item.progress.count(), path.follows.filter(person=learner).exists()) == (1, True)
    services.path_item_mark(item=item, person=learner, done=False)
    assert item.progress.count() == 0


def test_search_log_keeps_no_person_and_skips_empty_queries():
    assert services.search_log_query(text="   ", result_count=0) is None
    log = services.search_log_query(text="  Kubernetes   Operators ", result_count=3)

    assert (log.query, log.normalized, log.result_count) == (
        "Kubernetes   Operators",
        "kubernetes operators",
        3,
    )
    assert {f.name for f in log._meta.get_fields()} == {
        "id",
        "query",
        "normalized",
        "result_count",
        "created_at",
        "clicks",
    }


def test_event_services_keep_sessions_searchable_at_once():
    enabler = make_person(role="enabler")

    session = event_services.session_create(actor=enabler, title="Chaos engineering 101")
    assert _titles("chaos", types=("session",)) == ["Chaos engineering 101"]

    event_services.session_update(session=session, actor=enabler, title="Chaos engineering 201")
    assert _titles("chaos", types=("session",)) == ["Chaos engineering 201"]

    start = timezone.now() + timedelta(days=3)
    event_services.occurrence_create(
        session=session,
        actor=enabler,
        start=start,
        end=start + timedelta(hours=1),
        online_url="https://m.example.org",
        capacity=5,
    )
    assert SearchDocument.objects.get(kind="session").date == start

    event_services.session_update(session=session, actor=enabler, status="cancelled")
    assert _titles("chaos", types=("session",)) == []


def test_people_circles_and_topics_are_indexed_by_their_services():
    enabler = make_person(role="enabler", name="Grace Hopper")
    cobol = topic_create(
        actor=enabler, name="COBOL", synonyms=["common business-oriented language"]
    )
    person_skills_set(person=enabler, actor=enabler, skills=[cobol])
    circle_create(actor=enabler, name="Mainframe guild", topics=[cobol])

    assert _titles("cobol", types=("person",)) == ["Grace Hopper"]
    assert _titles("mainframe", types=("circle",)) == ["Mainframe guild"]
    assert _titles("cobol", types=("topic",)) == ["COBOL"]


def test_new_topic_synonym_reaches_what_carries_the_topic():
    enabler = make_person(role="enabler")
    # (Not "k8s": search knows that abbreviation without the taxonomy.)
    topic = Topic.objects.create(name="Terraform", slug="terraform")
    services.resource_create(
        actor=enabler, kind="article", title="Cluster upgrades", url="https://e.org", topics=[topic]
    )
    assert _titles("tfm", types=("resource",)) == []

    topic_update(topic=topic, actor=enabler, synonyms=["tfm"])

    assert _titles("tfm", types=("resource",)) == ["Cluster upgrades"]


def test_resource_update_moves_a_recording_to_another_session_and_search_follows() -> None:
    owner = make_person()
    first, second = make_session(title="Given once"), make_session(title="Given again")
    date = make_occurrence(session=first, start=timezone.now() - timedelta(days=2))
    video = services.resource_create(actor=owner, kind="recording", title="Video",
                                     url="https://v.example.org/x", occurrence=date)  # fmt: skip

    services.resource_update(resource=video, actor=owner, session=second)

    video.refresh_from_db()
    recorded = dict(
        SearchDocument.objects.filter(kind="session").values_list("title", "has_recording")
    )
    assert (video.session, video.occurrence) == (second, None)
    assert recorded == {"Given once": False, "Given again": True}

    services.resource_update(resource=video, actor=owner, title="Video (cut)")
    video.refresh_from_db()
    assert (video.title, video.session) == ("Video (cut)", second)
