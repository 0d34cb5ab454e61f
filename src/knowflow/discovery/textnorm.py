"""Text normalisation for duplicate detection: tokens, boilerplate removal, stable hashes.

Pure Python (no Django). The hashes are stable across processes (BLAKE2b, not ``hash()``,
which Python salts per process), so a signature computed by the worker can be compared with
one computed by a web process for a session proposed a minute later.
"""

from __future__ import annotations

import re
import unicodedata
from hashlib import blake2b

import numpy as np

_TOKEN = re.compile(r"[^\W_]+")
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_NUMBER_WORDS = {
    "zero": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "twelve": "12",
    "twenty": "20",
}
# Function words carry no subject; they are dropped from title and topic comparisons only
# (descriptions keep them, because a copied paragraph is recognised by its word sequence).
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "how",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "the",
        "this",
        "to",
        "with",
        "you",
        "your",
        "we",
        "what",
        "why",
        "when",
        "who",
        "will",
        "can",
        "do",
        "does",
        "not",
        "no",
        "yes",
        "vs",
        "via",
        "using",
        "use",
        "about",
    ]
)

# Conference-archive boilerplate: "Speaker: Jane Doe", "Speaker Bio …", "About the speaker …".
# A bio describes the person, not the subject; two different talks by one speaker share it
# word for word, which would make them look like copies of each other.
_SPEAKER_LINE = re.compile(r"(?im)^\s*speakers?\s*:[^\n]*$")
_BIO_START = re.compile(
    r"(?i)\b(?:speaker\s+bio(?:graphy)?|about\s+the\s+(?:speaker|author|presenter)s?|"
    r"(?<![a-z])bio(?:graphy)?\s*:)"
)
_NEXT_SECTION = re.compile(r"(?i)\babstract\b|\n\s*\d+\.\s")
_ABSTRACT_LABEL = re.compile(r"(?i)\babstract\s*:?")
_URL = re.compile(r"https?://\S+|www\.\S+")


def fold(text: str) -> str:
    """Lower case without accents, so "Café" and "cafe" are one word."""
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text)).casefold()


def tokens(text: str) -> list[str]:
    """Words of ``text``, folded, with small number words as digits ("ten" → "10")."""
    return [_NUMBER_WORDS.get(tok, tok) for tok in _TOKEN.findall(fold(text))]


def content_tokens(text: str) -> list[str]:
    """``tokens`` without function words: what a title or topic is about."""
    return [tok for tok in tokens(text) if tok not in STOPWORDS]


def strip_boilerplate(description: str) -> str:
    """The abstract without speaker lines, biographies, "Abstract" labels and links.

    A biography runs from its marker to the next "Abstract" (archives of meet-ups list several
    talks in one description, each with abstract then bio) or to the end of the text.
    """
    text = (
        _URL.sub(" ", description) if "://" in description or "www." in description else description
    )
    if "peaker" in text:
        text = _SPEAKER_LINE.sub(" ", text)
    lowered = text.lower()
    if "bio" not in lowered and "about the" not in lowered:
        return _ABSTRACT_LABEL.sub(" ", text) if "bstract" in text else text
    parts: list[str] = []
    position = 0
    while True:
        bio = _BIO_START.search(text, position)
        if bio is None:
            parts.append(text[position:])
            break
        parts.append(text[position : bio.start()])
        resume = _NEXT_SECTION.search(text, bio.end())
        if resume is None:
            break
        position = resume.start()
    return _ABSTRACT_LABEL.sub(" ", " ".join(parts))


def token_hash(token: str) -> int:
    """A stable signed 64-bit hash of one token (BLAKE2b; the same in every process)."""
    return int.from_bytes(blake2b(token.encode(), digest_size=8).digest(), "little", signed=True)


_HASHES: dict[str, int] = {}


def hash_tokens(words: list[str]) -> list[int]:
    """``token_hash`` of each word, memoised (a catalogue reuses the same words endlessly)."""
    cache = _HASHES
    out = []
    for word in words:
        h = cache.get(word)
        if h is None:
            if len(cache) > 2_000_000:
                cache.clear()
            h = cache[word] = token_hash(word)
        out.append(h)
    return out


_MIX = np.uint64(0x9E3779B97F4A7C15)


def rolling_shingles(
    word_hashes: np.ndarray, starts: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Shingle hashes of many texts at once, and the position each shingle starts at.

    ``word_hashes`` is every text's word hashes concatenated; ``starts`` the offset of each
    text (with the total length appended). A shingle is ``k`` consecutive words of one text;
    a text shorter than ``k`` words gives one shingle of all its words, so a two-word
    description still has a signature. Returns (hashes int64, start positions).
    """
    n_words = len(word_hashes)
    lengths = np.diff(starts)
    base = word_hashes.view(np.uint64)
    # Where each shingle begins: every position whose k-window stays in its text, plus the
    # first position of each short text.
    text_of = np.repeat(np.arange(len(lengths)), lengths)
    width = np.minimum(lengths, k)[text_of] if n_words else np.empty(0, np.int64)
    position = np.arange(n_words)
    valid = position + width <= starts[1:][text_of] if n_words else np.empty(0, bool)
    short_first = (lengths < k)[text_of] & (position != starts[:-1][text_of]) if n_words else valid
    valid &= ~short_first
    begin = position[valid]
    span = width[valid]
    combined = np.zeros(len(begin), np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(k):
            inside = offset < span
            step = combined * _MIX + base[np.minimum(begin + offset, max(n_words - 1, 0))]
            step ^= step >> np.uint64(29)
            combined = np.where(inside, step, combined)
    return combined.view(np.int64), begin
