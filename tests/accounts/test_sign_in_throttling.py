"""Sign-in throttling (django-axes): guessed passwords lock a username from one address."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client

from tests.factories import PASSWORD, make_person

LOCKED_NOTICE = (
    "Too many wrong passwords were tried for “{username}” from your address, so signing in is "
    "paused for 15 minutes."
)


def _sign_in(client: Client, username: str, password: str, **headers: str) -> object:
    return client.post("/accounts/login/", {"username": username, "password": password}, **headers)


def _notice(response: object) -> str:
    found = re.search(r'<p class="notice" role="alert">(.*?)</p>', response.content.decode())
    return found.group(1) if found else ""


def _signed_in(client: Client) -> bool:
    return client.get("/").status_code == 200


@pytest.mark.django_db
def test_forty_wrong_passwords_then_the_right_one_is_refused_with_the_lock_out_page() -> None:
    alice = make_person(username="alice")
    client = Client()

    statuses = [_sign_in(client, "alice", f"guess-{n}").status_code for n in range(40)]
    response = _sign_in(client, "alice", PASSWORD)

    assert statuses == [200] * 4 + [429] * 36
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert _notice(response) == LOCKED_NOTICE.format(username="alice")
    page = response.content.decode()
    assert "<h1>Sign-in paused</h1>" in page
    assert "knowflow axes_reset_username alice" in page
    assert "under <em>Axes → Access attempts</em>" in page
    assert not _signed_in(client)
    assert alice.user.last_login is None


@pytest.mark.django_db
def test_after_the_cool_off_the_right_password_signs_in_and_clears_the_count() -> None:
    make_person(username="alice")
    client = Client()
    for n in range(5):
        _sign_in(client, "alice", f"guess-{n}")
    # Sixteen minutes pass.
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16)
    )

    response = _sign_in(client, "alice", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert _signed_in(client)
    assert AccessAttempt.objects.count() == 0


@pytest.mark.django_db
def test_a_successful_sign_in_resets_the_count() -> None:
    make_person(username="alice")
    client = Client()
    for n in range(4):
        _sign_in(client, "alice", f"guess-{n}")
    assert _sign_in(client, "alice", PASSWORD).status_code == 302
    client.logout()

    statuses = [_sign_in(client, "alice", f"again-{n}").status_code for n in range(4)]
    response = _sign_in(client, "alice", PASSWORD)

    assert statuses == [200] * 4
    assert response.status_code == 302
    assert _signed_in(client)


@pytest.mark.django_db
def test_other_people_and_other_addresses_are_not_locked_out() -> None:
    make_person(username="alice")
    make_person(username="bob")
    attacker = Client(REMOTE_ADDR="198.51.100.7")
    for n in range(10):
        _sign_in(attacker, "alice", f"guess-{n}")

    bob_same_address = _sign_in(attacker, "bob", PASSWORD)
    alice_at_her_desk = Client(REMOTE_ADDR="10.1.2.3")
    alice_elsewhere = _sign_in(alice_at_her_desk, "alice", PASSWORD)

    assert bob_same_address.status_code == 302
    assert alice_elsewhere.status_code == 302
    assert _signed_in(alice_at_her_desk)
    assert _sign_in(attacker, "alice", PASSWORD).status_code == 429


@pytest.mark.django_db
def test_a_forged_x_forwarded_for_does_not_escape_the_lock_without_trusted_proxies() -> None:
    make_person(username="alice")
    client = Client()
    statuses = [
        _sign_in(client, "alice", f"guess-{n}", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n in range(6)
    ]

    assert statuses == [200] * 4 + [429] * 2
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["127.0.0.1"]


@pytest.mark.django_db
def test_behind_a_trusted_proxy_the_client_address_comes_from_x_forwarded_for(
    settings: object,
) -> None:
    settings.KNOWFLOW_TRUSTED_PROXIES = 1
    make_person(username="alice")
    proxy = Client(REMOTE_ADDR="10.0.0.1")  # every request arrives from the proxy
    for n in range(5):
        # The client's own (forged) entries come first; the proxy appends what it saw.
        _sign_in(proxy, "alice", f"guess-{n}", HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 203.0.113.5")

    locked = _sign_in(proxy, "alice", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.5")
    colleague = _sign_in(proxy, "alice", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.6")

    assert locked.status_code == 429
    assert colleague.status_code == 302
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.5"]


@pytest.mark.django_db
def test_a_garbage_x_forwarded_for_behind_a_proxy_counts_against_the_proxy_address(
    settings: object,
) -> None:
    settings.KNOWFLOW_TRUSTED_PROXIES = 1
    make_person(username="alice")
    proxy = Client(REMOTE_ADDR="10.0.0.1")

    response = _sign_in(proxy, "alice", "guess", HTTP_X_FORWARDED_FOR="not-an-address")

    assert response.status_code == 200
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["10.0.0.1"]
