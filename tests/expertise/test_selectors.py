"""Finding experts from evidence in the database: topic and free text, privacy, reception."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from knowflow.discovery.expertise import REQUEST, Evidence
from knowflow.events.search import SESSION
from knowflow.expertise import services, sources
from knowflow.expertise.selectors import EmptyQuestion, experts_find
from knowflow.feedback.models import Kind, SessionTally
from knowflow.feedback.selectors.templates import default_templates
from knowflow.search.engine import invalidate
from knowflow.search.index import index_write
from tests.factories import make_circle, make_occurrence, make_person, make_session, make_topic

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)  # a Wednesday


def gave(person, topic, *, title="Session", days_ago=60):
    session = make_session(speakers=[person], title=title)
    if topic is not None:
        session.topics.add(topic)
    make_occurrence(session=session, start=NOW - timedelta(days=days_ago))
    index_write(kind=SESSION, object_ids=[session.pk])
    return session


def find(**kwargs):
    invalidate()  # the engine caches the taxonomy's names per process
    return experts_find(now=NOW, **kwargs)


def names(result):
    return [e.person.display_name for e in result.experts]


def test_two_sql_sessions_outrank_a_dozen_self_declared_sql_skills():
    sql = make_topic("SQL")
    for n in range(12):
        make_person(name=f"Declarer {n:02d}", skills=[sql])
    teacher = make_person(name="Tess Teacher")
    gave(teacher, sql, title="Window functions", days_ago=40)
    gave(teacher, sql, title="Indexes explained", days_ago=300)

    result = find(text="SQL")

    assert names(result)[0] == "Tess Teacher"
    assert result.experts[0].explanation == "Taught 2 sessions on SQL, last in October 2026"
    assert result.experts[1].explanation == "Says they know SQL"


def test_a_session_that_has_not_taken_place_or_was_cancelled_is_no_evidence():
    go = make_topic("Golang")
    future = make_person(name="Future Speaker")
    session = make_session(speakers=[future])
    session.topics.add(go)
    make_occurrence(session=session, start=NOW + timedelta(days=3))
    cancelled = make_person(name="Cancelled Speaker")
    gave(cancelled, go).occurrences.update(cancelled_at=NOW - timedelta(days=70))

    assert find(text="golang").experts == []


def test_free_text_reaches_sessions_through_the_search_engine_and_names_the_question():
    speaker = make_person(name="Olga Operator")
    gave(speaker, None, title="Writing kubernetes operators in Python")

    result = find(text="kubernetes operators")

    assert names(result) == ["Olga Operator"]
    assert result.experts[0].claims == [
        "taught 1 session on “kubernetes operators”, last in October 2026"
    ]


def test_a_picked_topic_includes_its_sub_topics_and_circle_roles():
    data = make_topic("Data")
    sql = make_topic("SQL")
    sql.parent = data
    sql.save()
    champion, member = make_person(name="Cam Champion"), make_person(name="Mo Member")
    facilitator = make_person(name="Fay Facilitator")
    circle = make_circle(champions=[champion])
    circle.topics.add(sql)
    circle.members.add(member)
    circle.members.add(facilitator, through_defaults={"role": "facilitator"})

    result = find(topic=data)

    # A plain member wants to learn it: a role in the circle is evidence, joining is not.
    assert [(e.person.display_name, e.claims) for e in result.experts] == [
        ("Cam Champion", ["champions 1 circle on SQL"]),
        ("Fay Facilitator", ["facilitates 1 circle on SQL"]),
    ]


def test_aggregate_feedback_counts_only_from_the_minimum_group_up():
    rust = make_topic("Rust")
    a, b = make_person(name="Anna Liked"), make_person(name="Bo Few")
    liked, few = gave(a, rust, days_ago=10), gave(b, rust, days_ago=10)
    template = default_templates()["after_session"]
    for session, mode, n in ((liked, "room", 3), (liked, "online", 2), (few, "room", 4)):
        SessionTally.objects.create(session=session, template=template, kind=Kind.AFTER_SESSION,
                                    mode=mode, responses=n, superior=n)  # fmt: skip

    result = find(text="rust")

    assert [(e.person.display_name, e.claims) for e in result.experts] == [
        ("Anna Liked", ["taught 1 session on Rust, last in November 2026 (100% of 5 respondents rated it superior)"]),
        ("Bo Few", ["taught 1 session on Rust, last in November 2026"]),
    ]  # fmt: skip


def test_opted_out_left_or_hidden_people_never_appear():
    sql = make_topic("SQL")
    shy, hider, gone, shown = (make_person(name=n) for n in ("Shy", "Hider", "Gone", "Shown"))
    for person in (shy, hider, gone, shown):
        gave(person, sql)
    services.expert_opt_out(person=shy, actor=shy)
    services.expertise_topic_hide(person=hider, topic=sql, actor=hider)
    gone.deactivated_at = NOW
    gone.save()

    assert names(find(text="sql")) == ["Shown"]
    assert names(find(topic=sql)) == ["Shown"]


def test_a_hidden_topic_drops_its_evidence_from_a_question_it_only_touches():
    sql, postgres = make_topic("SQL"), make_topic("Postgres")
    person = make_person(name="Pat")
    gave(person, sql, title="Tuning SQL in Postgres").topics.add(postgres)
    services.expertise_topic_hide(person=person, topic=postgres, actor=person)

    assert names(find(text="sql")) == []


def test_a_registered_source_adds_its_evidence_and_privacy_still_applies():
    terraform = make_topic("Terraform")
    helper, shy = make_person(name="Helpful Hana"), make_person(name="Shy Sam")
    services.expert_opt_out(person=shy, actor=shy)

    def answered(question: sources.SourceQuery):
        assert question.topic_ids == frozenset({terraform.pk})
        for person in (helper, shy):
            yield sources.SourceEvidence(
                Evidence(person_id=person.pk, kind=REQUEST, item="1", when=NOW.date(),
                         about="Terraform"),
                frozenset({terraform.pk}),
            )  # fmt: skip

    sources.register(answered)
    try:
        result = find(text="terraform")
    finally:
        sources.unregister(answered)

    assert [(e.person.display_name, e.claims) for e in result.experts] == [
        ("Helpful Hana", ["answered 1 request on Terraform, last in December 2026"])
    ]


def test_an_empty_question_is_refused_with_a_message():
    with pytest.raises(EmptyQuestion) as refused:
        find(text="   ")

    assert (
        refused.value.message
        == "Type a topic or a question, such as “SQL” or “kubernetes operators”."
    )
