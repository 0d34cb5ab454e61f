"""Test data for xAPI: the organisation's address and a follow-up answer saying "applied"."""

from __future__ import annotations

BASE = "https://learn.example.org"

# Answers to the shipped 30-day follow-up: applied regularly, with an example in words.
FOLLOW_UP = {
    "applied": "regularly",
    "how_often": "weekly",
    "result": "clear",
    "result_example": "Our release checklist now takes ten minutes",
    "hours_saved": "2",
    "hours_confidence": "50",
    "hours_attribution": "50",
}
