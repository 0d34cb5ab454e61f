"""The whole API under schemathesis with every check: no input, however far out of range, gets a
server error; every status an operation answers is one its OpenAPI document declares; a request
the document calls invalid is refused and one it calls valid is accepted.

Bounded and seeded (``derandomize``) so it runs the same way every time in well under a minute;
requests go through the real WSGI application, signed in with an enabler's personal token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from knowflow.accounts.models import Person
from knowflow.accounts.services import api_token_create
from knowflow.api.main import api
from tests.factories import make_person

# Every check runs. One allowance, named per operation: a request the document calls valid may
# still get a 400 where a rule ties two fields together and OpenAPI cannot state it. Each rule
# is listed with its operation; anything one field's schema can say is in the document (an
# enum, a bound, a pattern) and answers 422 when broken.
RULES_ACROSS_FIELDS = {
    ("POST", "/api/v1/planning/find-a-time"): "the window ends after it starts",
    ("POST", "/api/v1/occurrences/"): "a date ends after it starts; the room is free",
    ("PATCH", "/api/v1/occurrences/{occurrence_id}"): "a date ends after it starts",
    ("GET", "/api/v1/feedback/programme"): "one cut at a time (anonymity)",
    ("GET", "/api/v1/feedback/sessions/{session_id}/results"): "one cut at a time (anonymity)",
    ("POST", "/api/v1/feedback/templates"): "a question's options follow its type",
    ("PATCH", "/api/v1/feedback/templates/{template_id}"): "a question's options follow its type",
    ("GET", "/api/v1/insights/dashboard"): "a period gives both start and end, in order",
    ("GET", "/api/v1/insights/expertise"): "a period gives both start and end, in order",
    ("GET", "/api/v1/insights/network"): "a period gives both start and end, in order",
    ("POST", "/api/v1/insights/hourly-costs"): "an org unit or an office, exactly one",
    ("POST", "/api/v1/insights/roi"): "the period in order; a circle study names its circle",
    ("POST", "/api/v1/insights/duplicates/{cluster_id}/decision"): "merged names one copy",
    ("POST", "/api/v1/library/resources"): "a link or a body, as the kind needs",
    ("POST", "/api/v1/library/uploads"): "a file of a type the kind takes",
    ("POST", "/api/v1/library/resources/{resource_id}/captions"): "a well-formed WebVTT or "
    "SubRip file, for a recording",
    ("POST", "/api/v1/occurrences/{occurrence_id}/attendance"): "a mode the date offers, "
    "for people on its checklist",
}
ACCEPTED_FOR_VALID_DATA = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]

config = SchemathesisConfig.from_dict(
    {
        "operations": [
            {
                "include-method": method,
                "include-path": path,
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": [*ACCEPTED_FOR_VALID_DATA, "400"]
                    }
                },
            }
            for method, path in RULES_ACROSS_FIELDS
        ]
    }
)
schema = schemathesis.openapi.from_dict(api.get_openapi_schema(), config=config)
schema.app = WSGIHandler()

pytestmark = pytest.mark.slow


@pytest.fixture
def token(db: None) -> Iterator[str]:
    # As Django's test client does: the handler would close the connection that holds the
    # test's transaction at the end of every request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    _, secret = api_token_create(person=make_person(role=Person.Role.ENABLER), name="fuzz")
    yield secret
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=8,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_bad_input_with_a_declared_4xx(case, token: str) -> None:  # noqa: ANN001
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"})
