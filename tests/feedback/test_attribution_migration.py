"""Existing organisations' shipped follow-ups gain the attribution question as a new version."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from knowflow.feedback.models import Question, SurveyTemplate

pytestmark = pytest.mark.django_db

migration = importlib.import_module("knowflow.feedback.migrations.0006_follow_ups_ask_attribution")


def test_follow_ups_without_attribution_get_a_new_version_that_asks_for_it() -> None:
    # An organisation installed before the question existed: v1 has no attribution question.
    Question.objects.filter(key="hours_attribution").delete()
    old = SurveyTemplate.objects.get(family="follow-up-90-days", is_current=True)

    migration.add_attribution(apps, None)
    migration.add_attribution(apps, None)  # a second run changes nothing

    versions = list(
        SurveyTemplate.objects.filter(family="follow-up-90-days")
        .order_by("version")
        .values_list("version", "is_current", "is_default")
    )
    assert versions == [(1, False, False), (2, True, True)]
    new = SurveyTemplate.objects.get(family="follow-up-90-days", is_current=True)
    assert list(new.questions.order_by("position").values_list("key", flat=True)) == [
        "applied",
        "how_often",
        "result",
        "result_example",
        "hours_saved",
        "hours_confidence",
        "hours_attribution",
        "blocker",
    ]
    # The old version keeps its questions untouched: its answers still point at them.
    assert "hours_attribution" not in old.questions.values_list("key", flat=True)
    assert old.questions.count() == 7
