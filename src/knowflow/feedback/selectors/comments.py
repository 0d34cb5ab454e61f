"""The comments of a results page: the latest of a question (bounded), and their themes,
cached until the question's answer count changes. Callers show them only for groups that the
anonymity rules show, and sorted, never in the order written."""

from __future__ import annotations

import hashlib

from django.core.cache import cache

from knowflow.discovery.themes import Theme, themes_of
from knowflow.feedback.models import Answer
from knowflow.feedback.selectors.anonymity import SegmentFilters

MAX_COMMENTS = 500  # per question, the latest: enough for themes, bounded for the page's time


def comments_latest(
    *, occurrence_ids: list[int], question_ids: list[int], filters: SegmentFilters
) -> list[str]:
    """The latest comments of a question (index `answer_occurrence_question`); the join to
    the response only when a segment filter needs it."""
    rows = Answer.objects.filter(occurrence_id__in=occurrence_ids, question_id__in=question_ids)
    if filters.active:
        rows = rows.filter(filters.q("response__"))
    return list(rows.exclude(text="").order_by("-id").values_list("text", flat=True)[:MAX_COMMENTS])


def comment_themes(comments: list[str], *, k: int, key: tuple) -> list[Theme]:
    """Themes, cached until the question's answer count changes (the count is in the key)."""
    digest = hashlib.sha256(repr(key).encode()).hexdigest()
    cache_key = f"feedback:themes:{k}:{digest}"
    themes = cache.get(cache_key)
    if themes is None:
        themes = themes_of(comments, min_count=k)
        cache.set(cache_key, themes, timeout=3600)
    return themes
