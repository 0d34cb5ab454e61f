"""The OpenAPI document describes every resource, and the docs page serves it."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import signed_in
from tests.factories import make_person


@pytest.mark.django_db
def test_openapi_document_lists_every_resource() -> None:
    response = signed_in(make_person()).get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert {
        "/api/v1/topics/",
        "/api/v1/people/",
        "/api/v1/circles/",
        "/api/v1/sessions/",
        "/api/v1/occurrences/",
        "/api/v1/registrations/",
        "/api/v1/planning/find-a-time",
    } <= set(document["paths"])
    assert set(document["paths"]["/api/v1/sessions/"]) == {"get", "post"}


@pytest.mark.django_db
def test_interactive_docs_page_is_served_to_a_signed_in_person() -> None:
    response = signed_in(make_person()).get("/api/v1/docs")

    assert response.status_code == 200
    assert "/api/v1/openapi.json" in response.content.decode()


@pytest.mark.django_db
def test_docs_are_for_signed_in_people_by_default_in_production() -> None:
    anonymous = Client()

    document = anonymous.get("/api/v1/openapi.json")
    page = anonymous.get("/api/v1/docs")

    assert (document.status_code, document.json()) == (
        401,
        {"detail": "Sign in, or send 'Authorization: Bearer <token>', to read the API document."},
    )
    assert (page.status_code, page.url) == (302, "/accounts/login/?next=/api/v1/docs")
    assert "paths" not in page.content.decode()


@pytest.mark.django_db
def test_docs_follow_the_setting_when_made_public(settings) -> None:  # noqa: ANN001
    settings.KNOWFLOW_API_DOCS_PUBLIC = True

    response = Client().get("/api/v1/openapi.json")

    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Knowflow API"
