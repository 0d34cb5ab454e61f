"""Refused requests get the page that says why, with the matching status."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from knowflow.errors import Conflict, DomainError, Forbidden, NotFound
from knowflow.web.errors import error_page


@pytest.mark.parametrize(
    ("error", "status", "heading"),
    [
        (Forbidden("Only enablers manage rooms."), 403, "Not allowed"),
        (NotFound("There is no such session."), 404, "Not found"),
        (Conflict("This date is already cancelled."), 409, "That did not work"),
        (DomainError("The window is shorter than the session."), 400, "That did not work"),
    ],
)
@pytest.mark.django_db
def test_error_page_shows_the_message_with_its_status(
    error: DomainError, status: int, heading: str
) -> None:
    request = RequestFactory().get("/")

    response = error_page(request, error)

    page = response.content.decode()
    assert response.status_code == status
    assert f"<h1>{heading}</h1><p>{error.message}</p>" in page
