"""The topic picker other apps' forms use: topics named by name or slug."""

from __future__ import annotations

from knowflow.pickers import PickerField
from knowflow.topics.models import Topic
from knowflow.topics.selectors import topics_for_picker


class TopicsField(PickerField):
    kind = "topics"
    default_help = "Type topic names, separated by commas."

    def resolve(self, entries: list[str]) -> list[Topic]:
        return topics_for_picker(entries=entries)
