"""Turning free-form tags (from an import) into topics with synonyms.

Conference archives tag the same subject many ways: "command-line", "commandline",
"Command Line"; "NLP" and "natural language processing"; "Internet of Things (IoT)". A topic
per spelling would split every subject in pieces, so tags are grouped: spellings that analyse
to the same words meet, an acronym meets the phrase it abbreviates when both occur, a
"name (abbr)" tag joins both, and a short list of well-known equivalences (below) joins what
no rule can see ("k8s"). Each group becomes one topic: the most used spelling is its name,
the others its synonyms — which search then uses both ways.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from knowflow.discovery.text import initials, phrase_key, words

MAX_TAG_LENGTH = 120

# Equivalences no spelling rule finds. General vocabulary of the field, not tuned to any data.
KNOWN_SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("artificial intelligence", "ai"),
    ("machine learning", "ml"),
    ("deep learning", "dl"),
    ("natural language processing", "nlp"),
    ("computer vision", "cv"),
    ("test driven development", "tdd"),
    ("behaviour driven development", "behavior driven development", "bdd"),
    ("internet of things", "iot"),
    ("kubernetes", "k8s"),
    ("geographic information systems", "gis"),
    ("continuous integration", "ci"),
    ("object relational mapping", "orm"),
    ("application programming interface", "api", "apis"),
    ("rest", "restful", "rest api"),
    ("javascript", "js"),
    ("typescript", "ts"),
    ("database", "databases", "db"),
    ("postgresql", "postgres"),
    ("asyncio", "async", "asynchronous", "async io"),
    ("command line", "cli", "command line interface"),
    ("graphical user interface", "gui"),
    ("user experience", "ux"),
    ("high performance computing", "hpc"),
    ("virtualenv", "virtual env", "virtual environments", "virtualenvs"),
    ("python 3", "python3", "py3"),
    ("data visualization", "data visualisation", "dataviz", "visualization", "visualisation"),
    ("optimization", "optimisation"),
    ("microservices", "micro services"),
    ("accessibility", "a11y"),
    ("internationalization", "internationalisation", "i18n"),
    ("localization", "localisation", "l10n"),
    ("open source", "oss", "opensource"),
    ("regular expressions", "regex", "regexp"),
    ("raspberry pi", "rpi", "raspberrypi"),
    ("big data", "bigdata"),
    ("data mining", "datamining"),
    ("natural language generation", "nlg"),
    ("reinforcement learning", "rl"),
    ("large language models", "llm", "llms"),
    ("continuous delivery", "continuous deployment"),
)

_PARENTHESIS = re.compile(r"^(.*?)\s*\(([^()]+)\)\s*$")


@dataclass
class TagGroup:
    name: str
    synonyms: list[str] = field(default_factory=list)
    count: int = 0

    @property
    def spellings(self) -> list[str]:
        return [self.name, *self.synonyms]


def clean_tag(tag: str) -> str:
    return re.sub(r"\s+", " ", str(tag)).strip()[:MAX_TAG_LENGTH]


class _Groups:
    """Union-find over tag keys."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        self.parent.setdefault(key, key)
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def group_tags(tag_counts: Counter[str] | dict[str, int]) -> list[TagGroup]:
    """Group tags (with how often each is used) into topics; see the module docstring."""
    spellings: dict[str, Counter[str]] = {}  # key → spelling → uses
    groups = _Groups()
    for raw, count in tag_counts.items():
        tag = clean_tag(raw)
        key = phrase_key(tag)
        if not key:
            continue
        spellings.setdefault(key, Counter())[tag] += count
        groups.find(key)
        match = _PARENTHESIS.match(tag)
        # "Internet of Things (IoT)" joins "internet of things" and "iot"; a longer aside
        # ("Python (programming language)") only says which Python, it is no other name.
        if match and len(words(match.group(2))) == 1 and len(match.group(2)) <= 8:
            for part in match.groups():
                part_key = phrase_key(part)
                if part_key:
                    spellings.setdefault(part_key, Counter())[clean_tag(part)] += 0
                    groups.union(key, part_key)
    keys = set(spellings)
    # An acronym joins the most used phrase it abbreviates, only that one ("ml" is machine
    # learning, not also "machine language").
    expansions: dict[str, tuple[int, str]] = {}
    for key in keys:
        spelled, uses = spellings[key].most_common(1)[0]
        acronym = initials(spelled)
        if acronym and len(acronym) >= 2 and acronym in keys and acronym != key:
            total = sum(spellings[key].values())
            if acronym not in expansions or total > expansions[acronym][0]:
                expansions[acronym] = (total, key)
    for acronym, (_, key) in expansions.items():
        groups.union(key, acronym)
    for equivalent in KNOWN_SYNONYMS:
        present = [phrase_key(s) for s in equivalent if phrase_key(s) in keys]
        for other in present[1:]:
            groups.union(present[0], other)
    merged: dict[str, Counter[str]] = {}
    for key, counter in spellings.items():
        merged.setdefault(groups.find(key), Counter()).update(counter)
    result = []
    for counter in merged.values():
        ranked = sorted(counter.items(), key=lambda item: (-item[1], -len(item[0]), item[0]))
        name = ranked[0][0]
        seen = {name.lower()}
        synonyms = []
        for spelling, _ in ranked[1:]:
            if spelling.lower() not in seen:
                seen.add(spelling.lower())
                synonyms.append(spelling.lower())
        result.append(TagGroup(name=name, synonyms=synonyms, count=sum(counter.values())))
    result.sort(key=lambda g: (-g.count, g.name.lower()))
    return result


def known_synonyms_for(names: Iterable[str]) -> list[str]:
    """Equivalent names from ``KNOWN_SYNONYMS`` for a topic called any of ``names``."""
    keys = {phrase_key(n) for n in names}
    extra: list[str] = []
    for equivalent in KNOWN_SYNONYMS:
        if keys & {phrase_key(s) for s in equivalent}:
            extra.extend(s for s in equivalent if phrase_key(s) not in keys)
    return extra
