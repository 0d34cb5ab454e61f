"""Duplicated training: score how likely two sessions teach the same thing, and group them.

Pure Python + numpy (no Django). The product calls it with plain ``Doc`` rows built from
sessions; the benchmark calls it with the raw talk corpus.

Method (docs/insights.md has the measurements):

1. **Normalise** each document: fold case and accents, drop speaker lines, biographies and
   links from the description (``textnorm.strip_boilerplate``).
2. **Corpus statistics** (``CorpusStats``): in how many documents each description shingle
   (5 consecutive words) and each word occurs. A shingle found in ``BOILERPLATE_DF`` or more
   documents is boilerplate (an event's blurb, a template sentence) and is ignored, so two
   talks that share only "this talk will be recorded" are not copies.
3. **Eight similarity features** per pair: title word Jaccard, title containment (a short title
   inside a longer one), IDF-weighted title cosine, description shingle Jaccard and
   containment (copied passages), IDF-weighted description word cosine (a rewritten
   description still uses the same rare words), speaker overlap, topic overlap.
4. **Score** = logistic combination of the features with ``WEIGHTS``; a pair at or above
   ``THRESHOLD`` is a duplicate. Weights and threshold were fitted once on the development
   pairs of the shared benchmark (``bench/duplicates_bench.py`` prints the cross-validated
   figures) and are constants here: the product never re-fits on an organisation's data.
5. **Candidates** for a whole catalogue (``detect``) come from two exact joins, never from
   comparing all pairs: documents sharing an informative description shingle that covers
   ``BODY_CONTAINMENT_FLOOR`` of the smaller one, and titles with word Jaccard >=
   ``TITLE_JACCARD_FLOOR`` (found with a prefix filter).
6. **Clusters**: union-find over the pairs at or above the threshold.

Everything is computed on whole arrays (documents as CSR "bags" of hashed items), so a
catalogue of 50,000 sessions is scored in seconds, and pair mode and catalogue mode share one
code path and give identical scores.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np

from knowflow.discovery.textnorm import (
    content_tokens,
    hash_tokens,
    rolling_shingles,
    strip_boilerplate,
    tokens,
)

SHINGLE_WORDS = 5
BOILERPLATE_DF = 10
FEATURES = (
    "title_jaccard",
    "title_containment",
    "title_cosine",
    "body_jaccard",
    "body_containment",
    "body_cosine",
    "speaker_overlap",
    "topic_overlap",
)
# Logistic regression fitted on the development pairs (bench/duplicates_bench.py --fit).
WEIGHTS = np.array([4.36, 1.45, 2.84, 2.89, 4.22, 2.34, 1.41, 0.35])
INTERCEPT = -8.07
THRESHOLD = 0.5
# Candidate generation bounds (see ``candidate_pairs``).
TITLE_JACCARD_FLOOR = 0.5
BODY_CONTAINMENT_FLOOR = 0.1
_EMPTY = np.empty(0, np.int64)


# A document's key, opaque to the detector; what the caller gives is what it gets back.
K = TypeVar("K", bound=Hashable)
K_co = TypeVar("K_co", bound=Hashable, covariant=True)  # a Doc only holds its key


@dataclass(frozen=True)
class Doc(Generic[K_co]):
    """One session, talk or library resource as the detector sees it (``key`` is opaque: the
    product uses ``(kind, id)`` so that a session and a resource never share a key)."""

    key: K_co
    title: str
    description: str = ""
    speakers: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()


@dataclass
class Text:
    """A document's words after normalisation (kept to quote passages in explanations)."""

    title_words: list[str]
    body_words: list[str]
    speakers: list[str]
    topics: list[str]


def analyse(doc: Doc) -> Text:
    def names(values: Iterable[str]) -> list[str]:
        return sorted({" ".join(tokens(v)) for v in values} - {""})

    return Text(
        title_words=content_tokens(doc.title),
        body_words=tokens(strip_boilerplate(doc.description or "")),
        speakers=names(doc.speakers),
        topics=names(doc.topics),
    )


@dataclass
class Bags:
    """For each document, the distinct hashed items it holds and how often (CSR, doc-major,
    hashes ascending within a document)."""

    indptr: np.ndarray
    hashes: np.ndarray
    counts: np.ndarray

    @classmethod
    def build(cls, owners: np.ndarray, hashes: np.ndarray, n: int) -> Bags:
        order = np.lexsort((hashes, owners))
        owners, hashes = owners[order], hashes[order]
        first = np.ones(len(hashes), bool)
        first[1:] = (owners[1:] != owners[:-1]) | (hashes[1:] != hashes[:-1])
        starts = np.flatnonzero(first)
        counts = np.diff(np.append(starts, len(hashes)))
        owners, hashes = owners[starts], hashes[starts]
        return cls(np.searchsorted(owners, np.arange(n + 1)), hashes, counts)

    @classmethod
    def from_lists(cls, lists: Sequence[Sequence[int]]) -> Bags:
        lengths = np.fromiter((len(x) for x in lists), np.int64, len(lists))
        flat = np.fromiter((h for x in lists for h in x), np.int64, int(lengths.sum()))
        return cls.build(np.repeat(np.arange(len(lists)), lengths), flat, len(lists))

    @property
    def sizes(self) -> np.ndarray:
        return np.diff(self.indptr)

    @property
    def owners(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.indptr) - 1), self.sizes)

    def keep(self, mask: np.ndarray) -> Bags:
        """The same bags with only the rows where ``mask`` holds."""
        kept = np.concatenate([[0], np.cumsum(mask)])
        return Bags(kept[self.indptr], self.hashes[mask], self.counts[mask])

    def of(self, i: int) -> np.ndarray:
        return self.hashes[self.indptr[i] : self.indptr[i + 1]]


@dataclass
class CorpusStats:
    """Document frequencies over a catalogue: what is boilerplate, which words are rare.

    Stored as sorted hash arrays so that a snapshot can be saved (``to_arrays``) and reloaded
    in another process for the incremental check of a new session.
    """

    n_docs: int
    boilerplate: np.ndarray  # sorted shingle hashes with df >= BOILERPLATE_DF
    title_terms: np.ndarray
    title_df: np.ndarray
    body_terms: np.ndarray
    body_df: np.ndarray

    @classmethod
    def build(cls, *, shingles: Bags, titles: Bags, words: Bags) -> CorpusStats:
        hashes, df = np.unique(shingles.hashes, return_counts=True)
        title_terms, title_df = np.unique(titles.hashes, return_counts=True)
        body_terms, body_df = np.unique(words.hashes, return_counts=True)
        return cls(
            n_docs=len(titles.indptr) - 1,
            boilerplate=hashes[df >= BOILERPLATE_DF],
            title_terms=title_terms,
            title_df=title_df,
            body_terms=body_terms,
            body_df=body_df,
        )

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {
            "n_docs": np.array([self.n_docs], np.int64),
            "boilerplate": self.boilerplate,
            "title_terms": self.title_terms,
            "title_df": self.title_df,
            "body_terms": self.body_terms,
            "body_df": self.body_df,
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> CorpusStats:
        return cls(
            n_docs=int(arrays["n_docs"][0]),
            boilerplate=np.asarray(arrays["boilerplate"]),
            title_terms=np.asarray(arrays["title_terms"]),
            title_df=np.asarray(arrays["title_df"]),
            body_terms=np.asarray(arrays["body_terms"]),
            body_df=np.asarray(arrays["body_df"]),
        )

    def idf(self, terms: np.ndarray, *, title: bool) -> np.ndarray:
        """Smoothed inverse document frequency; a word the corpus never saw counts as rare."""
        known, df = (self.title_terms, self.title_df) if title else (self.body_terms, self.body_df)
        df_of = np.zeros(len(terms), np.int64)
        if len(known) and len(terms):
            at = np.minimum(np.searchsorted(known, terms), len(known) - 1)
            hit = known[at] == terms
            df_of[hit] = df[at[hit]]
        return np.log((self.n_docs + 1) / (df_of + 1))


def _unit_weights(bags: Bags, raw: np.ndarray) -> np.ndarray:
    """Scale each document's weights to length 1 (cosine = dot product of shared items)."""
    sq = np.bincount(bags.owners, raw * raw, minlength=len(bags.indptr) - 1)
    norm = np.sqrt(sq)[bags.owners]
    return np.divide(raw, norm, out=np.zeros_like(raw), where=norm > 0)


_CHUNK_ROWS = 4_000_000


def _shared(
    bags: Bags, a: np.ndarray, b: np.ndarray, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """For each pair (a[p], b[p]): how many items both hold, and the sum over those items of
    weight in a × weight in b (the cosine when weights are unit-normalised)."""
    n_pairs = len(a)
    shared = np.zeros(n_pairs, np.int64)
    dot = np.zeros(n_pairs)
    if not n_pairs or not len(bags.hashes):
        return shared, dot
    # Dense item ids make (document, item) one sortable int64 code: doc-major, and ascending
    # within a document because the hashes are.
    dense_items, dense = np.unique(bags.hashes, return_inverse=True)
    width = len(dense_items)
    codes = bags.owners * width + dense
    sizes = bags.sizes
    rows_before = np.concatenate([[0], np.cumsum(sizes[a])])
    # Expand a's items pair by pair, a few million rows at a time to bound memory.
    cuts = np.searchsorted(rows_before, np.arange(0, rows_before[-1], _CHUNK_ROWS), side="right")
    edges = sorted({0, n_pairs, *(int(c) - 1 for c in cuts if 0 < c - 1 < n_pairs)})
    for begin, end in zip(edges[:-1], edges[1:], strict=True):
        pa = a[begin:end]
        lengths = sizes[pa]
        total = int(lengths.sum())
        if not total:
            continue
        pair = np.repeat(np.arange(end - begin), lengths)
        offsets = np.cumsum(lengths) - lengths
        rows = np.repeat(bags.indptr[pa], lengths) + (
            np.arange(total) - np.repeat(offsets, lengths)
        )
        wanted = b[begin:end][pair] * width + dense[rows]
        at = np.minimum(np.searchsorted(codes, wanted), len(codes) - 1)
        hit = codes[at] == wanted
        shared[begin:end] = np.bincount(pair[hit], minlength=end - begin)
        if weights is not None:
            dot[begin:end] = np.bincount(
                pair[hit], weights[rows[hit]] * weights[at[hit]], minlength=end - begin
            )
    return shared, dot


def _ratios(
    shared: np.ndarray, size_a: np.ndarray, size_b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(Jaccard, containment in the smaller) from shared counts and set sizes; 0 when empty."""
    union = size_a + size_b - shared
    smaller = np.minimum(size_a, size_b)
    jaccard = np.divide(shared, union, out=np.zeros(len(shared)), where=union > 0)
    containment = np.divide(shared, smaller, out=np.zeros(len(shared)), where=smaller > 0)
    return jaccard, containment


def scores_of(features: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(features @ WEIGHTS + INTERCEPT)))


@dataclass(frozen=True)
class PairScore:
    score: float
    duplicate: bool
    features: dict[str, float]


class Scorer(Generic[K]):
    """A catalogue of documents, analysed once, with its corpus statistics.

    ``Scorer(docs)`` computes the statistics over ``docs`` themselves; pass ``stats`` (from a
    snapshot of the whole catalogue) to score a few documents the way the whole catalogue
    would — that is how one new session is checked in milliseconds.
    """

    def __init__(self, docs: Iterable[Doc[K]], *, stats: CorpusStats | None = None) -> None:
        docs = list(docs)
        self.keys: list[K] = [d.key for d in docs]
        self.index: dict[K, int] = {k: i for i, k in enumerate(self.keys)}
        self.texts: list[Text] = [analyse(d) for d in docs]
        n = len(docs)
        body_lists = [hash_tokens(t.body_words) for t in self.texts]
        lengths = np.fromiter((len(x) for x in body_lists), np.int64, n)
        body_flat = np.fromiter((h for x in body_lists for h in x), np.int64, int(lengths.sum()))
        starts = np.concatenate([[0], np.cumsum(lengths)])
        shingle_hashes, shingle_begin = rolling_shingles(body_flat, starts, SHINGLE_WORDS)
        shingle_owner = np.searchsorted(starts, shingle_begin, side="right") - 1
        all_shingles = Bags.build(shingle_owner, shingle_hashes, n)
        self.words = Bags.build(np.repeat(np.arange(n), lengths), body_flat, n)
        self.titles = Bags.from_lists([hash_tokens(t.title_words) for t in self.texts])
        self.speakers = Bags.from_lists([hash_tokens(t.speakers) for t in self.texts])
        self.topics = Bags.from_lists([hash_tokens(t.topics) for t in self.texts])
        self.stats = stats or CorpusStats.build(
            shingles=all_shingles, titles=self.titles, words=self.words
        )
        informative = ~np.isin(all_shingles.hashes, self.stats.boilerplate)
        self.shingles = all_shingles.keep(informative)
        self.title_weights = _unit_weights(
            self.titles, self.stats.idf(self.titles.hashes, title=True)
        )
        self.word_weights = _unit_weights(
            self.words, self.words.counts * self.stats.idf(self.words.hashes, title=False)
        )

    def __len__(self) -> int:
        return len(self.keys)

    def __contains__(self, key: object) -> bool:
        return key in self.index

    def features(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The feature matrix (pairs × ``FEATURES``) for index pairs (a[p], b[p])."""
        columns = []
        for bags, weights in (
            (self.titles, self.title_weights),
            (self.shingles, None),
            (self.words, self.word_weights),
        ):
            shared, dot = _shared(bags, a, b, weights)
            if bags is self.words:
                columns.append(dot)
                continue
            sizes = bags.sizes
            jaccard, containment = _ratios(shared, sizes[a], sizes[b])
            columns += [jaccard, containment]
            if weights is not None:
                columns.append(dot)
        for bags in (self.speakers, self.topics):
            shared, _ = _shared(bags, a, b)
            columns.append(_ratios(shared, bags.sizes[a], bags.sizes[b])[0])
        return np.stack(columns, axis=1) if len(a) else np.empty((0, len(FEATURES)))

    def score_pairs(self, pairs: Sequence[tuple[K, K]]) -> list[PairScore]:
        """Score pairs of keys (``KeyError`` names an unknown key)."""
        a = np.array([self.index[x] for x, _ in pairs], np.int64)
        b = np.array([self.index[y] for _, y in pairs], np.int64)
        matrix = self.features(a, b)
        scores = scores_of(matrix)
        return [
            PairScore(
                score=float(s),
                duplicate=bool(s >= THRESHOLD),
                features=dict(zip(FEATURES, map(float, row), strict=True)),
            )
            for s, row in zip(scores, matrix, strict=True)
        ]

    def score(self, a: K, b: K) -> PairScore:
        return self.score_pairs([(a, b)])[0]

    def explain(self, a: K, b: K, *, limit: int = 3) -> Explanation:
        return explain(self, self.index[a], self.index[b], limit=limit)


# --- candidates for a whole catalogue ---------------------------------------------------------


def _pairs_sharing(items: np.ndarray, owners: np.ndarray, max_group: int) -> np.ndarray:
    """Index pairs (i < j, one row per shared item) of owners that share an item.

    Items held by more than ``max_group`` owners are skipped: they are not rare enough to say
    anything, and would make the join quadratic.
    """
    order = np.lexsort((owners, items))
    items, owners = items[order], owners[order]
    _, counts = np.unique(items, return_counts=True)
    keep = np.repeat((counts >= 2) & (counts <= max_group), counts)
    items, owners = items[keep], owners[keep]
    found: list[np.ndarray] = []
    for offset in range(1, max_group):
        if offset >= len(items):
            break
        same = items[:-offset] == items[offset:]
        if not same.any():
            break
        x, y = owners[:-offset][same], owners[offset:][same]
        differ = x != y
        found.append(np.stack([np.minimum(x, y)[differ], np.maximum(x, y)[differ]], axis=1))
    return np.concatenate(found) if found else np.empty((0, 2), np.int64)


def candidate_pairs(scorer: Scorer) -> np.ndarray:
    """Index pairs (i < j) worth scoring: shared description passages or similar titles.

    - Description: pairs sharing informative shingles that cover at least
      ``BODY_CONTAINMENT_FLOOR`` of the smaller document.
    - Title: prefix filtering for word Jaccard >= ``TITLE_JACCARD_FLOOR`` — order each title's
      words rarest first; two titles that similar must share one of the first
      ``len - ceil(floor × len) + 1`` words, so only those are joined; the exact Jaccard of
      the pairs found is then checked.
    """
    n = len(scorer)
    bags = scorer.shingles
    body = _pairs_sharing(bags.hashes, bags.owners, BOILERPLATE_DF - 1)
    body_codes = _EMPTY
    if len(body):
        codes, shared = np.unique(body[:, 0] * n + body[:, 1], return_counts=True)
        sizes = bags.sizes
        smaller = np.maximum(np.minimum(sizes[codes // n], sizes[codes % n]), 1)
        body_codes = codes[shared / smaller >= BODY_CONTAINMENT_FLOOR]

    titles = scorer.titles
    sizes = titles.sizes
    owners = titles.owners
    rarity = -scorer.stats.idf(titles.hashes, title=True)
    order = np.lexsort((titles.hashes, rarity, owners))  # per doc: rarest first
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order)) - titles.indptr[owners[order]]
    prefix = sizes - np.ceil(TITLE_JACCARD_FLOOR * sizes).astype(np.int64) + 1
    in_prefix = rank < prefix[owners]
    title = _pairs_sharing(titles.hashes[in_prefix], owners[in_prefix], 200)
    title_codes = _EMPTY
    if len(title):
        codes = np.unique(title[:, 0] * n + title[:, 1])
        shared, _ = _shared(titles, codes // n, codes % n)
        jaccard, _ = _ratios(shared, sizes[codes // n], sizes[codes % n])
        title_codes = codes[jaccard >= TITLE_JACCARD_FLOOR]
    codes = np.union1d(body_codes, title_codes)
    return np.stack([codes // n, codes % n], axis=1) if len(codes) else np.empty((0, 2), np.int64)


@dataclass(frozen=True)
class Match(Generic[K]):
    a: K
    b: K
    score: float


def detect(scorer: Scorer[K]) -> list[Match[K]]:
    """Every pair of documents at or above the threshold (``a`` before ``b`` in the corpus)."""
    pairs = candidate_pairs(scorer)
    if not len(pairs):
        return []
    scores = scores_of(scorer.features(pairs[:, 0], pairs[:, 1]))
    keep = scores >= THRESHOLD
    keys = scorer.keys
    return [
        Match(a=keys[i], b=keys[j], score=float(s))
        for (i, j), s in zip(pairs[keep].tolist(), scores[keep].tolist(), strict=True)
    ]


def clusters(keys: Iterable[K], matches: Iterable[Match[K]]) -> list[list[K]]:
    """Groups of keys connected by matches (union-find), largest first, singletons left out.

    Members keep the order of ``keys``; groups of equal size keep the order of their first
    member, so the result is deterministic.
    """
    position = {key: i for i, key in enumerate(keys)}
    parent = list(range(len(position)))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for m in matches:
        ra, rb = root(position[m.a]), root(position[m.b])
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[K]] = {}
    for key, i in position.items():
        groups.setdefault(root(i), []).append(key)
    result = [g for g in groups.values() if len(g) > 1]
    result.sort(key=lambda g: (-len(g), position[g[0]]))
    return result


# --- explanations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Explanation:
    passages: list[str]  # shared runs of words (outside boilerplate), longest first
    title_words: list[str]
    topics: list[str]
    speakers: list[str]

    def to_dict(self) -> dict[str, list[str]]:
        return {
            "passages": self.passages,
            "title_words": self.title_words,
            "topics": self.topics,
            "speakers": self.speakers,
        }


def explain(scorer: Scorer, i: int, j: int, *, limit: int = 3) -> Explanation:
    """Why documents ``i`` and ``j`` look alike: the passages they share, the title words,
    topics and speakers they have in common."""
    ta, tb = scorer.texts[i], scorer.texts[j]
    shared = set(np.intersect1d(scorer.shingles.of(i), scorer.shingles.of(j)).tolist())
    passages: list[str] = []
    if shared and ta.body_words:
        words = np.array(hash_tokens(ta.body_words), np.int64)
        hashes, begins = rolling_shingles(words, np.array([0, len(words)]), SHINGLE_WORDS)
        width = min(SHINGLE_WORDS, len(words))
        runs: list[tuple[int, int]] = []
        for h, pos in zip(hashes.tolist(), begins.tolist(), strict=True):
            if h not in shared:
                continue
            if runs and pos <= runs[-1][1]:
                runs[-1] = (runs[-1][0], pos + width)
            else:
                runs.append((pos, pos + width))
        runs.sort(key=lambda r: (r[0] - r[1], r[0]))
        passages = [" ".join(ta.body_words[s:e]) for s, e in runs[:limit]]
    title_b = set(tb.title_words)
    return Explanation(
        passages=passages,
        title_words=list(dict.fromkeys(w for w in ta.title_words if w in title_b)),
        topics=sorted(set(ta.topics) & set(tb.topics)),
        speakers=sorted(set(ta.speakers) & set(tb.speakers)),
    )
