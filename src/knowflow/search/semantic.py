"""Semantic retrieval: latent semantic analysis trained on the index's own text.

Lexical search finds the words typed; people often type other words for the same thing
("deploy ml models" for a talk about "serving predictions in production"). ``semantic_train``
learns which words go together from the organisation's own documents: a TF-IDF matrix of every
document (title words count three times, topics twice, body once), reduced by a truncated SVD
(randomised, Halko et al. 2011) to ``DIMENSIONS`` latent dimensions. A document becomes a
unit vector there; a query is folded in (its TF-IDF times the term vectors) and compared by
cosine with every document, one matrix product. The same pass learns the abbreviations the
text defines ("Natural Language Processing (NLP)", see ``discovery.understand``).

Nothing is downloaded and no package beyond numpy and scipy is needed; the model is one row
(``SemanticModel``) written by ``knowflow search_reindex`` / ``knowflow search_train`` and
after ``knowflow import talks``. Until
a model exists (or with ``disabled()``), search is lexical only: nothing else changes.
Documents written after the training are found lexically until the next one.
"""

from __future__ import annotations

import io
import json
import math
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from knowflow.discovery.understand import learn_abbreviations
from knowflow.search.models import SearchDocument, SemanticModel

DIMENSIONS = 128
MAX_FIT = 20_000  # documents the SVD learns from; the others are folded in
MIN_DOCUMENT_FREQUENCY = 2  # a word of one document links it to nothing
MAX_DOCUMENT_SHARE = 0.25  # a word in a quarter of the documents says little about any
MAX_TERMS = 60_000
TITLE_REPEAT = 3
TOPIC_REPEAT = 2
CACHE_SECONDS = 300
RETRAIN_GROWTH = 0.10  # the worker retrains when the index grew by this share


@dataclass
class Model:
    """A trained model, as the engine uses it."""

    trained_at: float
    doc_ids: np.ndarray  # int64, the SearchDocument ids, sorted
    doc_vectors: np.ndarray  # float32 (documents, dimensions), unit rows
    term_index: dict[str, int]
    idf: np.ndarray  # float32 per term
    term_vectors: np.ndarray  # float32 (terms, dimensions)
    abbreviations: dict[str, str]

    def query_vector(self, terms: list[str]) -> np.ndarray | None:
        """The unit vector of a query's analysed terms, or None when the model knows none."""
        counts: dict[int, int] = {}
        for term in terms:
            index = self.term_index.get(term)
            if index is not None:
                counts[index] = counts.get(index, 0) + 1
        if not counts:
            return None
        rows = np.fromiter(counts, dtype=np.int64)
        weights = np.array(
            [(1 + math.log(c)) * self.idf[i] for i, c in counts.items()], dtype=np.float32
        )
        vector = weights @ self.term_vectors[rows]
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm > 0 else None

    def nearest(self, terms: list[str], *, limit: int) -> list[tuple[int, float]]:
        """The ``limit`` documents closest to the query: (document id, cosine), best first."""
        vector = self.query_vector(terms)
        if vector is None:
            return []
        scores = self.doc_vectors @ vector
        limit = min(limit, len(scores))
        if limit <= 0:
            return []
        top = np.argpartition(-scores, limit - 1)[:limit]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(self.doc_ids[i]), float(scores[i])) for i in top if scores[i] > 0]


# --- training ---------------------------------------------------------------------------------


def _randomized_svd(matrix: Any, k: int, *, iterations: int = 2, seed: int = 0) -> tuple:
    """U, S, Vt of the best rank-``k`` approximation of a sparse matrix (Halko, Martinsson and
    Tropp's randomised range finder with power iterations): a fixed seed, so one corpus always
    gives one model."""
    rng = np.random.default_rng(seed)
    n_cols = matrix.shape[1]
    sketch = matrix @ rng.standard_normal((n_cols, k + 10)).astype(np.float32)
    q, _ = np.linalg.qr(sketch)
    for _ in range(iterations):
        q, _ = np.linalg.qr(matrix.T @ q)
        q, _ = np.linalg.qr(matrix @ q)
    small = (matrix.T @ q).T
    u_small, s, vt = np.linalg.svd(small, full_matrices=False)
    return (q @ u_small)[:, :k], s[:k], vt[:k]


def _bags(rows: list[tuple[str, str, str]]) -> list[Counter[str]]:
    bags = []
    for title, topics, body in rows:
        bag = Counter(body.split())
        bag.update(topics.split() * TOPIC_REPEAT)
        bag.update(title.split() * TITLE_REPEAT)
        bags.append(bag)
    return bags


def _tfidf(bags: list[Counter[str]], term_index: dict[str, int], idf: np.ndarray) -> Any:
    """Rows of sublinear TF-IDF, each of unit length (a sparse CSR matrix)."""
    from scipy import sparse

    indptr, indices, counts = [0], [], []
    for bag in bags:
        for term, count in bag.items():
            column = term_index.get(term)
            if column is not None:
                indices.append(column)
                counts.append(count)
        indptr.append(len(indices))
    columns = np.array(indices, dtype=np.int64)
    values = ((1 + np.log(np.array(counts, dtype=np.float32))) * idf[columns]).astype(np.float32)
    matrix = sparse.csr_matrix(
        (values, columns, np.array(indptr)), shape=(len(bags), len(term_index))
    )
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.diags((1 / norms).astype(np.float32)) @ matrix


def train(
    rows: list[tuple[int, str, str, str]],
    *,
    fit: list[bool] | None = None,
    dimensions: int = DIMENSIONS,
) -> Model | None:
    """A model of ``rows`` (document id, title terms, topic terms, body terms), or None when
    there are too few documents to learn anything from.

    ``fit`` marks the rows the SVD learns from (a session's recording repeats its text: it
    is folded in, not learned twice); at most ``MAX_FIT`` of them, a fixed sample beyond.
    Every row gets a vector.
    """
    n_docs = len(rows)
    if n_docs < 50:
        return None
    bags = _bags([row[1:] for row in rows])
    learn = [i for i in range(n_docs) if fit is None or fit[i]]
    if len(learn) > MAX_FIT:
        learn = sorted(np.random.default_rng(0).choice(learn, MAX_FIT, replace=False).tolist())
    document_frequency: Counter[str] = Counter()
    for i in learn:
        document_frequency.update(bags[i].keys())
    ceiling = MAX_DOCUMENT_SHARE * len(learn)
    kept = sorted(
        (t for t, df in document_frequency.items() if MIN_DOCUMENT_FREQUENCY <= df <= ceiling),
        key=lambda t: (-document_frequency[t], t),
    )[:MAX_TERMS]
    kept.sort()
    if len(kept) < 20:
        return None
    term_index = {term: i for i, term in enumerate(kept)}
    idf = np.array(
        [math.log(len(learn) / document_frequency[t]) + 1.0 for t in kept], dtype=np.float32
    )
    learned = _tfidf([bags[i] for i in learn], term_index, idf)
    k = max(2, min(dimensions, min(learned.shape) - 11))
    _, _, vt = _randomized_svd(learned, k)
    term_vectors = vt.T.astype(np.float32)
    doc_vectors = np.asarray(_tfidf(bags, term_index, idf) @ term_vectors, dtype=np.float32)
    lengths = np.linalg.norm(doc_vectors, axis=1, keepdims=True)
    lengths[lengths == 0] = 1.0
    doc_vectors /= lengths
    return Model(
        trained_at=time.time(),
        doc_ids=np.array([row[0] for row in rows], dtype=np.int64),
        doc_vectors=doc_vectors,
        term_index=term_index,
        idf=idf,
        term_vectors=term_vectors,
        abbreviations={},
    )


def _serialise(model: Model) -> bytes:
    buffer = io.BytesIO()
    terms = sorted(model.term_index, key=model.term_index.__getitem__)
    np.savez(
        buffer,
        doc_ids=model.doc_ids,
        doc_vectors=model.doc_vectors,
        idf=model.idf,
        term_vectors=model.term_vectors,
        terms=np.array(json.dumps(terms)),
        abbreviations=np.array(json.dumps(model.abbreviations)),
    )
    return buffer.getvalue()


def _deserialise(data: bytes, trained_at: float) -> Model:
    arrays = np.load(io.BytesIO(data), allow_pickle=False)
    terms = json.loads(str(arrays["terms"]))
    return Model(
        trained_at=trained_at,
        doc_ids=arrays["doc_ids"],
        doc_vectors=arrays["doc_vectors"],
        term_index={term: i for i, term in enumerate(terms)},
        idf=arrays["idf"],
        term_vectors=arrays["term_vectors"],
        abbreviations=json.loads(str(arrays["abbreviations"])),
    )


def semantic_train() -> Model | None:
    """Train the model on every indexed document and store it (replacing the previous one).

    Reads the whole index (seconds on tens of thousands of documents: the worker and the
    commands run it, never a page). Returns the model, or None when the index is too small,
    in which case any previous model is removed and search stays lexical.
    """
    rows: list[tuple[int, str, str, str]] = []
    fit: list[bool] = []
    for doc_id, kind, object_id, group_key, *text in (
        SearchDocument.objects.order_by("id")
        .values_list(
            "id", "kind", "object_id", "group_key", "title_terms", "topic_terms", "body_terms"
        )
        .iterator(chunk_size=5000)
    ):
        rows.append((doc_id, text[0], text[1], text[2]))
        fit.append(group_key == f"{kind}:{object_id}")
    model = train(rows, fit=fit)
    if model is not None:
        model.abbreviations = learn_abbreviations(
            f"{title}. {summary}"
            for title, summary in SearchDocument.objects.values_list("title", "summary").iterator(
                chunk_size=5000
            )
        )
    with transaction.atomic():
        SemanticModel.objects.all().delete()
        if model is not None:
            SemanticModel.objects.create(
                trained_at=timezone.now(),
                documents=len(rows),
                dimensions=model.doc_vectors.shape[1],
                data=_serialise(model),
            )
    invalidate()
    return model


def semantic_remove() -> None:
    """Forget the model: search is lexical only until the next training."""
    SemanticModel.objects.all().delete()
    invalidate()


def needs_training() -> bool:
    """Whether the index grew (or shrank) by ``RETRAIN_GROWTH`` since the last training, or
    there is no model yet and enough documents to train one."""
    current = SemanticModel.objects.only("documents").first()
    documents = SearchDocument.objects.count()
    if current is None:
        return documents >= 50
    return abs(documents - current.documents) > RETRAIN_GROWTH * max(current.documents, 1)


def semantic_refresh() -> bool:
    """The worker's periodic pass: train again when the index changed enough
    (``needs_training``), so that new sessions, resources and captions reach semantic search
    and new abbreviations are learned without anyone running a command. Returns whether it
    trained."""
    if not needs_training():
        return False
    semantic_train()
    return True


# --- the model a process uses ---------------------------------------------------------------

_lock = threading.Lock()
_loaded: dict[str, tuple[float, Model | None]] = {}  # connection → (checked at, model)
_disabled = threading.local()


def invalidate() -> None:
    _loaded.clear()


@contextmanager
def disabled() -> Iterator[None]:
    """Search lexically only inside the block (the benchmark compares both)."""
    _disabled.on = True
    try:
        yield
    finally:
        _disabled.on = False


def current() -> Model | None:
    """The stored model (checked for a newer one every few minutes), or None."""
    if getattr(_disabled, "on", False):
        return None
    key = connection.alias + connection.vendor
    cached = _loaded.get(key)
    now = time.monotonic()
    if cached is not None and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    with _lock:
        stamp = SemanticModel.objects.values_list("id", "trained_at").first()
        if stamp is None:
            model = None
        elif (
            cached is not None
            and cached[1] is not None
            and cached[1].trained_at == stamp[1].timestamp()
        ):
            model = cached[1]
        else:
            data = SemanticModel.objects.values_list("data", flat=True).get(pk=stamp[0])
            model = _deserialise(bytes(data), stamp[1].timestamp())
        _loaded[key] = (now, model)
        return model
