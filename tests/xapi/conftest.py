from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings

from tests.xapi.helpers import BASE
from tests.xapi.lrs import Lrs, running_lrs


@pytest.fixture
def lrs() -> Iterator[Lrs]:
    """A running test LRS, configured as the organisation's (base URL, key and secret)."""
    with (
        running_lrs() as server,
        override_settings(
            KNOWFLOW_XAPI_ENDPOINT=server.url,
            KNOWFLOW_XAPI_USERNAME=server.key,
            KNOWFLOW_XAPI_PASSWORD=server.secret,
            KNOWFLOW_BASE_URL=BASE,
        ),
    ):
        yield server


@pytest.fixture
def no_lrs() -> Iterator[None]:
    with override_settings(
        KNOWFLOW_XAPI_ENDPOINT="", KNOWFLOW_XAPI_USERNAME="", KNOWFLOW_XAPI_PASSWORD=""
    ):
        yield
