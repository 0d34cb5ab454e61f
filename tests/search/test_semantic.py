"""Semantic retrieval: the LSA model, its storage, and its fusion with the lexical ranking."""

from __future__ import annotations

import pytest

from knowflow.search import engine, semantic
from knowflow.search.base import Candidate
from knowflow.search.models import SemanticModel

TOPICS = {
    "kubernet": "kubernet contain cluster pod deploy helm orchestr",
    "panda": "panda datafram column seri csv groupbi",
    "accessibl": "accessibl screen reader blind wcag contrast",
    "test": "test pytest fixtur assert mock unit",
}


def _rows() -> list[tuple[int, str, str, str]]:
    rows = []
    for n, (title, body) in enumerate(TOPICS.items()):
        for i in range(20):
            words = body.split()
            # Each document holds a few of its topic's words, so they co-occur across documents.
            picked = " ".join(words[(i + j) % len(words)] for j in range(3))
            rows.append((n * 100 + i, title if i % 4 == 0 else "", "", picked))
    return rows


def test_train_places_documents_of_one_subject_together():
    model = semantic.train(_rows(), dimensions=4)

    assert model is not None
    nearest = [doc_id // 100 for doc_id, _ in model.nearest(["pod", "helm"], limit=10)]
    assert nearest == [0] * 10  # every neighbour is a kubernetes document


def test_train_finds_documents_by_a_word_they_do_not_contain():
    model = semantic.train(_rows(), dimensions=4)

    assert model is not None
    ids = [doc_id for doc_id, _ in model.nearest(["wcag"], limit=20)]
    without_the_word = [i for i in ids if "wcag" not in dict((r[0], r[3]) for r in _rows())[i]]
    assert without_the_word and all(i // 100 == 2 for i in ids)


def test_train_refuses_a_tiny_index():
    assert semantic.train(_rows()[:10]) is None


def test_query_of_unknown_words_finds_nothing():
    model = semantic.train(_rows(), dimensions=4)

    assert model is not None
    assert model.nearest(["zzz"], limit=5) == []


def _candidate(doc_id: int, kind: str = "session") -> Candidate:
    return Candidate(
        id=doc_id, kind=kind, object_id=doc_id, group_key=f"{kind}:{doc_id}", slug="", title="",
        summary="", external_id="", title_terms="", topic_ids="", format="",
        language="", circle_id=None, date=None, has_recording=False, score=1.0,
    )  # fmt: skip


def test_fuse_ranks_a_document_both_rankings_hold_above_those_only_one_holds():
    lexical = [_candidate(1), _candidate(2), _candidate(3)]
    nearest = [(3, 0.9), (4, 0.8)]

    fused = engine._fuse(lexical, nearest, [_candidate(4)])

    assert [c.id for c in fused] == [3, 1, 2, 4]


def test_fuse_leaves_out_semantic_neighbours_the_filters_refused():
    fused = engine._fuse([_candidate(1)], [(9, 0.99)], [])

    assert [c.id for c in fused] == [1]


@pytest.mark.django_db
def test_semantic_train_stores_a_model_that_search_loads_and_remove_forgets_it():
    from knowflow.library import services
    from tests.factories import make_person

    author = make_person(role="enabler", name="Ada Writer")
    subjects = [
        ("Kubernetes clusters", "Pods, helm charts and container orchestration."),
        ("Pandas dataframes", "Columns, series and groupby on CSV files."),
        ("Accessible pages", "Screen readers, contrast and WCAG for blind users."),
        ("Unit testing", "Pytest fixtures, mocks and assertions."),
        ("Profiling code", "Flame graphs, sampling profilers and hot loops."),
    ]
    for i in range(60):
        title, description = subjects[i % 5]
        services.resource_create(
            actor=author, kind="article", title=f"{title} {i}", description=description,
            url="https://example.org/a",
        )  # fmt: skip

    model = semantic.semantic_train()

    assert model is not None
    assert SemanticModel.objects.get().documents == 61  # 60 resources and their author
    assert semantic.current() is not None
    semantic.semantic_remove()
    assert semantic.current() is None
    assert SemanticModel.objects.count() == 0


@pytest.mark.django_db
def test_worker_pass_trains_when_the_index_grew_and_not_otherwise():
    from knowflow.library import services
    from tests.factories import make_person

    author = make_person(role="enabler", name="Ada Writer")

    subjects = [
        ("Kubernetes clusters", "Pods, helm charts and container orchestration."),
        ("Pandas dataframes", "Columns, series and groupby on CSV files."),
        ("Accessible pages", "Screen readers, contrast and WCAG for blind users."),
        ("Unit testing", "Pytest fixtures, mocks and assertions."),
        ("Profiling code", "Flame graphs, sampling profilers and hot loops."),
    ]

    def add(n: int, start: int = 0) -> None:
        for i in range(start, start + n):
            title, description = subjects[i % 5]
            services.resource_create(
                actor=author, kind="article", title=f"{title} {i}", description=description,
                url="https://example.org/a",
            )  # fmt: skip

    add(10)
    assert semantic.semantic_refresh() is False  # too few documents to learn from
    add(50, start=10)
    assert semantic.semantic_refresh() is True
    assert SemanticModel.objects.get().documents == 61
    add(2, start=60)  # under a tenth more: the model stays
    assert semantic.semantic_refresh() is False
    add(10, start=62)
    assert semantic.semantic_refresh() is True
    assert SemanticModel.objects.get().documents == 73
