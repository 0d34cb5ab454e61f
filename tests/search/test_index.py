"""The index as the domains use it: each app registered its documents, and a change in one
reaches the documents of the others that carry it."""

from __future__ import annotations

import pytest

from knowflow.circles.services import circle_create
from knowflow.events import services as event_services
from knowflow.library.forms import SearchForm
from knowflow.library.selectors import SearchRequest, search_everything
from knowflow.search.index import index_write
from knowflow.topics.services import person_skills_set, topic_create, topic_update
from tests.factories import make_person

pytestmark = pytest.mark.django_db


def _titles(text: str, kind: str) -> list[str]:
    page = search_everything(viewer=None, request=SearchRequest(text=text, types=(kind,)))
    return [hit.title for hit in page.hits]


def test_search_page_offers_every_registered_kind_in_order():
    assert SearchForm().fields["type"].choices == [
        ("", "Everything"),
        ("session", "Session"),
        ("resource", "Resource"),
        ("collection", "Collection"),
        ("person", "Person"),
        ("circle", "Circle"),
        ("topic", "Topic"),
    ]


def test_index_write_of_an_unknown_kind_names_the_known_ones():
    with pytest.raises(LookupError) as error:
        index_write(kind="talk", object_ids=[1])

    assert str(error.value) == (
        "'talk' is not a kind of search document; use one of: "
        "session, resource, collection, person, circle, topic, passage."
    )


def test_a_speaker_is_found_by_what_they_taught_once_the_session_changes():
    speaker = make_person(name="Ada Lovelace")
    session = event_services.session_create(
        actor=speaker, title="Analytical engines", speakers=[speaker]
    )
    assert _titles("analytical", "person") == ["Ada Lovelace"]

    event_services.session_update(session=session, actor=speaker, title="Difference engines")

    assert _titles("analytical", "person") == []
    assert _titles("difference", "person") == ["Ada Lovelace"]


def test_a_new_synonym_reaches_the_sessions_circles_and_people_carrying_the_topic():
    enabler = make_person(role="enabler", name="Grace Hopper")
    cobol = topic_create(actor=enabler, name="COBOL")
    person_skills_set(person=enabler, actor=enabler, skills=[cobol])
    circle_create(actor=enabler, name="Mainframe guild", topics=[cobol])
    event_services.session_create(actor=enabler, title="Batch jobs", topics=[cobol])
    assert _titles("legacy", "session") == []

    topic_update(topic=cobol, actor=enabler, synonyms=["legacy"])

    assert _titles("legacy", "session") == ["Batch jobs"]
    assert _titles("legacy", "circle") == ["Mainframe guild"]
    assert _titles("legacy", "person") == ["Grace Hopper"]
    assert _titles("legacy", "topic") == ["COBOL"]


def test_a_reindex_leaves_the_sqlite_index_as_compact_as_one_built_in_one_go():
    # Rewriting every document through the triggers left old and new entries in separate
    # FTS5 segments: searches on the large demo took 50 % longer after two reindexes.
    from django.db import connection

    from knowflow.search.index import reindex_all

    if connection.vendor != "sqlite":
        pytest.skip("FTS5 segments are SQLite's; PostgreSQL's GIN index is rewritten in place")
    for number in range(30):
        make_person(name=f"Reindexed Person {number}")

    def segment_rows() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM library_search_fts_data")
            return cursor.fetchone()[0]

    reindex_all()
    once = segment_rows()
    reindex_all()
    reindex_all()

    assert segment_rows() == once
    assert _titles("Reindexed Person 7", "person")[0] == "Reindexed Person 7"
