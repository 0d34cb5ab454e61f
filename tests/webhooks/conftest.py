from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.webhooks.receiver import Receiver, receiver


@pytest.fixture
def hook_receiver(settings: object) -> Iterator[Receiver]:
    """A real HTTP receiver on loopback. Its address is plain http://, which the settings allow
    here as they do in development (KNOWFLOW_WEBHOOKS_ALLOW_HTTP)."""
    settings.KNOWFLOW_WEBHOOKS_ALLOW_HTTP = True
    settings.KNOWFLOW_OUTBOUND_TIMEOUT_SECONDS = 1
    with receiver() as state:
        yield state
