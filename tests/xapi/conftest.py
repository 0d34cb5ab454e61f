from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings
from django.utils import timezone

from tests.xapi.helpers import BASE
from tests.xapi.lrs import Lrs, running_lrs


@pytest.fixture(autouse=True)
def shipped_templates(request: pytest.FixtureRequest) -> None:
    """The follow-ups are the shipped templates, loaded by a data migration; a transactional
    test empties every table when it ends, so load them again (a no-op when they are there)."""
    if request.node.get_closest_marker("django_db") is None:
        return
    from knowflow.feedback.defaults import seed_default_templates
    from knowflow.feedback.models import Question, SurveyTemplate

    seed_default_templates(
        template_model=SurveyTemplate, question_model=Question, now=timezone.now()
    )


@pytest.fixture
def lrs() -> Iterator[Lrs]:
    """A running test LRS, configured as the organisation's (base URL, key and secret)."""
    with (
        running_lrs() as server,
        override_settings(
            KNOWFLOW_XAPI_ENDPOINT=server.url,
            KNOWFLOW_XAPI_USERNAME=server.key,
            KNOWFLOW_XAPI_PASSWORD=server.secret,
            KNOWFLOW_BASE_URL=BASE,
        ),
    ):
        yield server


@pytest.fixture
def no_lrs() -> Iterator[None]:
    with override_settings(
        KNOWFLOW_XAPI_ENDPOINT="", KNOWFLOW_XAPI_USERNAME="", KNOWFLOW_XAPI_PASSWORD=""
    ):
        yield
