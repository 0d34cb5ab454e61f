"""Query understanding: questions reduced, abbreviations expanded and learned, spelling fixed."""

from __future__ import annotations

from knowflow.discovery.spelling import Vocabulary
from knowflow.discovery.text import stem, terms, words
from knowflow.discovery.understand import learn_abbreviations, reduce_question, understand


def _vocabulary(*texts: str) -> Vocabulary:
    counts: dict[str, int] = {}
    spelled: dict[str, int] = {}
    for text in texts:
        for term in set(terms(text)):
            counts[term] = counts.get(term, 0) + 3
        for word in set(words(text)):
            spelled[word] = spelled.get(word, 0) + 3
    return Vocabulary.build(counts.items(), spelled.items())


VOCABULARY = _vocabulary(
    "Django ORM optimisation: faster querysets",
    "Python profiling for slow code",
    "Kubernetes operators in Python",
    "Machine learning for beginners",
    "Optimization of Django queries",
    "Accessibility of web sites",
)


def test_reduce_question_keeps_the_subject_of_a_how_do_i_question():
    assert reduce_question(words("how do I profile slow python code")) == (
        ["profile", "slow", "python", "code"],
        True,
    )


def test_reduce_question_drops_the_filler_of_what_is_the_best_way_to():
    assert reduce_question(words("What is the best way to deploy machine learning models?")) == (
        ["deploy", "machine", "learning", "models"],
        True,
    )


def test_reduce_question_strips_intro_to_and_tips_for():
    assert reduce_question(words("intro to terraform")) == (["terraform"], True)
    assert reduce_question(words("tips for giving a good conference talk")) == (
        ["giving", "conference", "talk"],
        True,
    )


def test_reduce_question_leaves_a_topical_phrase_alone():
    assert reduce_question(words("the best way to fail")) == (
        ["the", "best", "way", "to", "fail"],
        False,
    )
    assert reduce_question(words("how")) == (["how"], False)


def test_understand_expands_builtin_abbreviations_and_keeps_them():
    meant = understand("k8s deployment", VOCABULARY)

    assert meant.text == "k8s deployment"
    assert meant.alternatives == ("kubernetes",)
    assert meant.shown == "kubernetes deployment"
    assert meant.expansions == {"k8s": "kubernetes"}


def test_understand_reads_ci_cd_as_one_subject():
    assert understand("ci/cd pipelines").shown == (
        "continuous integration continuous delivery pipelines"
    )


def test_understand_uses_learned_abbreviations_after_the_builtin_ones():
    meant = understand("tpu clusters", abbreviations={"tpu": "tensor processing unit", "ml": "x"})

    assert meant.shown == "tensor processing unit clusters"
    assert understand("ml", abbreviations={"ml": "markup language"}).shown == "machine learning"


def test_understand_corrects_misspellings_against_the_vocabulary():
    meant = understand("djnago orm optimisation", VOCABULARY)

    assert meant.corrections == {"djnago": "django"}
    assert meant.shown == "django orm optimisation"
    assert meant.text == "django orm optimisation"


def test_understand_corrects_several_words_and_leaves_known_words_alone():
    meant = understand("machin lerning for begginers", VOCABULARY)

    assert meant.corrections == {"lerning": "learning", "begginers": "beginners"}
    assert stem("machin") in VOCABULARY  # a stem the index holds: no correction
    assert understand("profiling python code", VOCABULARY).changed is False


def test_understand_does_not_correct_a_word_still_being_typed():
    assert understand("kubernetes opera", VOCABULARY, keep_last=True).corrections == {}


def test_learn_abbreviations_from_phrases_defining_them():
    texts = [
        "We use Natural Language Processing (NLP) for tickets.",
        "More natural language processing (NLP) in production.",
        "Site Reliability Engineering (SRE) at scale",
        "Tensor Processing Unit (TPU) once only",
        "Python (the language) is fun. Python (the language) again.",
    ]

    assert learn_abbreviations(texts) == {"nlp": "natural language processing"}
    assert learn_abbreviations(texts, min_count=1) == {
        "nlp": "natural language processing",
        "sre": "site reliability engineering",
        "tpu": "tensor processing unit",
    }


def test_learn_abbreviations_reads_the_short_form_first_too():
    texts = ["GIS (Geographic Information Systems) maps", "GIS (geographic information systems)"]

    assert learn_abbreviations(texts) == {"gis": "geographic information systems"}


def test_understand_corrects_a_rare_spelling_the_index_holds_and_keeps_it_as_an_alternative():
    vocabulary = _vocabulary(
        *["Distributed systems in practice"] * 40, "Distrubuted caching, a typo in one title"
    )

    meant = understand("distrubuted systems", vocabulary)

    assert meant.corrections == {"distrubuted": "distributed"}
    assert meant.text == "distributed systems"
    assert meant.alternatives == ("distrubuted",)


def test_understand_leaves_a_rare_real_word_without_a_frequent_neighbour():
    vocabulary = _vocabulary("SimPy simulations", *["SymPy algebra"] * 5)

    assert understand("simpy", vocabulary).changed is False


def test_understand_searches_introductions_for_beginners():
    assert understand("pandas for beginners").alternatives == ("introduction",)
