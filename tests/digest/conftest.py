from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings

from tests.digest.helpers import BASE_URL


@pytest.fixture(autouse=True)
def _site() -> Iterator[None]:
    """Digest links are absolute: on a site with an https address, as in production."""
    with override_settings(KNOWFLOW_BASE_URL=BASE_URL):
        yield
