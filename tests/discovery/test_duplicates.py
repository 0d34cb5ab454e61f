"""The duplicate detector (pure): features, decisions, candidates, clusters, explanations."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from knowflow.discovery import duplicates as D
from knowflow.discovery.textnorm import content_tokens, strip_boilerplate, tokens

ABSTRACT = (
    "Property-based testing generates hundreds of inputs from a description of the data, "
    "then shrinks every failure to the smallest example that still breaks the code. We will "
    "write properties for a date parser, find two real bugs in it, and look at how the "
    "shrinker turns a page of noise into a three-character counterexample."
)
OTHER = (
    "Kubernetes operators encode the knowledge of a human operator in a controller that "
    "watches custom resources and reconciles the cluster towards the declared state, with "
    "leader election, finalisers and status conditions explained along the way."
)


def corpus(*extra: D.Doc) -> list[D.Doc]:
    filler = [
        D.Doc(
            key=f"f{i}",
            title=f"Filler talk number {i} on topic {i}",
            description=f"Words {i} about things {i} and more {i}.",
        )
        for i in range(20)
    ]
    return [*filler, *extra]


def test_tokens_fold_accents_case_and_number_words() -> None:
    assert tokens("Café CRÈME: Ten years") == ["cafe", "creme", "10", "years"]
    assert content_tokens("The art of the deal") == ["art", "deal"]


def test_strip_boilerplate_drops_speaker_line_and_bio() -> None:
    text = (
        "Speaker: Jane Doe\n\nAbstract Learn testing.\n\nSpeaker Bio Jane works at ACME since 2001."
    )
    assert tokens(strip_boilerplate(text)) == ["learn", "testing"]


def test_strip_boilerplate_keeps_the_next_talk_after_a_bio() -> None:
    text = "1. Regex - Al. Learn regex. Speaker Bio Al writes books. Abstract 2. Async - Bo. Learn async."
    assert tokens(strip_boilerplate(text)) == [
        "1",
        "regex",
        "al",
        "learn",
        "regex",
        "2",
        "async",
        "bo",
        "learn",
        "async",
    ]


def test_same_talk_retitled_is_a_duplicate_and_another_talk_is_not() -> None:
    scorer = D.Scorer(
        corpus(
            D.Doc(
                key="a",
                title="Property-based testing in practice",
                description=ABSTRACT,
                speakers=("Ann Lee",),
            ),
            D.Doc(
                key="b",
                title="Finding bugs with property based tests",
                description=ABSTRACT.replace("two real bugs", "real bugs"),
                speakers=("Ann Lee",),
            ),
            D.Doc(
                key="c",
                title="Kubernetes operators in practice",
                description=OTHER,
                speakers=("Ann Lee",),
            ),
        )
    )
    same, different = scorer.score("a", "b"), scorer.score("a", "c")
    assert same.duplicate is True
    assert same.score > 0.9
    assert different.duplicate is False
    assert different.score < 0.1
    assert scorer.score("b", "a").score == pytest.approx(same.score)


def test_equal_titles_by_the_same_speaker_are_duplicates_without_description() -> None:
    scorer = D.Scorer(
        corpus(
            D.Doc(key="a", title="Lies, damned lies and statistics", speakers=("Marco B",)),
            D.Doc(key="b", title="Lies, Damned Lies, and Statistics!", speakers=("Marco B",)),
        )
    )
    result = scorer.score("a", "b")
    assert result.features["title_jaccard"] == 1.0
    assert result.duplicate is True


def test_boilerplate_shared_by_many_documents_does_not_make_copies() -> None:
    blurb = " This talk is part of our monthly meetup, recorded and published on the channel afterwards."
    docs = [
        D.Doc(
            key=f"d{i}", title=f"Subject {i} explained", description=f"Unique words{i} here.{blurb}"
        )
        for i in range(D.BOILERPLATE_DF + 2)
    ]
    scorer = D.Scorer(docs)
    result = scorer.score("d0", "d1")
    assert result.features["body_jaccard"] == 0.0
    assert result.duplicate is False


def test_unknown_key_raises_key_error() -> None:
    scorer = D.Scorer(corpus())
    with pytest.raises(KeyError):
        scorer.score("f1", "missing")


def test_detect_finds_exactly_the_pairs_pair_mode_calls_duplicates() -> None:
    docs = corpus(
        D.Doc(
            key="a",
            title="Property-based testing in practice",
            description=ABSTRACT,
            speakers=("Ann",),
        ),
        D.Doc(
            key="b",
            title="Property-based testing, in practice",
            description=ABSTRACT,
            speakers=("Ann",),
        ),
        D.Doc(
            key="c",
            title="Property-based testing in practice again",
            description=ABSTRACT + " Bring a laptop.",
            speakers=("Ann",),
        ),
        D.Doc(key="k", title="Kubernetes operators", description=OTHER),
    )
    scorer = D.Scorer(docs)
    found = {(m.a, m.b) for m in D.detect(scorer)}
    keys = [d.key for d in docs]
    every = {
        (x, y) for i, x in enumerate(keys) for y in keys[i + 1 :] if scorer.score(x, y).duplicate
    }
    assert found == every == {("a", "b"), ("a", "c"), ("b", "c")}
    assert D.clusters(scorer.keys, D.detect(scorer)) == [["a", "b", "c"]]


def test_clusters_are_transitive_largest_first_and_deterministic() -> None:
    matches = [D.Match("x", "y", 0.9), D.Match("q", "r", 0.8), D.Match("y", "z", 0.7)]
    assert D.clusters(["q", "r", "s", "x", "y", "z"], matches) == [["x", "y", "z"], ["q", "r"]]


def test_stats_snapshot_round_trip_scores_a_new_document_like_the_catalogue() -> None:
    new = D.Doc(
        key="new",
        title="Property based testing for everyone",
        description=ABSTRACT,
        speakers=("Ann",),
    )
    docs = corpus(
        D.Doc(
            key="a",
            title="Property-based testing in practice",
            description=ABSTRACT,
            speakers=("Ann",),
        )
    )
    whole = D.Scorer([*docs, new])
    stats = D.CorpusStats.from_arrays(whole.stats.to_arrays())
    small = D.Scorer([new, docs[-1]], stats=stats)
    assert small.score("new", "a").score == pytest.approx(whole.score("new", "a").score)


def test_explanation_quotes_the_shared_passage_and_common_words() -> None:
    scorer = D.Scorer(
        corpus(
            D.Doc(
                key="a",
                title="Property testing",
                description=ABSTRACT,
                speakers=("Ann Lee",),
                topics=("Testing",),
            ),
            D.Doc(
                key="b",
                title="Property testing again",
                description="Intro. " + ABSTRACT,
                speakers=("Ann Lee", "Bo"),
                topics=("Testing", "Python"),
            ),
        )
    )
    why = scorer.explain("a", "b")
    assert why.passages[0].startswith("property based testing generates hundreds of inputs")
    assert why.title_words == ["property", "testing"]
    assert why.topics == ["testing"]
    assert why.speakers == ["ann lee"]


def test_dev_pairs_sample_is_decided_like_the_benchmark(shared_dir: Path) -> None:
    pairs = [
        json.loads(line)
        for line in (shared_dir / "data/bench-dev/dup_pairs.jsonl").read_text().splitlines()
    ][:120]
    wanted = {p["a"] for p in pairs} | {p["b"] for p in pairs}
    docs = []
    with gzip.open(shared_dir / "data/talks.jsonl.gz", "rt") as handle:
        for line in handle:
            talk = json.loads(line)
            if talk["id"] in wanted:
                docs.append(
                    D.Doc(
                        key=talk["id"],
                        title=talk["title"],
                        description=talk["description"] or "",
                        speakers=tuple(talk["speakers"]),
                        topics=tuple(talk["tags"]),
                    )
                )
    scorer = D.Scorer(docs)
    decided = np.array([r.duplicate for r in scorer.score_pairs([(p["a"], p["b"]) for p in pairs])])
    labels = np.array([bool(p["label"]) for p in pairs])
    assert (decided == labels).mean() >= 0.95
