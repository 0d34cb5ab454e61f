"""Duplicate-talk detection on the shared corpus: quality against two baselines, and speed.

    python bench/duplicates_bench.py [--shared ../shared] [--fit] [--scale 50000]

Quality: every pair of ``data/bench-dev/dup_pairs.jsonl`` is scored by the shipped detector
(``knowflow.discovery.duplicates``) over the whole corpus ``data/talks.jsonl.gz``; precision,
recall and F1 at the shipped threshold, and average precision, for all pairs and for the
*combined hard subset* = the positives of kind ``pos_hard`` and ``pos_near_title`` (different
titles, rewritten descriptions) together with every negative. Two baselines are computed in
the same run: TF-IDF cosine over title + description, and title word overlap (Jaccard); each
is given the threshold that maximises its F1 on all these pairs (an oracle choice that favours
them), and that one threshold is used for the hard subset too, as ours is.

The detector's weights and threshold were fitted on these development pairs; to say how it
does on pairs it has not seen, ``5-fold CV`` refits the logistic combination on four fifths
and scores the fifth. ``--fit`` prints the weights fitted on all pairs (how the shipped
constants were obtained).

Speed: ``--scale N`` times detection over N documents (the corpus plus rewritten copies).
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import re
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from knowflow.discovery import duplicates as D  # noqa: E402

HARD_POSITIVES = {"pos_hard", "pos_near_title"}


def load_corpus(shared: Path) -> list[dict]:
    with gzip.open(shared / "data" / "talks.jsonl.gz", "rt") as handle:
        return [json.loads(line) for line in handle]


def as_doc(talk: dict) -> D.Doc:
    return D.Doc(
        key=talk["id"],
        title=talk["title"] or "",
        description=talk.get("description") or "",
        speakers=tuple(talk.get("speakers") or ()),
        topics=tuple(talk.get("tags") or ()),
    )


# --- metrics ----------------------------------------------------------------------------------


def prf(scores: np.ndarray, labels: np.ndarray, threshold: float) -> tuple[float, float, float]:
    decided = scores >= threshold
    tp = int((decided & (labels == 1)).sum())
    fp = int((decided & (labels == 0)).sum())
    fn = int((~decided & (labels == 1)).sum())
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def average_precision(scores: np.ndarray, labels: np.ndarray) -> float:
    order = np.argsort(-scores, kind="stable")
    hits = labels[order]
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float((precision * hits).sum() / max(hits.sum(), 1))


def best_threshold(scores: np.ndarray, labels: np.ndarray) -> float:
    candidates = np.unique(scores)
    return float(max(candidates, key=lambda t: prf(scores, labels, t)[2]))


# --- baselines --------------------------------------------------------------------------------

_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def tfidf_baseline(talks: list[dict], pairs: list[dict]) -> np.ndarray:
    """Cosine of TF-IDF vectors (title + description words) with IDF from the whole corpus."""
    bags = {t["id"]: Counter(words(f"{t['title']} {t.get('description') or ''}")) for t in talks}
    df: Counter[str] = Counter()
    for bag in bags.values():
        df.update(bag.keys())
    n = len(bags)

    def vector(key: str) -> dict[str, float]:
        v = {w: c * math.log((n + 1) / (df[w] + 1)) for w, c in bags[key].items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        return {w: x / norm for w, x in v.items()}

    out = []
    for p in pairs:
        va, vb = vector(p["a"]), vector(p["b"])
        out.append(sum(x * vb[w] for w, x in va.items() if w in vb))
    return np.array(out)


def title_jaccard_baseline(talks: list[dict], pairs: list[dict]) -> np.ndarray:
    titles = {t["id"]: set(words(t["title"] or "")) for t in talks}
    out = []
    for p in pairs:
        a, b = titles[p["a"]], titles[p["b"]]
        out.append(len(a & b) / len(a | b) if a | b else 0.0)
    return np.array(out)


# --- the detector's logistic combination, refitted for cross-validation ------------------------


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0) -> np.ndarray:
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    penalty = np.r_[np.ones(x.shape[1]), 0.0]
    for _ in range(50):
        p = 1 / (1 + np.exp(-xb @ w))
        gradient = xb.T @ (p - y) + l2 * penalty * w
        hessian = (xb * (p * (1 - p))[:, None]).T @ xb + l2 * np.diag(penalty)
        w -= np.linalg.solve(hessian, gradient)
    return w


def cross_validated(x: np.ndarray, y: np.ndarray, folds: int = 5) -> np.ndarray:
    fold = np.random.default_rng(0).integers(0, folds, len(y))
    out = np.zeros(len(y))
    for f in range(folds):
        w = fit_logistic(x[fold != f], y[fold != f])
        xb = np.hstack([x[fold == f], np.ones(((fold == f).sum(), 1))])
        out[fold == f] = 1 / (1 + np.exp(-xb @ w))
    return out


# --- scale ------------------------------------------------------------------------------------


def scaled_corpus(talks: list[dict], size: int) -> list[D.Doc]:
    """The corpus plus rewritten copies (sentences rotated, title shortened) up to ``size``."""
    docs = [as_doc(t) for t in talks]
    rng = np.random.default_rng(7)
    copy = 0
    while len(docs) < size:
        t = talks[int(rng.integers(len(talks)))]
        sentences = re.split(r"(?<=[.!?])\s+", t.get("description") or "")
        shift = int(rng.integers(len(sentences))) if sentences else 0
        title_words = (t["title"] or "").split()
        docs.append(
            D.Doc(
                key=f"copy-{copy}",
                title=" ".join(title_words[: max(2, len(title_words) - 1)]),
                description=" ".join(sentences[shift:] + sentences[:shift]),
                speakers=tuple(t.get("speakers") or ()),
                topics=tuple(t.get("tags") or ()),
            )
        )
        copy += 1
    return docs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared"
    )
    parser.add_argument("--fit", action="store_true", help="print the weights fitted on all pairs")
    parser.add_argument(
        "--scale", type=int, default=50_000, help="documents for the timing run (0: skip)"
    )
    args = parser.parse_args()

    talks = load_corpus(args.shared)
    pairs = [
        json.loads(line)
        for line in (args.shared / "data/bench-dev/dup_pairs.jsonl").read_text().splitlines()
    ]
    labels = np.array([p["label"] for p in pairs])
    hard = np.array([p["kind"] in HARD_POSITIVES or p["label"] == 0 for p in pairs])

    started = time.perf_counter()
    scorer = D.Scorer(as_doc(t) for t in talks)
    results = scorer.score_pairs([(p["a"], p["b"]) for p in pairs])
    scoring_seconds = time.perf_counter() - started
    ours = np.array([r.score for r in results])
    features = np.array([list(r.features.values()) for r in results])
    if args.fit:
        w = fit_logistic(features, labels)
        print("weights:", dict(zip(D.FEATURES, np.round(w[:-1], 2).tolist(), strict=True)))
        print("intercept:", round(float(w[-1]), 2))
    cv = cross_validated(features, labels)
    tfidf = tfidf_baseline(talks, pairs)
    title = title_jaccard_baseline(talks, pairs)

    rows = [
        ("Knowflow detector (shipped weights)", ours, D.THRESHOLD),
        ("Knowflow detector, 5-fold CV refit", cv, D.THRESHOLD),
        ("TF-IDF cosine, title + description", tfidf, None),
        ("title word overlap (Jaccard)", title, None),
    ]
    print(
        f"{len(pairs)} pairs ({int(labels.sum())} duplicates); hard subset: {int(hard.sum())} pairs "
        f"({int(labels[hard].sum())} duplicates). Scoring {len(talks)} talks + pairs: {scoring_seconds:.1f} s."
    )
    print()
    print(
        "| method | threshold | all P | all R | all F1 | all AP | hard P | hard R | hard F1 | hard AP |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, scores, threshold in rows:
        t_all = threshold if threshold is not None else best_threshold(scores, labels)
        t_hard = t_all
        pa, ra, fa = prf(scores, labels, t_all)
        ph, rh, fh = prf(scores[hard], labels[hard], t_hard)
        shown = f"{t_all:.2f}" if threshold is not None else f"{t_all:.2f} (best on all pairs)"
        print(
            f"| {name} | {shown} | {pa:.3f} | {ra:.3f} | {fa:.3f} | {average_precision(scores, labels):.3f} "
            f"| {ph:.3f} | {rh:.3f} | {fh:.3f} | {average_precision(scores[hard], labels[hard]):.3f} |"
        )

    print()
    for name, scores, _threshold in rows[2:]:
        t_hard = best_threshold(scores[hard], labels[hard])
        print(
            f"{name}, given its own best threshold on the hard subset ({t_hard:.2f}): "
            f"hard F1 {prf(scores[hard], labels[hard], t_hard)[2]:.3f}."
        )

    matches = D.detect(scorer)
    found = {(m.a, m.b) for m in matches} | {(m.b, m.a) for m in matches}
    positives = [p for p in pairs if p["label"] == 1]
    caught = sum((p["a"], p["b"]) in found for p in positives)
    print()
    print(
        f"Whole-corpus detection (candidates + scoring): {len(matches)} duplicate pairs in "
        f"{len(D.clusters(scorer.keys, matches))} clusters; it finds {caught}/{len(positives)} "
        f"dev positives (pair mode decides {int(sum(r.duplicate for r, p in zip(results, pairs, strict=True) if p['label']))})."
    )

    if args.scale:
        docs = scaled_corpus(talks, args.scale)
        started = time.perf_counter()
        big = D.Scorer(docs)
        prepared = time.perf_counter()
        big_matches = D.detect(big)
        done = time.perf_counter()
        print(
            f"Scale: {len(docs)} documents — analysis {prepared - started:.1f} s, candidates + "
            f"scoring {done - prepared:.1f} s, total {done - started:.1f} s ({len(big_matches)} pairs)."
        )
        new = docs[123]
        stats = big.stats
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            small = D.Scorer(
                [
                    D.Doc(
                        key="new",
                        title=new.title,
                        description=new.description,
                        speakers=new.speakers,
                    ),
                    *docs[:20],
                ],
                stats=stats,
            )
            small.score_pairs([("new", d.key) for d in docs[:20]])
            timings.append(time.perf_counter() - started)
        print(
            f"Scoring one new document against 20 candidates with a stats snapshot: median {sorted(timings)[2] * 1000:.1f} ms."
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
