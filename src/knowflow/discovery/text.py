"""Turning text into search terms, and back into highlighted snippets.

One analyser for everything that searches: the index (both database backends store the
terms this module produces, so SQLite and PostgreSQL rank the same words), the query parser,
the spelling vocabulary and related content. Terms are lower-case, accent-free words with
English stop words dropped and a Snowball (Porter 2) stem, so "testing", "tests" and "tested"
meet. Pure Python: no Django import.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

try:  # Snowball (Porter 2), in C when PyStemmer is installed, else in pure Python.
    import snowballstemmer
except ImportError:  # pragma: no cover - a machine installed without the dependency
    snowballstemmer = None

# Words made of letters and digits; "c++" and "c#" are rewritten first so they survive.
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_SPECIAL = (
    (re.compile(r"(?i)\bc\+\+"), "cpp"),
    (re.compile(r"(?i)\bc#"), "csharp"),
    (re.compile(r"(?i)\bf#"), "fsharp"),
    (re.compile(r"(?i)(?<![\w.])\.net\b"), "dotnet"),
)

MAX_TERM_LENGTH = 40

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "let",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "s",
        "t",
        "d",
        "ll",
        "m",
        "re",
        "ve",
        "y",
    ]
)


class _SuffixStemmer:
    """A last resort when Snowball is missing: strips the commonest English suffixes. The
    index and the queries of one installation always use the same stemmer, so search stays
    consistent; it is only coarser."""

    _SUFFIXES = ("ations", "ation", "ingly", "ings", "ing", "edly", "ed", "ies", "es", "s")

    def stemWord(self, word: str) -> str:  # noqa: N802 - Snowball's name
        for suffix in self._SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
        return word


_stemmer = snowballstemmer.stemmer("english") if snowballstemmer is not None else _SuffixStemmer()


def fold(text: str) -> str:
    """Lower-case ``text`` and strip accents ("Café" → "cafe"), keeping offsets one-to-one
    only where that is harmless: used for matching, never for display."""
    text = text.lower()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _rewrite_special(text: str) -> str:
    if "+" not in text and "#" not in text and ".net" not in text.lower():
        return text
    for pattern, replacement in _SPECIAL:
        text = pattern.sub(replacement, text)
    return text


def words(text: str) -> list[str]:
    """The folded words of ``text``, stop words included (for phrases and prefixes)."""
    return [w[:MAX_TERM_LENGTH] for w in _WORD.findall(fold(_rewrite_special(text or "")))]


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The Snowball stem of one folded word (cached: a corpus has few distinct words)."""
    if word.isdigit() or len(word) <= 2:
        return word
    return _stemmer.stemWord(word)


def terms(text: str) -> list[str]:
    """The index terms of ``text``: folded words, stop words dropped, stemmed."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]


def terms_text(text: str) -> str:
    """``terms`` joined by spaces: what the database's full-text column stores."""
    return " ".join(terms(text))


def phrase_key(text: str) -> str:
    """A key under which spellings of one phrase meet: "Command-Line", "command line" and
    "commandline" all give "commandlin"; "Data Pipelines" and "data pipeline" meet too.
    The words are joined *before* stemming, so a run-together spelling stems alike."""
    return stem("".join(words(text)))


def initials(text: str) -> str:
    """ "natural language processing" → "nlp" (used to pair a tag with its acronym)."""
    parts = [w for w in words(text) if w not in {"of", "and", "the", "for", "in", "to"}]
    return "".join(w[0] for w in parts) if len(parts) >= 2 else ""


# --- edit distance ----------------------------------------------------------------------------


def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Optimal-string-alignment distance (insert, delete, substitute, swap two neighbours),
    or ``limit + 1`` as soon as it is certain to exceed ``limit``."""
    if a == b:
        return 0
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        row_min = current[0]
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
            row_min = min(row_min, value)
        if row_min > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def deletes(word: str, depth: int) -> set[str]:
    """Every string made by deleting up to ``depth`` characters of ``word`` (SymSpell)."""
    found = {word}
    frontier = {word}
    for _ in range(depth):
        nxt = set()
        for item in frontier:
            for i in range(len(item)):
                nxt.add(item[:i] + item[i + 1 :])
        found |= nxt
        frontier = nxt
    return found


# --- snippets ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    term: str  # "" for a stop word


def tokens_with_offsets(text: str) -> Iterator[Token]:
    """Words of the original ``text`` with their character offsets and their index term."""
    for match in _WORD.finditer(text):
        word = fold(match.group())[:MAX_TERM_LENGTH]
        term = "" if word in STOPWORDS else stem(word)
        yield Token(match.start(), match.end(), term)


def highlight(
    text: str,
    query_terms: Iterable[str],
    *,
    width: int = 220,
    prefixes: Iterable[str] = (),
    mark: tuple[str, str] = ("<mark>", "</mark>"),
) -> str:
    """The best ``width``-character window of ``text`` with query words wrapped in ``mark``.

    Everything except the marks is HTML-escaped here, so the result is safe to insert in a
    page as is: a description containing ``<script>`` shows as text. The window is the one
    holding the most distinct query terms (ties: the earliest).
    """
    wanted = set(query_terms)
    prefix_list = tuple(p for p in prefixes if p)
    if not text:
        return ""
    tokens = list(tokens_with_offsets(text))

    def hit(token: Token) -> bool:
        if not token.term:
            return False
        if token.term in wanted:
            return True
        return bool(prefix_list) and fold(text[token.start : token.end]).startswith(prefix_list)

    hits = [t for t in tokens if hit(t)]
    start = 0
    if hits and len(text) > width:
        best, best_score = 0, -1
        for i, first in enumerate(hits):
            seen = {h.term for h in hits[i:] if h.start < first.start + width}
            if len(seen) > best_score:
                best, best_score = first.start, len(seen)
        start = max(0, best - width // 5)
        # Start at a word boundary so the snippet does not open mid-word.
        while start > 0 and not text[start - 1].isspace():
            start -= 1
    end = min(len(text), start + width)
    while (
        end < len(text) and end > start and not text[end - 1].isspace() and end - start < width + 30
    ):
        end += 1
    parts: list[str] = ["…" if start > 0 else ""]
    cursor = start
    for token in hits:
        if token.start < start or token.end > end:
            continue
        parts.append(html.escape(text[cursor : token.start]))
        parts.append(mark[0] + html.escape(text[token.start : token.end]) + mark[1])
        cursor = token.end
    parts.append(html.escape(text[cursor:end]))
    if end < len(text):
        parts.append("…")
    return "".join(parts).strip()


# Markdown syntax is noise in a snippet; HTML is kept as text (the renderer shows it as text
# too, and the snippet escapes it).
_MARKDOWN_NOISE = re.compile(r"(!?\[([^\]]*)\]\([^)]*\))|[*_`#|]+|^>+|(?<=\s)>+(?=\s)")


def plain_text(markdown: str) -> str:
    """Markdown (or stray HTML) reduced to its words, for snippets and the index."""

    def keep_label(match: re.Match[str]) -> str:
        return match.group(2) or "" if match.group(1) else " "

    return re.sub(r"\s+", " ", _MARKDOWN_NOISE.sub(keep_label, markdown or "")).strip()
