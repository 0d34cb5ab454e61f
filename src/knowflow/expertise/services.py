"""Changes to what expertise says: colleagues confirm a skill; a person hides or adds a topic,
or opts out of being listed. Each refusal raises a domain error and changes nothing."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from knowflow.accounts.models import Person
from knowflow.errors import Conflict, DomainError, Forbidden
from knowflow.expertise.models import ExpertOptOut, HiddenTopic, SkillConfirmation
from knowflow.expertise.permissions import can_correct_expertise
from knowflow.topics.models import Topic
from knowflow.topics.services import person_skills_set


class SelfConfirmation(DomainError):
    pass


def _check_active(person: Person) -> None:
    if not person.is_active:
        raise DomainError(f"{person.display_name} has left: their skills cannot be confirmed.")


def skill_confirm(*, person: Person, topic: Topic, actor: Person) -> SkillConfirmation:
    """``actor`` confirms that ``person`` knows ``topic``. Nobody confirms themselves; one
    confirmation per colleague, person and topic (a second is refused: ``Conflict``)."""
    if actor.pk == person.pk:
        raise SelfConfirmation("You cannot confirm your own skill; a colleague can.")
    _check_active(person)
    if ExpertOptOut.objects.filter(person=person).exists():
        raise Forbidden(f"{person.display_name} asked not to be listed as an expert.")
    try:
        with transaction.atomic():
            return SkillConfirmation.objects.create(person=person, topic=topic, confirmed_by=actor)
    except IntegrityError as error:
        raise Conflict(
            f"You already confirmed that {person.display_name} knows {topic.name}."
        ) from error


def skill_confirmation_withdraw(*, person: Person, topic: Topic, actor: Person) -> None:
    """``actor`` takes back their own confirmation (nothing happens if there was none)."""
    SkillConfirmation.objects.filter(person=person, topic=topic, confirmed_by=actor).delete()


def _check_self(person: Person, actor: Person) -> None:
    if not can_correct_expertise(actor=actor, person=person):
        raise Forbidden("Only the person themselves can correct their expertise.")


def expertise_topic_hide(*, person: Person, topic: Topic, actor: Person) -> None:
    """``person`` is no longer listed for ``topic``, whatever the evidence; a topic they had
    declared is removed from their skills too (they said they do not want it shown)."""
    _check_self(person, actor)
    with transaction.atomic():
        HiddenTopic.objects.get_or_create(person=person, topic=topic)
        if person.skills.filter(pk=topic.pk).exists():
            skills = person.skills.exclude(pk=topic.pk)
            person_skills_set(person=person, actor=actor, skills=list(skills))


def expertise_topic_show(*, person: Person, topic: Topic, actor: Person) -> None:
    """Undo ``expertise_topic_hide``."""
    _check_self(person, actor)
    HiddenTopic.objects.filter(person=person, topic=topic).delete()


def expertise_topic_add(*, person: Person, topic: Topic, actor: Person) -> None:
    """``person`` says they know ``topic`` (a declared skill: the weakest evidence); a topic
    they had hidden is shown again."""
    _check_self(person, actor)
    with transaction.atomic():
        HiddenTopic.objects.filter(person=person, topic=topic).delete()
        person_skills_set(person=person, actor=actor, skills=[*person.skills.all(), topic])


def expert_opt_out(*, person: Person, actor: Person) -> None:
    """``person`` is listed nowhere as an expert (pages, API, command line) until they opt in."""
    _check_self(person, actor)
    ExpertOptOut.objects.get_or_create(person=person)


def expert_opt_in(*, person: Person, actor: Person) -> None:
    _check_self(person, actor)
    ExpertOptOut.objects.filter(person=person).delete()
