"""The whole API under schemathesis: no input, however far out of range, gets a server error,
and every status an operation answers is one its OpenAPI document declares.

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
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from knowflow.accounts.models import Person
from knowflow.accounts.services import api_token_create
from knowflow.api.main import api
from tests.factories import make_person

# Every check but these two: they ask the document to be as strict as pydantic's parsing
# (pydantic accepts ``false`` for an id as 0, any date for a window), which is about the
# document's precision, not about a request getting a server error or an undeclared status.
SCHEMA_PRECISION_CHECKS = [negative_data_rejection, positive_data_acceptance]

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = WSGIHandler()


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
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"}, excluded_checks=SCHEMA_PRECISION_CHECKS
    )
