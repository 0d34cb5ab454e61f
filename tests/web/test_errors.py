"""Refused requests get the page that says why, with the matching status, in one place: a
view lets the domain error go and ``ErrorPageMiddleware`` answers it."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.utils.html import escape

from knowflow.errors import Conflict, DomainError, Forbidden, NotFound
from knowflow.web.errors import error_page
from tests.conftest import signed_in
from tests.factories import make_person
from tests.web.raising_urls import RAISED


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


@pytest.mark.parametrize(
    ("kind", "status", "title"),
    [
        ("forbidden", 403, "Not allowed"),
        ("not-found", 404, "Not found"),
        ("conflict", 409, "That did not work"),
        ("bad-input", 400, "That did not work"),
    ],
)
@pytest.mark.urls("tests.web.raising_urls")
@pytest.mark.django_db
def test_domain_error_raised_in_a_page_becomes_its_page(kind: str, status: int, title: str) -> None:
    client = signed_in(make_person(name="Mo Member"))

    response = client.get(f"/raises/{kind}/")

    page = response.content.decode()
    assert response.status_code == status
    # The site's own page (its layout, the search box a signed-in person has), with the
    # message escaped as any text is.
    assert f"<title>{title} · Knowflow</title>" in page
    assert f"<h1>{title}</h1><p>{escape(RAISED[kind].message)}</p>" in page
    assert 'aria-label="Search everything"' in page
    assert "Content-Security-Policy" in response.headers
