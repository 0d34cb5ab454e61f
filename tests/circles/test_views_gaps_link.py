"""Starting a circle from a knowledge gap: the charter starts with the gap's topic."""

from __future__ import annotations

import pytest

from tests.conftest import signed_in
from tests.factories import make_person, make_topic

pytestmark = pytest.mark.django_db


def test_new_circle_form_starts_with_the_topic_named_in_the_link() -> None:
    topic = make_topic("Terraform")

    html = signed_in(make_person()).get(f"/circles/new/?topic={topic.slug}").content.decode()

    assert 'value="Terraform"' in html


def test_new_circle_form_ignores_an_unknown_topic() -> None:
    response = signed_in(make_person()).get("/circles/new/?topic=no-such-topic")

    assert response.status_code == 200
    assert 'value="no-such-topic"' not in response.content.decode()
