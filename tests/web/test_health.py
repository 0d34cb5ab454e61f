import pytest
from django.test import Client


@pytest.mark.django_db
def test_healthz_answers_ok_when_database_answers() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_home_redirects_anonymous_visitor_to_sign_in() -> None:
    response = Client().get("/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/"
