"""Confirming, hiding, adding, opting out: who may, and refusals that change nothing."""

from __future__ import annotations

import pytest

from knowflow.accounts.models import Person
from knowflow.errors import Conflict, Forbidden
from knowflow.expertise import services
from knowflow.expertise.models import ExpertOptOut, HiddenTopic, SkillConfirmation
from knowflow.expertise.services import SelfConfirmation
from tests.factories import make_person, make_topic

pytestmark = pytest.mark.django_db


def confirmations():
    return list(
        SkillConfirmation.objects.order_by("pk").values_list(
            "person__display_name", "topic__name", "confirmed_by__display_name"
        )
    )


def test_a_colleague_confirms_a_skill_once():
    sql = make_topic("SQL")
    ada, bob = make_person(name="Ada"), make_person(name="Bob")

    services.skill_confirm(person=ada, topic=sql, actor=bob)
    with pytest.raises(Conflict) as refused:
        services.skill_confirm(person=ada, topic=sql, actor=bob)

    assert refused.value.message == "You already confirmed that Ada knows SQL."
    assert confirmations() == [("Ada", "SQL", "Bob")]


def test_nobody_confirms_their_own_skill():
    sql = make_topic("SQL")
    ada = make_person(name="Ada")

    with pytest.raises(SelfConfirmation) as refused:
        services.skill_confirm(person=ada, topic=sql, actor=ada)

    assert refused.value.message == "You cannot confirm your own skill; a colleague can."
    assert confirmations() == []


def test_an_opted_out_person_cannot_be_confirmed():
    sql = make_topic("SQL")
    ada, bob = make_person(name="Ada"), make_person(name="Bob")
    services.expert_opt_out(person=ada, actor=ada)

    with pytest.raises(Forbidden) as refused:
        services.skill_confirm(person=ada, topic=sql, actor=bob)

    assert refused.value.message == "Ada asked not to be listed as an expert."
    assert confirmations() == []


def test_withdrawing_removes_only_ones_own_confirmation():
    sql = make_topic("SQL")
    ada, bob, cy = make_person(name="Ada"), make_person(name="Bob"), make_person(name="Cy")
    services.skill_confirm(person=ada, topic=sql, actor=bob)
    services.skill_confirm(person=ada, topic=sql, actor=cy)

    services.skill_confirmation_withdraw(person=ada, topic=sql, actor=bob)

    assert confirmations() == [("Ada", "SQL", "Cy")]


def test_hiding_a_declared_topic_removes_it_from_the_skills_and_adding_shows_it_again():
    sql, go = make_topic("SQL"), make_topic("Go")
    ada = make_person(name="Ada", skills=[sql, go])

    services.expertise_topic_hide(person=ada, topic=sql, actor=ada)
    assert (list(ada.skills.values_list("name", flat=True)), list(
        HiddenTopic.objects.values_list("topic__name", flat=True))) == (["Go"], ["SQL"])  # fmt: skip

    services.expertise_topic_add(person=ada, topic=sql, actor=ada)
    assert sorted(ada.skills.values_list("name", flat=True)) == ["Go", "SQL"]
    assert HiddenTopic.objects.count() == 0


def test_only_the_person_corrects_their_expertise_and_a_refusal_changes_nothing():
    sql = make_topic("SQL")
    ada, bob = make_person(name="Ada", skills=[sql]), make_person(name="Bob")
    admin = make_person(name="Root", role=Person.Role.ADMIN)

    for change in (
        lambda: services.expertise_topic_hide(person=ada, topic=sql, actor=bob),
        lambda: services.expertise_topic_add(person=ada, topic=make_topic("Go"), actor=bob),
        lambda: services.expert_opt_out(person=ada, actor=bob),
    ):
        with pytest.raises(Forbidden) as refused:
            change()
        assert refused.value.message == "Only the person themselves can correct their expertise."
    assert (list(ada.skills.values_list("name", flat=True)), HiddenTopic.objects.count(),
            ExpertOptOut.objects.count()) == (["SQL"], 0, 0)  # fmt: skip

    services.expert_opt_out(person=ada, actor=admin)  # an admin helps someone who asks
    assert ExpertOptOut.objects.filter(person=ada).count() == 1


def test_opting_out_and_in_again():
    ada = make_person(name="Ada")

    services.expert_opt_out(person=ada, actor=ada)
    services.expert_opt_out(person=ada, actor=ada)
    assert ExpertOptOut.objects.filter(person=ada).count() == 1

    services.expert_opt_in(person=ada, actor=ada)
    assert ExpertOptOut.objects.filter(person=ada).count() == 0
