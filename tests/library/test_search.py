"""Search ranking, synonyms, prefixes, typos, filters, facets, snippets and hostile queries."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from knowflow.events.models import Session
from knowflow.library import services
from knowflow.library.models import Resource
from knowflow.library.selectors import SearchRequest, search_everything, search_suggestions
from knowflow.search.index import index_write
from knowflow.topics.models import Topic
from tests.factories import make_circle, make_occurrence, make_person, make_session

pytestmark = pytest.mark.django_db


def _titles(text: str, **request: object) -> list[str]:
    page = search_everything(viewer=None, request=SearchRequest(text=text, **request))  # type: ignore[arg-type]
    return [hit.title for hit in page.hits]


def _article(actor, title: str, description: str = "", **kwargs: object) -> Resource:
    return services.resource_create(
        actor=actor, kind=kwargs.pop("kind", "article"), title=title, description=description,
        url=kwargs.pop("url", "https://example.org/a"), **kwargs,
    )  # fmt: skip


@pytest.fixture
def author():
    return make_person(role="enabler", name="Ada Writer")


def test_search_title_match_ranks_above_description_match(author):
    _article(author, "Cooking pasta at scale", "A talk that mentions kubernetes once, in passing.")
    _article(author, "Kubernetes operators", "Writing controllers.")

    assert _titles("kubernetes", types=("resource",)) == [
        "Kubernetes operators",
        "Cooking pasta at scale",
    ]


def test_search_topic_synonym_finds_tagged_resource(author):
    k8s = Topic.objects.create(name="Kubernetes", slug="kubernetes", synonyms=["k8s"])
    _article(author, "Running clusters", "Operations stories.", topics=[k8s])
    _article(author, "Gardening", "Nothing about clusters.")

    assert _titles("k8s", types=("resource",)) == ["Running clusters"]


def test_search_synonym_in_query_matches_the_topic_name_in_text(author):
    Topic.objects.create(name="Natural language processing", slug="nlp", synonyms=["NLP"])
    _article(author, "Parsing text", "We do natural language processing with spaCy.")

    assert _titles("nlp", types=("resource",)) == ["Parsing text"]


def test_search_prefix_while_typing_finds_the_word(author):
    _article(author, "Observability with OpenTelemetry", "Traces and metrics.")

    suggestions = search_suggestions(text="opentel")

    assert [r["title"] for r in suggestions["results"]] == ["Observability with OpenTelemetry"]
    assert suggestions["words"] == ["opentelemetry"]


def test_search_corrects_a_small_typo(author):
    _article(author, "Kubernetes networking", "Services and ingress.")
    _article(author, "Kubernetes storage", "Volumes.")

    page = search_everything(
        viewer=None, request=SearchRequest(text="kuberentes", types=("resource",))
    )

    assert sorted(h.title for h in page.hits) == ["Kubernetes networking", "Kubernetes storage"]
    assert page.results.corrected_query == "kubernetes"


def test_search_filters_by_type_topic_format_language_circle_and_recording(author):
    topic = Topic.objects.create(name="Rust", slug="rust")
    circle = make_circle(name="Systems guild")
    _article(author, "Rust article", topics=[topic], language="de", circle=circle)
    _article(author, "Rust recording", kind="recording", url="https://video.example.org/1")
    session = make_session(title="Rust in production", speakers=[author])
    index_write(kind="session", object_ids=[session.pk], dependents=True)

    assert _titles("rust", types=("session",)) == ["Rust in production"]
    assert _titles("rust", topic="rust") == ["Rust article"]
    assert _titles("rust", format="recording") == ["Rust recording"]
    assert _titles("rust", language="de") == ["Rust article"]
    assert _titles("rust", circle=circle.slug) == ["Rust article"]
    assert _titles("rust", has_recording=True) == ["Rust recording"]
    assert _titles("rust", topic="no-such-topic") == []


def test_search_filters_by_date_range(author):
    old = make_session(title="Python packaging then", speakers=[author])
    new = make_session(title="Python packaging now", speakers=[author])
    make_occurrence(session=old, start=timezone.now() - timedelta(days=400))
    make_occurrence(session=new, start=timezone.now() + timedelta(days=2))
    index_write(kind="session", object_ids=[old.pk, new.pk], dependents=True)
    today = timezone.localdate()

    assert _titles("packaging", date_from=today) == ["Python packaging now"]
    assert _titles("packaging", date_to=today - timedelta(days=30)) == ["Python packaging then"]


def test_search_facets_count_every_match(author):
    topic = Topic.objects.create(name="Testing", slug="testing")
    _article(author, "Testing one", topics=[topic])
    _article(author, "Testing two", topics=[topic], kind="recording", url="https://v.example.org/2")
    _article(author, "Testing three")

    page = search_everything(viewer=None, request=SearchRequest(text="testing"), facets=True)

    facets = {name: [(f.value, f.count) for f in values] for name, values in page.facets.items()}
    assert facets["type"] == [("resource", 3)]
    assert facets["format"] == [("article", 2), ("recording", 1)]
    assert facets["topic"] == [("testing", 2)]
    assert facets["has_recording"] == [("yes", 1)]
    assert page.results.total == 3


def test_search_snippet_escapes_html_but_marks_matches(author):
    _article(author, "Safe snippets", "Beware <script>alert(1)</script> in a graphql talk.")

    page = search_everything(viewer=None, request=SearchRequest(text="graphql"))

    assert page.hits[0].snippet_html == (
        "Beware &lt;script&gt;alert(1)&lt;/script&gt; in a <mark>graphql</mark> talk."
    )


def test_search_collapses_a_session_and_its_recording(author):
    session = make_session(title="Async Python explained", speakers=[author])
    services.resource_create(
        actor=author,
        kind="recording",
        title="Async Python explained",
        url="https://v.example.org/3",
        session=session,
    )

    page = search_everything(viewer=None, request=SearchRequest(text="async python explained"))

    assert [(h.kind, h.title) for h in page.hits] == [("session", "Async Python explained")]
    assert [(g.kind, g.title) for g in page.hits[0].grouped] == [
        ("resource", "Async Python explained")
    ]
    assert page.hits[0].has_recording is True


def test_search_marks_upcoming_sessions_inside_working_hours(author):
    viewer = make_person(tz="Europe/Berlin")
    session = make_session(
        title="Lunchtime profiling", speakers=[author], status=Session.Status.SCHEDULED
    )
    monday = timezone.localdate() + timedelta(days=7 - timezone.localdate().weekday())
    start = timezone.make_aware(
        timezone.datetime.combine(monday, timezone.datetime.min.time())
    ) + timedelta(hours=10)
    make_occurrence(session=session, start=start)  # 10:00 UTC = 11:00 or 12:00 in Berlin
    index_write(kind="session", object_ids=[session.pk], dependents=True)

    page = search_everything(
        viewer=viewer, request=SearchRequest(text="profiling", types=("session",))
    )

    assert [(h.title, h.within_working_hours) for h in page.hits] == [("Lunchtime profiling", True)]


@pytest.mark.parametrize(
    "text",
    [
        '"unbalanced quote',
        "kube* AND NEAR(a b, 3) OR -python",
        "((((",
        ")) OR ((",
        "- - - * * *",
        'NEAR("a" "b")',
        "title:secret ^x {y}",
        "x" * 10_000,
        "python " * 2000,
        "'; DROP TABLE library_searchdocument; --",
        "\x00\x01 emoji 🚀 ÜBER",
        "",
    ],
)
def test_search_hostile_queries_never_fail(author, text):
    _article(author, "Python packaging", "Wheels.")

    page = search_everything(viewer=None, request=SearchRequest(text=text), facets=True)
    suggestions = search_suggestions(text=text)

    assert isinstance(page.hits, list)
    assert isinstance(suggestions["results"], list)


def test_search_query_containing_operators_still_finds_words(author):
    _article(author, "Python packaging", "Wheels.")

    assert _titles('"python" AND (packaging* NEAR') == ["Python packaging"]


def test_search_unknown_type_is_a_clear_error():
    from knowflow.errors import DomainError

    with pytest.raises(DomainError, match="Unknown type 'video'"):
        search_everything(viewer=None, request=SearchRequest(text="x", types=("video",)))


def test_search_backwards_date_range_is_a_clear_error():
    from knowflow.errors import DomainError

    with pytest.raises(DomainError, match="before its start"):
        search_everything(
            viewer=None,
            request=SearchRequest(text="x", date_from=date(2024, 5, 2), date_to=date(2024, 5, 1)),
        )


def test_match_expressions_quote_every_term_and_require_all_when_asked():
    from knowflow.discovery.query import ParsedQuery
    from knowflow.search.postgres import tsquery
    from knowflow.search.sqlite import match_expression

    parsed = ParsedQuery(text="x", terms=("data", "pipelin"), phrases=(("etl",),), require_all=True)

    assert match_expression(parsed) == '("data" AND "pipelin") OR "etl"'
    assert tsquery(parsed) == "('data' & 'pipelin') | ('etl')"
