"""Group free-text comments into themes, so that a thousand answers can be read in a minute.

PURE: plain Python, no Django, no network, no model download. The method is deliberately
simple and explainable, which matters more here than squeezing out accuracy:

1. tokenise (lower case, letters and digits, English stop words and very short words out,
   a light suffix stripping so "tests", "testing" and "tested" meet), and take bigrams too;
2. weight each term by TF-IDF over the comments;
3. pick theme terms greedily: the term whose comments carry the most weight, then the next
   term among the comments not yet covered, and so on (a set cover by weight);
4. each comment joins the theme of its highest-weighted theme term; the theme is labelled by
   its term and the term that co-occurs with it most, and shows its count and a few short,
   representative quotes (the comments closest to the theme's centre).

Comments that share no frequent term with others end up in "Other comments".
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from knowflow.discovery.text import STOPWORDS

# The search stop words, plus what every feedback comment says and no theme is about
# ("great session, thanks").
STOP_WORDS = STOPWORDS | frozenset(
    {
        "also",
        "aren",
        "bit",
        "didn",
        "doesn",
        "don",
        "even",
        "get",
        "good",
        "got",
        "great",
        "isn",
        "know",
        "like",
        "lot",
        "made",
        "make",
        "many",
        "may",
        "maybe",
        "might",
        "much",
        "must",
        "need",
        "next",
        "one",
        "quite",
        "really",
        "session",
        "speaker",
        "talk",
        "thank",
        "thanks",
        "thing",
        "things",
        "think",
        "time",
        "us",
        "use",
        "used",
        "using",
        "via",
        "want",
        "wasn",
        "way",
        "well",
    }
)
_WORD = re.compile(r"[a-z0-9][a-z0-9+#\-']*")


@lru_cache(maxsize=50_000)
def _stem(word: str) -> str:
    for suffix, minimum in (("ing", 5), ("ed", 4), ("es", 4), ("s", 3)):
        if word.endswith(suffix) and len(word) - len(suffix) >= minimum - len(suffix) + 1:
            stem = word[: -len(suffix)]
            if len(stem) >= 3:
                return stem
    return word


def terms_of(text: str, surface: dict[str, Counter[str]] | None = None) -> list[str]:
    """Unigrams and bigrams of the content words of ``text`` (stemmed).

    ``surface``, if given, collects the words each stem came from, to label themes with a
    real word ("exercises", not "exercis").
    """
    pairs = _stems(text)
    if surface is not None:
        for stem, word in pairs:
            surface[stem][word] += 1
    words = [stem for stem, _ in pairs]
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False) if a != b]


@lru_cache(maxsize=20_000)
def _stems(text: str) -> tuple[tuple[str, str], ...]:
    """(stem, word) of each content word; cached, as the same comment often comes many times."""
    out = []
    for raw in _WORD.findall(text.lower()):
        word = raw.strip("-'")
        if len(word) <= 2 or word in STOP_WORDS:
            continue
        stem = _stem(word)
        if stem not in STOP_WORDS:
            out.append((stem, word))
    return tuple(out)


def _label(term: str, surface: dict[str, Counter[str]]) -> str:
    return " ".join(
        surface[part].most_common(1)[0][0] if surface.get(part) else part
        for part in term.split(" ")
    )


@dataclass
class Theme:
    label: str
    count: int
    quotes: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)


def themes_of(
    comments: list[str], *, max_themes: int = 8, quotes: int = 3, min_count: int = 2
) -> list[Theme]:
    """Themes of ``comments``, largest first, then "Other comments" for the rest.

    ``min_count``: a theme needs at least this many comments (callers pass the anonymity
    threshold k, so no theme shows fewer comments than an aggregate may).
    """
    docs = [c.strip() for c in comments if c and c.strip()]
    if not docs:
        return []
    surface: dict[str, Counter[str]] = defaultdict(Counter)
    doc_terms = [Counter(terms_of(doc, surface)) for doc in docs]
    df: Counter[str] = Counter()
    for terms in doc_terms:
        df.update(terms.keys())
    n = len(docs)
    idf = {
        term: math.log((1 + n) / (1 + count)) + 1
        for term, count in df.items()
        if count >= min_count
    }
    weights: list[dict[str, float]] = []
    for terms in doc_terms:
        total = sum(terms.values()) or 1
        weights.append(
            {term: count / total * idf[term] for term, count in terms.items() if term in idf}
        )
    # Greedy cover with running totals: choosing a term subtracts the comments it covers
    # from every other term's score, so the whole loop touches each (comment, term) once.
    score: dict[str, float] = defaultdict(float)
    support: Counter[str] = Counter()
    for doc_weights in weights:
        for term, weight in doc_weights.items():
            score[term] += weight
            support[term] += 1
    uncovered = set(range(n))
    chosen: list[str] = []
    while len(chosen) < max_themes and uncovered:
        candidates = [t for t, c in support.items() if c >= min_count and t not in chosen]
        if not candidates:
            break
        best = max(candidates, key=lambda t: (score[t], support[t], t))
        chosen.append(best)
        covered = [i for i in uncovered if best in weights[i]]
        uncovered.difference_update(covered)
        for i in covered:
            for term, weight in weights[i].items():
                score[term] -= weight
                support[term] -= 1
    members: dict[str, list[int]] = defaultdict(list)
    other: list[int] = []
    for i in range(n):
        present = [t for t in chosen if t in weights[i]]
        if present:
            members[max(present, key=lambda t: (weights[i][t], -chosen.index(t)))].append(i)
        else:
            other.append(i)
    themes: list[Theme] = []
    for term in chosen:
        idx = members.get(term, [])
        if len(idx) < min_count:
            other += idx
            continue
        companions: Counter[str] = Counter()
        for i in idx:
            companions.update(
                t for t in weights[i] if t != term and t not in term and term not in t
            )
        second = [t for t, c in companions.most_common(2) if c >= max(2, len(idx) // 3)]
        centre: Counter[str] = Counter()
        for i in idx:
            centre.update(weights[i].keys())
        ranked = sorted(
            idx,
            key=lambda i: (-sum(centre[t] for t in weights[i]) / (1 + len(docs[i]) / 80), docs[i]),
        )
        themes.append(
            Theme(
                label=" · ".join(_label(t, surface) for t in [term, *second[:1]]),
                count=len(idx),
                quotes=[docs[i] for i in ranked[:quotes]],
                terms=[_label(t, surface) for t in [term, *second]],
            )
        )
    themes.sort(key=lambda t: (-t.count, t.label))
    if other:
        themes.append(
            Theme(
                label="Other comments",
                count=len(other),
                quotes=sorted(docs[i] for i in other)[:quotes],
            )
        )
    return themes
