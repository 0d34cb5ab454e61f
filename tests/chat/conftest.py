from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.chat.helpers import ChatReceiver


@pytest.fixture
def receiver() -> Iterator[ChatReceiver]:
    with ChatReceiver() as receiver:
        yield receiver
