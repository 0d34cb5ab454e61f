from __future__ import annotations

import pytest
from django.utils import timezone


@pytest.fixture(autouse=True)
def shipped_templates(request: pytest.FixtureRequest) -> None:
    """The data migration loads the shipped templates, but a transactional test empties every
    table when it ends: load them again (a no-op when they are there)."""
    if request.node.get_closest_marker("django_db") is None:
        return
    from knowflow.feedback.defaults import seed_default_templates
    from knowflow.feedback.models import Question, SurveyTemplate

    seed_default_templates(
        template_model=SurveyTemplate, question_model=Question, now=timezone.now()
    )
