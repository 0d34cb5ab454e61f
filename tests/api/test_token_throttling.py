"""Bad API tokens are throttled per client address: 429 with a JSON message and Retry-After."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from knowflow.accounts import throttling
from knowflow.accounts.models import ApiToken
from knowflow.accounts.services import api_token_create
from tests.factories import make_person

MESSAGE = (
    "Too many requests with an invalid API token from your address. Try again in 15 minutes; "
    "check the token on your profile page (or create a new one) before you do."
)


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def _get(token: str, address: str = "127.0.0.1", **headers: str) -> object:
    client = Client(REMOTE_ADDR=address)
    return client.get("/api/v1/topics/", HTTP_AUTHORIZATION=f"Bearer {token}", **headers)


@pytest.mark.django_db
def test_twenty_bad_tokens_then_every_token_from_that_address_gets_a_429() -> None:
    person = make_person()
    _, secret = api_token_create(person=person, name="laptop")

    statuses = [_get(f"kf_guess-{n}").status_code for n in range(20)]
    refused = _get(secret)

    assert statuses == [401] * 20
    assert refused.status_code == 429
    assert refused.json() == {"detail": MESSAGE, "field": None}
    assert refused["Retry-After"] == "900"
    # The refused request did not use the token.
    assert ApiToken.objects.get(person=person).last_used_at is None


@pytest.mark.django_db
def test_other_addresses_are_not_throttled() -> None:
    _, secret = api_token_create(person=make_person(), name="laptop")
    for n in range(25):
        _get(f"kf_guess-{n}", address="198.51.100.7")

    response = _get(secret, address="10.1.2.3")

    assert response.status_code == 200
    assert _get(secret, address="198.51.100.7").status_code == 429


@pytest.mark.django_db
def test_after_the_cool_off_a_good_token_works_again(monkeypatch: pytest.MonkeyPatch) -> None:
    _, secret = api_token_create(person=make_person(), name="laptop")
    for n in range(20):
        _get(f"kf_guess-{n}")
    assert _get(secret).status_code == 429
    later = timezone.now() + timedelta(minutes=16)
    monkeypatch.setattr(throttling, "now", lambda: later)

    response = _get(secret)

    assert response.status_code == 200


@pytest.mark.django_db
def test_a_good_token_does_not_reset_the_count_of_bad_ones() -> None:
    _, secret = api_token_create(person=make_person(), name="laptop")
    for n in range(19):
        _get(f"kf_guess-{n}")

    good = _get(secret)
    last_guess = _get("kf_guess-last")

    assert good.status_code == 200
    assert last_guess.status_code == 401
    assert _get(secret).status_code == 429


@pytest.mark.django_db
def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_count(settings: object) -> None:
    settings.KNOWFLOW_TRUSTED_PROXIES = 1
    _, secret = api_token_create(person=make_person(), name="laptop")
    for n in range(20):
        _get(f"kf_guess-{n}", address="10.0.0.1", HTTP_X_FORWARDED_FOR=f"9.9.9.{n}, 203.0.113.5")

    attacker = _get(secret, address="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    colleague = _get(secret, address="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.6")

    assert attacker.status_code == 429
    assert colleague.status_code == 200
