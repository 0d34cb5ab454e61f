"""Themes of free-text comments (pure, no Django)."""

from __future__ import annotations

from knowflow.discovery.themes import themes_of

COMMENTS = [
    "More hands-on exercises please",
    "The exercises were too short",
    "More exercises and examples",
    "Slides were hard to read",
    "Could not read the slides from the back",
    "Audio for online attendees was bad",
    "The audio dropped for remote people",
    "Kubernetes examples were useful",
    "Great examples of kubernetes deployments",
    "Loved it",
]


def test_themes_group_comments_with_counts_real_word_labels_and_quotes() -> None:
    themes = themes_of(COMMENTS, min_count=2)
    assert [(t.label, t.count) for t in themes] == [
        ("exercises", 3),
        ("audio", 2),
        ("kubernetes · examples", 2),
        ("slides · read", 2),
        ("Other comments", 1),
    ]
    assert themes[0].quotes == [
        "More exercises and examples",
        "The exercises were too short",
        "More hands-on exercises please",
    ]
    assert sum(t.count for t in themes) == len(COMMENTS)


def test_no_theme_is_smaller_than_min_count() -> None:
    themes = themes_of(COMMENTS, min_count=3)
    assert [(t.label, t.count) for t in themes] == [("exercises", 3), ("Other comments", 7)]


def test_no_comments_no_themes() -> None:
    assert themes_of(["", "   "], min_count=2) == []
