"""The pure text helpers behind search (knowflow.discovery): analyser, spelling, query, tags."""

from __future__ import annotations

from collections import Counter

from knowflow.discovery.query import SynonymMap, parse_query
from knowflow.discovery.spelling import Vocabulary
from knowflow.discovery.taxonomy import group_tags
from knowflow.discovery.text import edit_distance, highlight, phrase_key, terms


def test_terms_fold_stem_and_drop_stop_words():
    assert terms("The Testing of Café APIs in C++ and C#") == [
        "test",
        "cafe",
        "api",
        "cpp",
        "csharp",
    ]


def test_edit_distance_counts_a_swap_as_one():
    assert [
        edit_distance("kubernetes", w) for w in ("kubernetes", "kuberentes", "kubernete", "kbrnts")
    ] == [0, 1, 1, 3]


def test_vocabulary_corrects_to_the_most_frequent_close_term_and_leaves_short_words():
    vocabulary = Vocabulary.build(
        [("kubernet", 50), ("kubenet", 2), ("go", 9)], [("kubernetes", 50)]
    )

    assert [vocabulary.correct(t) for t in ("kuberent", "kubernet", "gp", "xyzzyx")] == [
        "kubernet",
        None,
        None,
        None,
    ]
    assert vocabulary.complete("kube") == ["kubernetes"]


def test_parse_query_keeps_only_words_whatever_was_typed():
    parsed = parse_query('"kube* NEAR(a b) -python ((( AND', prefix=False)

    assert parsed.terms == ("kube", "near", "b", "python")
    assert all(term.isalnum() for term in parsed.terms)


def test_parse_query_cuts_a_huge_query():
    assert len(parse_query("word " * 5000).terms) == 1
    assert len(parse_query(" ".join(f"w{i}" for i in range(500))).terms) == 32


def test_synonyms_expand_a_topic_name_found_in_the_query():
    synonyms = SynonymMap.build([["Natural language processing", "NLP"], ["Kubernetes", "k8s"]])

    assert parse_query("nlp", synonyms=synonyms, prefix=False).phrases == (
        ("natur", "languag", "process"),
    )
    assert parse_query(
        "natural language processing at scale", synonyms=synonyms, prefix=False
    ).phrases == (("nlp",),)
    # One word inside a longer query is not a request for its synonyms.
    assert parse_query("nlp pipelines", synonyms=synonyms, prefix=False).phrases == ()


def test_group_tags_merges_spellings_acronyms_and_parentheses():
    groups = group_tags(
        Counter({"command-line": 3, "commandline": 2, "Command Line": 1, "nlp": 5, "natural language processing": 2,
                 "Internet of Things (IoT)": 1, "iot": 4, "machine language": 1, "machine learning": 9, "ml": 2})
    )  # fmt: skip

    assert sorted((g.name, sorted(g.synonyms)) for g in groups) == [
        ("command-line", ["command line", "commandline"]),
        ("iot", ["internet of things", "internet of things (iot)"]),
        ("machine language", []),
        ("machine learning", ["ml"]),
        ("nlp", ["natural language processing"]),
    ]


def test_highlight_escapes_everything_but_the_marks():
    assert (
        highlight("<b>Graph</b> & graphs", ["graph"])
        == "&lt;b&gt;<mark>Graph</mark>&lt;/b&gt; &amp; <mark>graphs</mark>"
    )


def test_phrase_key_joins_spellings():
    assert (
        phrase_key("Data Pipelines")
        == phrase_key("data-pipeline")
        == phrase_key("datapipelines")
        == "datapipelin"
    )
