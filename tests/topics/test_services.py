"""People's skills are topics: the topics app sets them, with the profile's permission."""

from __future__ import annotations

import pytest

from knowflow.errors import Forbidden
from knowflow.topics.services import person_skills_set
from tests.factories import make_person, make_topic

pytestmark = pytest.mark.django_db


def test_person_skills_set_replaces_own_skills():
    person = make_person(skills=[make_topic("Go")])
    rust, wasm = make_topic("Rust"), make_topic("WebAssembly")

    person_skills_set(person=person, actor=person, skills=[wasm, rust])

    assert sorted(person.skills.values_list("name", flat=True)) == ["Rust", "WebAssembly"]


def test_person_skills_set_by_someone_else_is_refused_and_changes_nothing():
    person = make_person(skills=[make_topic("Go")])
    other = make_person()

    with pytest.raises(Forbidden) as error:
        person_skills_set(person=person, actor=other, skills=[make_topic("Rust")])

    assert str(error.value) == "You can only edit your own profile."
    assert list(person.skills.values_list("name", flat=True)) == ["Go"]


def test_person_skills_set_by_an_admin_is_allowed():
    person = make_person()
    admin = make_person(role="admin")

    person_skills_set(person=person, actor=admin, skills=[make_topic("Rust")])

    assert list(person.skills.values_list("name", flat=True)) == ["Rust"]
