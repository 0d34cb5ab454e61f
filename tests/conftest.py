from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from tests.factories import PASSWORD

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache: ids are reused after a rollback, so a value
    cached by one test (related content, rollups) must not answer for another."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not next to this checkout (a user's clone has no shared data)")
    return SHARED


def signed_in(person: object) -> Client:
    client = Client()
    assert client.login(username=person.user.username, password=PASSWORD)
    return client
