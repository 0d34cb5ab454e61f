"""``IdsIn``: the long id lists find an expert filters by, written as numbers."""

from __future__ import annotations

import pytest
from django.db.models import F

from knowflow.accounts.models import Person
from knowflow.idlists import IdsIn
from knowflow.topics.models import Topic
from tests.factories import make_person, make_topic

pytestmark = pytest.mark.django_db


def test_it_finds_the_rows_whose_id_is_listed_and_only_them() -> None:
    kept, other, also = make_topic("Kept"), make_topic("Other"), make_topic("Also")
    found = Topic.objects.filter(IdsIn(F("pk"), [kept.pk, str(also.pk), kept.pk]))
    assert set(found.values_list("name", flat=True)) == {"Kept", "Also"}
    assert other.pk not in set(found.values_list("pk", flat=True))


def test_a_foreign_key_column_and_thousands_of_ids() -> None:
    ada = make_person(name="Ada")
    make_person(name="Bob")
    ids = list(range(10**6, 10**6 + 5000)) + [ada.pk]
    assert list(
        Person.objects.filter(IdsIn(F("pk"), ids)).values_list("display_name", flat=True)
    ) == [ada.display_name]


def test_an_empty_list_finds_nothing_and_is_no_error() -> None:
    make_topic("Kept")
    assert list(Topic.objects.filter(IdsIn(F("pk"), []))) == []


def test_anything_but_an_integer_is_refused_before_it_reaches_the_sql() -> None:
    with pytest.raises(ValueError):
        Topic.objects.filter(IdsIn(F("pk"), ["1) OR (1=1"]))
