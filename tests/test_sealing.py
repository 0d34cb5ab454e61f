"""Secrets sealed for later use: unreadable in the database, readable with the key, refused when
altered, and still readable after a key rotation that keeps the old key listed."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from knowflow.sealing import Unreadable, digest, new_secret, seal, unseal


def test_a_sealed_secret_is_not_in_the_stored_text_and_unseals_to_itself() -> None:
    sealed = seal("whsec_top-secret")

    assert "top-secret" not in sealed
    assert sealed != seal("whsec_top-secret")  # a fresh IV each time: equal secrets look different
    assert unseal(sealed) == "whsec_top-secret"


def test_an_altered_sealed_value_is_refused_not_misread() -> None:
    sealed = seal("https://hooks.slack.com/services/T/B/x")
    altered = sealed[:-6] + ("A" if sealed[-6] != "A" else "B") + sealed[-5:]

    with pytest.raises(Unreadable, match="enter it again"):
        unseal(altered)
    with pytest.raises(Unreadable):
        unseal("not a sealed value at all")


def test_a_new_secret_key_cannot_read_what_the_old_one_sealed(settings) -> None:
    sealed = seal("s1")
    settings.SECRET_KEY = "another secret key entirely, long enough to be a key"

    with pytest.raises(Unreadable):
        unseal(sealed)


def test_rotating_listed_keys_keeps_old_values_readable_and_seals_with_the_first(settings) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.KNOWFLOW_SEALING_KEYS = [old]
    sealed_with_old = seal("kept")

    settings.KNOWFLOW_SEALING_KEYS = [new, old]
    assert unseal(sealed_with_old) == "kept"
    sealed_with_new = seal("fresh")
    settings.KNOWFLOW_SEALING_KEYS = [new]
    assert unseal(sealed_with_new) == "fresh"
    with pytest.raises(Unreadable):
        unseal(sealed_with_old)


def test_digests_compare_secrets_without_keeping_them() -> None:
    secret = new_secret("kfscim_")

    assert secret.startswith("kfscim_") and len(secret) > 40
    assert digest(secret) == digest(secret) != digest(secret + "x")
    assert secret not in digest(secret)
