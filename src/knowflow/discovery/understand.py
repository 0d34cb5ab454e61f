"""Query understanding: what someone typed, rewritten into what they are looking for.

People type questions ("how do I profile slow python code"), abbreviations ("k8s deployment",
"a11y") and typos ("djnago orm optimisation"). Before anything is matched:

1. **Questions are reduced to their subject**: leading phrases that only say "I am asking"
   ("how do I", "what is the best way to", "intro to", "tips for") and the filler words of a
   question ("best", "way", "good") go; "profile slow python code" is what is searched.
2. **Abbreviations are expanded**, from a built-in list of the common ones (``k8s`` →
   kubernetes, ``a11y`` → accessibility) and from those the organisation's own text defines
   ("Kubernetes (K8s)", "natural language processing (NLP)"), learned by
   ``learn_abbreviations`` when the index is trained and passed in here. The abbreviation
   stays in the query too, so a text that uses it still matches.
3. **Spelling is corrected** against the index's vocabulary: a word the index does not hold
   becomes the indexed word closest to it, frequent words preferred (``Vocabulary.correct``);
   a word the index holds is never "corrected".

``understand`` is pure and is the one entry point for every free-text match (the search
engine, expert finding), so they understand people the same way.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from knowflow.discovery.spelling import Vocabulary
from knowflow.discovery.text import STOPWORDS, stem, words

# Leading phrases of a question or a request: they say how someone asks, not what about.
# Longest first; matched on the folded words of the query.
_ASKING = sorted(
    (
        tuple(phrase.split())
        for phrase in [
            "how do i", "how do you", "how do we", "how can i", "how can we", "how should i",
            "how to", "how does", "how do", "how is", "how are", "how would i",
            "what is the best way to", "what s the best way to", "whats the best way to",
            "what is the right way to", "what is a good way to", "best way to", "best ways to",
            "what is", "what are", "what s", "whats", "what does", "what do", "what should i",
            "why is my", "why is", "why are my", "why are", "why does my", "why does",
            "why should i", "why should we", "why do", "when should i", "where do i",
            "where can i", "where to", "is there a talk on", "is there a talk about",
            "is there anything on", "are there talks on", "are there talks about",
            "any talks on", "any talks about", "talks on", "talks about", "a talk on",
            "a talk about", "i need", "i need an", "i need a", "i want to", "i want to learn",
            "i would like to learn", "help me", "help with", "can someone explain",
            "explain", "explain to me", "tell me about", "show me", "looking for",
            "i am looking for", "im looking for", "learn about", "learn", "learning about",
            "intro to", "introduction to", "an introduction to", "tips for", "tips on",
            "tips and tricks for", "advice on", "advice for", "guide to", "a guide to",
            "tutorial on", "examples of",
        ]
    ),
    key=len,
    reverse=True,
)  # fmt: skip
# Words a question carries that name no subject. Dropped only from a question (a title such
# as "The best way to fail" keeps them), and never when nothing else would remain.
_QUESTION_FILLER = frozenset(
    [
        "best",
        "better",
        "good",
        "great",
        "right",
        "proper",
        "way",
        "ways",
        "really",
        "actually",
        "should",
        "need",
        "want",
        "use",
        "using",
        "used",
        "handle",
        "handling",
        "deal",
        "dealing",
        "work",
        "working",
        "companies",
        "people",
        "start",
        "started",
        "starting",
        "get",
        "getting",
        "make",
        "makes",
        "making",
        "tips",
        "tricks",
        "someone",
        "anyone",
        "something",
        "thing",
        "things",
        "stuff",
        "kind",
        "sort",
        "properly",
        "correctly",
        "easily",
        "quickly",
        "efficiently",
    ]
)
# Words saying a person is new to a subject: kept, and "introduction" is searched with them
# (talks for beginners call themselves introductions).
RARE = 3  # a word the index holds this many times or fewer may be one of its typos
TYPO_RATIO = 30
_BEGINNER = frozenset(
    [
        "beginner",
        "beginners",
        "begginers",
        "newbie",
        "newbies",
        "novice",
        "novices",
        "basics",
        "101",
        "intro",
    ]
)

# Common abbreviations of the trade, as people type them. Learned ones (from the
# organisation's own text) are added to these; a built-in one wins over a learned one.
BUILTIN_ABBREVIATIONS: dict[str, str] = {
    "k8s": "kubernetes",
    "kube": "kubernetes",
    "a11y": "accessibility",
    "i18n": "internationalization",
    "l10n": "localization",
    "o11y": "observability",
    "ml": "machine learning",
    "ai": "artificial intelligence",
    "dl": "deep learning",
    "nn": "neural network",
    "nns": "neural networks",
    "cnn": "convolutional neural network",
    "rnn": "recurrent neural network",
    "llm": "large language model",
    "llms": "large language models",
    "nlp": "natural language processing",
    "cv": "computer vision",
    "rl": "reinforcement learning",
    "js": "javascript",
    "ts": "typescript",
    "db": "database",
    "dbs": "databases",
    "ci": "continuous integration",
    "tf": "tensorflow",
    "pg": "postgresql",
    "postgres": "postgresql",
    "k8": "kubernetes",
    "tdd": "test driven development",
    "bdd": "behaviour driven development",
    "ddd": "domain driven design",
    "oop": "object oriented programming",
    "fp": "functional programming",
    "gui": "graphical user interface",
    "ui": "user interface",
    "ux": "user experience",
    "iot": "internet of things",
    "etl": "extract transform load",
    "sre": "site reliability engineering",
    "aws": "amazon web services",
    "gcp": "google cloud platform",
    "hpc": "high performance computing",
    "viz": "visualization",
    "dataviz": "data visualization",
    "stats": "statistics",
    "perf": "performance",
    "auth": "authentication",
    "infra": "infrastructure",
    "devs": "developers",
    "docs": "documentation",
    "sec": "security",
    "appsec": "application security",
    "infosec": "information security",
    "ds": "data science",
    "eda": "exploratory data analysis",
    "gis": "geographic information systems",
    "ocr": "optical character recognition",
    "asr": "speech recognition",
    "tts": "text to speech",
    "gan": "generative adversarial network",
    "gans": "generative adversarial networks",
    "svm": "support vector machine",
    "pca": "principal component analysis",
    "mcmc": "markov chain monte carlo",
    "jit": "just in time compiler",
    "gil": "global interpreter lock",
    "cli": "command line",
    "vm": "virtual machine",
    "vms": "virtual machines",
    "dsl": "domain specific language",
    "spa": "single page application",
    "wasm": "webassembly",
}
# "ci/cd", "ci cd": one subject, not two.
_PAIRS = {("ci", "cd"): "continuous integration continuous delivery"}


@dataclass(frozen=True)
class UnderstoodQuery:
    """What was typed and what is searched for it."""

    original: str
    text: str  # the words to match: the subject, spelling fixed
    alternatives: tuple[str, ...] = ()  # phrases matched besides (expansions, see understand)
    shown: str = ""  # the same in words for a person ("kubernetes deployment"), "" when unchanged
    expansions: dict[str, str] = field(default_factory=dict)  # typed word → expansion
    corrections: dict[str, str] = field(default_factory=dict)  # typed word → corrected word
    reduced: bool = False  # a question or request was reduced to its subject

    @property
    def changed(self) -> bool:
        """Whether what is searched differs from what was typed in a way worth saying."""
        return bool(self.expansions or self.corrections)


def _strip_asking(typed: list[str]) -> tuple[list[str], bool]:
    for phrase in _ASKING:
        if len(typed) > len(phrase) and tuple(typed[: len(phrase)]) == phrase:
            return typed[len(phrase) :], True
    return typed, False


def reduce_question(typed: list[str]) -> tuple[list[str], bool]:
    """The subject of a question or request ("how do i profile slow python code" → profile
    slow python code), or ``typed`` unchanged when it asks nothing."""
    rest, asked = _strip_asking(typed)
    if asked:  # "how do I … : tips for …" rarely nests, but "i need an intro to" does
        rest, _ = _strip_asking(rest)
    question = asked or (typed and typed[-1] in {"tips", "tutorial", "howto"})
    if not question:
        return typed, False
    subject = [w for w in rest if w not in _QUESTION_FILLER and w not in STOPWORDS]
    return (subject or rest or typed), True


def _likely_typo(word: str, vocabulary: Vocabulary) -> str | None:
    """A word the index holds only a few times (its own typos: "distrubuted") whose close
    neighbour it holds ``TYPO_RATIO`` times more: that neighbour, else None."""
    if len(word) < 5:
        return None
    # Either the stem is rare in the whole index, or the word as written is rare in titles
    # while its stem is shared with real words ("continous" stems like "continue").
    frequency = vocabulary.frequency.get(stem(word), 0)
    written = vocabulary.word_count(word)
    if frequency > RARE and written > RARE:
        return None
    neighbour = vocabulary.correct_word(word, known_too=True)
    if neighbour is None or stem(neighbour) == stem(word):
        return None
    if frequency <= RARE:
        return (
            neighbour
            if vocabulary.frequency.get(stem(neighbour), 0) >= TYPO_RATIO * max(frequency, 1)
            else None
        )
    return neighbour if vocabulary.word_count(neighbour) >= TYPO_RATIO * max(written, 1) else None


def understand(
    text: str,
    vocabulary: Vocabulary | None = None,
    *,
    abbreviations: Mapping[str, str] | None = None,
    keep_last: bool = False,
) -> UnderstoodQuery:
    """Rewrite ``text`` (see the module docstring). ``abbreviations`` are learned ones, added
    to the built-in list; ``keep_last`` leaves the last word alone (it is being typed).

    ``text`` of the result holds the words to match; ``alternatives`` what else each of them
    may be written as (an abbreviation's expansion; the typed spelling of a word corrected
    though the index holds it a few times): a backend matches each alternative as one phrase,
    so "ai" and "artificial intelligence" weigh as one concept, not three.
    """
    typed = words(text)
    subject, reduced = reduce_question(typed)
    known = {**(abbreviations or {}), **BUILTIN_ABBREVIATIONS}
    searched: list[str] = []
    alternatives: list[str] = []
    shown: list[str] = []
    expansions: dict[str, str] = {}
    corrections: dict[str, str] = {}
    i = 0
    beginner = False
    while i < len(subject):
        word = subject[i]
        pair = tuple(subject[i : i + 2])
        if pair in _PAIRS:
            expansions["/".join(pair)] = _PAIRS[pair]
            searched += list(pair)
            alternatives.append(_PAIRS[pair])
            shown.append(_PAIRS[pair])
            i += 2
            continue
        i += 1
        beginner = beginner or word in _BEGINNER
        last = i == len(subject)
        typing = last and keep_last
        expansion = known.get(word)
        if expansion and expansion != word and not typing:
            expansions[word] = expansion
            searched.append(word)
            alternatives.append(expansion)
            shown.append(expansion)
            continue
        checkable = (
            vocabulary is not None and not typing and word not in STOPWORDS and not word.isdigit()
        )
        if checkable and stem(word) not in vocabulary:  # type: ignore[operator]
            assert vocabulary is not None
            spelled = vocabulary.correct_word(word)
            if spelled is None:
                better = vocabulary.correct(stem(word)) or vocabulary.correct(word)
                spelled = vocabulary.spelled(better) if better else None
            if spelled:
                corrections[word] = spelled
                searched.append(spelled)
                shown.append(spelled)
                continue
        elif checkable:
            assert vocabulary is not None
            spelled = _likely_typo(word, vocabulary)
            if spelled:
                corrections[word] = spelled
                searched.append(spelled)
                alternatives.append(word)  # the few that wrote it so still match
                shown.append(spelled)
                continue
        searched.append(word)
        shown.append(word)
    if beginner:
        alternatives.append("introduction")
    return UnderstoodQuery(
        original=text,
        text=" ".join(searched),
        alternatives=tuple(alternatives),
        shown=" ".join(shown) if (expansions or corrections) else "",
        expansions=expansions,
        corrections=corrections,
        reduced=reduced,
    )


# --- learning abbreviations from the organisation's own text ---------------------------------

# "Long Phrase (ABBR)" and "ABBR (Long Phrase)": the parenthesis is found first (cheap), the
# phrase is then read from the few words before it.
_SHORT_IN_PARENS = re.compile(r"\(\s*([A-Za-z][A-Za-z0-9+#]{1,9})\s*\)")
_LONG_IN_PARENS = re.compile(r"\b([A-Z][A-Za-z0-9]{1,9})\s*\(([^()]{5,80})\)")
_TOKEN = re.compile(r"\b[A-Za-z][A-Za-z0-9]{1,9}\b")
_CONNECTORS = frozenset({"of", "and", "the", "for", "in", "to", "a", "an", "on", "with", "&"})


def _initials_match(short: str, phrase_words: list[str]) -> list[str] | None:
    """The trailing words of ``phrase_words`` whose initials spell ``short`` (connector words
    may be skipped; a digit stands for a repeated letter: "k8s" is no acronym, "o11y" neither),
    or None."""
    letters = [c for c in short.lower() if c.isalpha()]
    if not 2 <= len(letters) <= 8 or any(c.isdigit() for c in short):
        return None
    # Walk back from the end of the phrase, matching letters from the end.
    j = len(letters) - 1
    taken: list[str] = []
    for word in reversed(phrase_words):
        if j < 0:
            break
        if word[:1] == letters[j]:
            taken.append(word)
            j -= 1
            # Compound words may give two letters ("JavaScript" → "js" is not an acronym of
            # a phrase, but "PostgreSQL" is no phrase either): one letter per word here.
        elif word in _CONNECTORS:
            taken.append(word)
        else:
            return None
    if j >= 0:
        return None
    phrase = list(reversed(taken))
    while phrase and phrase[0] in _CONNECTORS:
        phrase.pop(0)
    return phrase if len(phrase) >= 2 else None


def learn_abbreviations(
    texts: Iterable[str], *, min_count: int = 2, max_size: int = 2000
) -> dict[str, str]:
    """Abbreviations the texts define, written "Natural Language Processing (NLP)" or
    "NLP (natural language processing)", whose letters are the initials of the phrase;
    kept when seen at least ``min_count`` times (once may be a coincidence), the most
    frequent phrase for each. Built-in abbreviations are not overridden (see ``understand``)."""
    seen: Counter[tuple[str, str]] = Counter()
    texts_seen: list[str] = []
    for text in texts:
        texts_seen.append(text)
        if "(" not in text:
            continue
        for match in _SHORT_IN_PARENS.finditer(text):
            short = match.group(1)
            if not any(c.isupper() for c in short):
                continue  # "(see below)" defines nothing
            before = words(text[max(0, match.start() - 100) : match.start()])[-8:]
            phrase = _initials_match(short, before)
            if phrase:
                seen[(short.lower(), " ".join(phrase))] += 1
        for match in _LONG_IN_PARENS.finditer(text):
            short = match.group(1)
            phrase = _initials_match(short, words(match.group(2))[:8])
            if phrase and len(phrase) == len(words(match.group(2))[:8]):
                seen[(short.lower(), " ".join(phrase))] += 1
    candidates = {short for (short, _), count in seen.items() if count >= min_count}
    # A short form people also write as a word ("FAST (Fourier amplitude sensitivity test)"
    # against "fast code"; "IT" against "it") is a word first: kept only when written in
    # capitals at least as often as in lower case.
    capitals: Counter[str] = Counter()
    lower: Counter[str] = Counter()
    for text in texts_seen:
        for token in _TOKEN.findall(text):
            folded = token.lower()
            if folded in candidates:
                if token == folded:
                    lower[folded] += 1
                elif token.upper() == token:
                    capitals[folded] += 1
    best: dict[str, tuple[int, str]] = {}
    for (short, phrase_text), count in seen.items():
        if short not in candidates or lower[short] > capitals[short]:
            continue
        if short not in best or count > best[short][0]:
            best[short] = (count, phrase_text)
    ranked = sorted(best.items(), key=lambda item: -item[1][0])[:max_size]
    return {short: phrase for short, (_, phrase) in ranked}
