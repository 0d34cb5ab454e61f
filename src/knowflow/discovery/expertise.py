"""PURE: who knows what, from evidence — ranked people, each with the reasons in words.

Evidence comes in as plain items (a session someone gave, a resource they wrote, a circle
they champion, a colleague's confirmation, a skill they declared, a request they answered);
people come out ranked, each claim explained ("taught 3 sessions on Kubernetes, last in
March 2026; 2 colleagues confirmed").

How evidence is weighed (chosen on principle, never fitted to a benchmark's topics):

- **What was done outranks what was said.** Teaching a session is the strongest evidence (a
  colleague prepared, stood up and answered questions); writing a resource is half of that;
  answering a colleague's request is as strong as a resource; a colleague's confirmation is
  a third of a session; champions a third too, members a tenth; a skill one declares oneself
  is the weakest (a sixth of a session): so a single session outranks any number of
  self-declared skills a person could tick, and two sessions outrank a declared skill plus
  two confirmations.
- **Older evidence counts less**: its weight falls from 1 towards ½ (``DECAY_FLOOR``: what
  someone once taught well erodes, it does not vanish), halfway there every three years
  (``HALF_LIFE_DAYS``): a session given three years ago counts ¾, six years ago ⅝. Evidence of a state
  (a declared skill, a circle role) holds today and does not decay; a confirmation decays
  from the day it was given.
- **How a session was received** scales it between ×0.5 and ×1.5, from the after-session
  standards' aggregate only where the anonymity rules already show it (the caller passes
  nothing otherwise): +½ × the share rating it superior − ½ × the share rating it
  unacceptable.
- **How well it matches the question** (``relevance`` in 0..1) multiplies each item: the share
  of the question its topics (or its title) name, each word weighed by its rarity
  (``term_weights``, BM25's IDF: "python" in "static type checking in python" weighs little),
  so a session filed under the topic asked for counts whole; one that only matches by its
  text counts by its text score relative to the best text match, at most half.
- **Confirmations and declarations saturate**: at most ``CONFIRMATIONS_COUNTED`` colleagues'
  confirmations count on one question, so a popularity drive cannot outrank teaching.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

SESSION = "session"
RESOURCE = "resource"
REQUEST = "request"
CHAMPION = "champion"
FACILITATOR = "facilitator"
MEMBER = "member"
CONFIRMATION = "confirmation"
DECLARED = "declared"

WEIGHTS: dict[str, float] = {
    SESSION: 3.0,
    RESOURCE: 1.5,
    REQUEST: 1.5,
    CONFIRMATION: 1.0,
    CHAMPION: 1.0,
    FACILITATOR: 0.7,
    MEMBER: 0.3,
    DECLARED: 0.5,
}
# The order claims are told in: the strongest kind first.
KINDS = (SESSION, RESOURCE, REQUEST, CHAMPION, FACILITATOR, MEMBER, CONFIRMATION, DECLARED)
HALF_LIFE_DAYS = 3 * 365
# What teaching proved erodes but does not vanish: evidence never counts less than this share.
DECAY_FLOOR = 0.5
CONFIRMATIONS_COUNTED = 5
RECEPTION_SPAN = 0.5


@dataclass(frozen=True)
class Evidence:
    """One thing that says ``person_id`` knows about what was asked.

    ``item`` identifies the thing (a session id, a circle id, a confirmer's id) so the same
    thing reached twice (by its topic and by its text) counts once, at its best relevance.
    ``superior_share`` / ``unacceptable_share`` are the after-session standards' shares of a
    session, given only when the anonymity rules show them (``responses`` answered).
    """

    person_id: int
    kind: str
    item: str
    relevance: float = 1.0
    when: date | None = None
    about: str = ""  # what it is about in words: the topic's name, else the query
    superior_share: float | None = None
    unacceptable_share: float | None = None
    responses: int = 0


@dataclass
class RankedPerson:
    person_id: int
    score: float
    claims: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def term_weights(
    terms: Iterable[str], *, frequency: dict[str, int], documents: int
) -> dict[str, float]:
    """Each term of a question weighed by how rare it is in the index (BM25's IDF): in a
    Python community "python" says little, "scraping" says much."""
    n = max(documents, 1)
    return {
        t: math.log(
            1 + (n - min(frequency.get(t, 0), n) + 0.5) / (min(frequency.get(t, 0), n) + 0.5)
        )
        for t in terms
    }


def coverage(covered: Iterable[str], weights: dict[str, float]) -> float:
    """The share of the question (by term weight) that ``covered`` terms account for."""
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    return sum(weights.get(t, 0.0) for t in set(covered)) / total


@lru_cache(maxsize=8192)  # a few thousand distinct dates per question, asked again and again
def decay(when: date | None, *, today: date) -> float:
    """The weight of evidence dated ``when``: 1 today (or undated), falling towards
    ``DECAY_FLOOR``, halfway there after ``HALF_LIFE_DAYS`` (¾ at three years, ⅝ at six)."""
    if when is None:
        return 1.0
    age = max(0, (today - when).days)
    return DECAY_FLOOR + (1 - DECAY_FLOOR) * float(0.5 ** (age / HALF_LIFE_DAYS))


def reception(item: Evidence) -> float:
    """×0.5 to ×1.5 by how the session was received; ×1 when nothing may be shown."""
    if item.superior_share is None or item.unacceptable_share is None:
        return 1.0
    return 1.0 + RECEPTION_SPAN * (item.superior_share - item.unacceptable_share)


def contribution(item: Evidence, *, today: date) -> float:
    relevance = min(1.0, max(0.0, item.relevance))
    return WEIGHTS[item.kind] * relevance * decay(item.when, today=today) * reception(item)


def _month(when: date) -> str:
    return when.strftime("%B %Y")


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _about(items: list[Evidence]) -> str:
    """What the items are about: topic names first, then the quoted question; the question
    only once when it is a topic's name too ("django" and “django”)."""
    kept: dict[str, str] = {}
    for about in sorted({i.about for i in items if i.about}, key=lambda a: (a.startswith("“"), a)):
        kept.setdefault(about.strip("“”").casefold(), about)
    names = list(kept.values())
    return f" on {', '.join(names[:3])}" if names else ""


def explain(kind: str, items: list[Evidence]) -> str:
    """One claim in words for the items of one kind."""
    n = len(items)
    about = _about(items)
    dated = [i.when for i in items if i.when]
    last = f", last in {_month(max(dated))}" if dated else ""
    if kind == SESSION:
        text = f"taught {_plural(n, 'session', 'sessions')}{about}{last}"
        rated = [i for i in items if i.superior_share is not None]
        if rated:
            answers = sum(i.responses for i in rated)
            superior = sum((i.superior_share or 0) * i.responses for i in rated) / max(answers, 1)
            text += f" ({round(superior * 100)}% of {answers} respondents rated it superior)"
        return text
    if kind == RESOURCE:
        return f"wrote {_plural(n, 'resource', 'resources')}{about}{last}"
    if kind == REQUEST:
        return f"answered {_plural(n, 'request', 'requests')}{about}{last}"
    if kind == CHAMPION:
        return f"champions {_plural(n, 'circle', 'circles')}{about}"
    if kind == FACILITATOR:
        return f"facilitates {_plural(n, 'circle', 'circles')}{about}"
    if kind == MEMBER:
        return f"member of {_plural(n, 'circle', 'circles')}{about}"
    if kind == CONFIRMATION:
        return f"{_plural(n, 'colleague', 'colleagues')} confirmed{about.replace(' on ', ' ', 1)}"
    if kind == DECLARED:
        return f"says they know{about.replace(' on ', ' ', 1) or ' it'}"
    return f"{n} × {kind}{about}"


def _deduplicated(evidence: Iterable[Evidence]) -> dict[int, dict[str, list[Evidence]]]:
    """Per person and kind, each item once, at its best relevance."""
    best: dict[tuple[int, str, str], Evidence] = {}
    for item in evidence:
        if item.kind not in WEIGHTS:
            continue
        key = (item.person_id, item.kind, item.item)
        kept = best.get(key)
        if kept is None or item.relevance > kept.relevance:
            best[key] = item
    people: dict[int, dict[str, list[Evidence]]] = defaultdict(lambda: defaultdict(list))
    for (person_id, kind, _), item in best.items():
        people[person_id][kind].append(item)
    return people


def _score(kinds: dict[str, list[Evidence]], today: date) -> float:
    score = 0.0
    for kind in KINDS:
        items = kinds.get(kind)
        if not items:
            continue
        values = sorted((contribution(i, today=today) for i in items), reverse=True)
        if kind == CONFIRMATION:
            values = values[:CONFIRMATIONS_COUNTED]
        score += sum(values)
    return round(score, 6)


def scores(evidence: Iterable[Evidence], *, today: date) -> list[tuple[int, float]]:
    """Each person's score, best first (ties by person id), without the words: what
    :func:`rank_people` would rank them by."""
    found = [
        (person_id, score)
        for person_id, kinds in _deduplicated(evidence).items()
        if (score := _score(kinds, today)) > 0
    ]
    found.sort(key=lambda p: (-p[1], p[0]))
    return found


def rank_people(
    evidence: Iterable[Evidence], *, today: date, limit: int | None = None
) -> list[RankedPerson]:
    """People with any evidence, best first (ties by person id), each with their claims (put
    in words for the people returned only: a broad topic has thousands of people)."""
    people = _deduplicated(evidence)
    ranked = [
        (person_id, score)
        for person_id, kinds in people.items()
        if (score := _score(kinds, today)) > 0
    ]
    ranked.sort(key=lambda p: (-p[1], p[0]))
    found = []
    for person_id, score in ranked[:limit] if limit is not None else ranked:
        kinds = people[person_id]
        present = [kind for kind in KINDS if kinds.get(kind)]
        found.append(
            RankedPerson(
                person_id=person_id,
                score=score,
                claims=[explain(kind, kinds[kind]) for kind in present],
                counts={kind: len(kinds[kind]) for kind in present},
            )
        )
    return found


def sentence(claims: list[str]) -> str:
    """The claims as one sentence: "Taught 3 sessions on SQL, last in March 2026; 2 colleagues
    confirmed"."""
    text = "; ".join(claims)
    return text[:1].upper() + text[1:]
