"""Topics for tags met in bulk (an imported archive), written in a few statements.

An archive names its subjects with free tags in every spelling ("k8s", "Kubernetes",
"kubernetes "). The taxonomy owns what becomes of them: a tag that is a topic's name or
synonym maps to that topic (and a new spelling of it becomes a synonym); the spellings of a
new subject become one topic, grouped by ``knowflow.discovery.taxonomy``. The caller holds the
transaction; the search index is the caller's to refresh (``TopicsByTag.touched``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.utils.text import slugify

from knowflow.discovery.taxonomy import group_tags, known_synonyms_for
from knowflow.discovery.text import phrase_key
from knowflow.topics.models import Topic

BATCH = 500


class TopicsByTag:
    """Tags to topics, creating the topics (with synonyms) the organisation lacks.

    Made once for every tag of an import (``tag_counts``: how often each tag occurs, which
    decides a group's name): it writes the new topics and the new synonyms at once, then
    answers ``topics_for`` from memory.
    """

    def __init__(self, tag_counts: Counter[str]) -> None:
        self.by_key: dict[str, Topic] = {}
        topics = list(Topic.objects.all())
        taken_slugs = {t.slug for t in topics}
        names = {t.name.lower(): t for t in topics}
        for topic in topics:
            for spelling in [topic.name, *topic.synonyms]:
                self.by_key.setdefault(phrase_key(spelling), topic)
        new_topics: list[Topic] = []
        changed: list[Topic] = []
        for group in group_tags(tag_counts):
            keys = [phrase_key(s) for s in group.spellings]
            existing = next((self.by_key[k] for k in keys if k in self.by_key), None)
            existing = existing or names.get(group.name.lower())
            if existing is not None:
                known = {phrase_key(s) for s in [existing.name, *existing.synonyms]}
                extra = [s for s in group.spellings if phrase_key(s) not in known]
                if extra:
                    existing.synonyms = sorted({*existing.synonyms, *(s.lower() for s in extra)})
                    changed.append(existing)
                topic = existing
            else:
                slug = base = (slugify(group.name) or "topic")[:130]
                n = 1
                while slug in taken_slugs:
                    n += 1
                    slug = f"{base}-{n}"
                taken_slugs.add(slug)
                extra = known_synonyms_for(group.spellings)
                topic = Topic(
                    name=group.name,
                    slug=slug,
                    synonyms=sorted({*group.synonyms, *extra}),
                )
                names[group.name.lower()] = topic
                new_topics.append(topic)
            for key in keys:
                self.by_key[key] = topic
        Topic.objects.bulk_create(new_topics, batch_size=BATCH)
        Topic.objects.bulk_update(changed, ["synonyms"], batch_size=BATCH)
        self.touched = {t.pk for t in [*new_topics, *changed]}

    def topics_for(self, tags: Iterable[str]) -> list[Topic]:
        """The topics ``tags`` stand for, each once, in the order of their first tag."""
        found: dict[int, Topic] = {}
        for tag in tags:
            topic = self.by_key.get(phrase_key(tag))
            if topic is not None:
                found[topic.pk] = topic
        return list(found.values())
