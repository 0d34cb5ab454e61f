"""Survey templates and their versions: create, revise (a new version; answers keep theirs),
copy and choose the default of a kind. Enablers only."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.errors import Conflict, DomainError, Forbidden
from knowflow.feedback import permissions
from knowflow.feedback.models import (
    Kind,
    Question,
    Standard,
    SurveyTemplate,
)

MAX_QUESTIONS = 40


def _check_options(spec: Mapping[str, Any], key: str) -> list[dict[str, str]]:
    qtype = spec["type"]
    raw = spec.get("options") or []
    if qtype == Question.Type.TEXT:
        if raw:
            raise DomainError(
                f"Question '{key}': a free-text question has no options.", field="options"
            )
        return []
    if qtype == Question.Type.SCALE:
        values = [str(option.get("value")) for option in raw] if raw else []
        if values and values != [str(n) for n in range(11)]:
            raise DomainError(
                f"Question '{key}': a 0–10 scale lists the values 0 to 10 in order.",
                field="options",
            )
        if not raw:
            raise DomainError(
                f"Question '{key}': say which of 0–10 are unacceptable, acceptable and superior.",
                field="options",
            )
    if len(raw) < 2:
        raise DomainError(
            f"Question '{key}': a choice question needs at least two options.", field="options"
        )
    options, seen = [], set()
    for option in raw:
        if not isinstance(option, Mapping):
            raise DomainError(f"Question '{key}': each option is an object.", field="options")
        value = str(option.get("value", "")).strip()
        label = str(option.get("label", "")).strip()
        standard = option.get("standard")
        if not value or len(value) > 60:
            raise DomainError(
                f"Question '{key}': each option needs a value (at most 60 characters).",
                field="options",
            )
        if value in seen:
            raise DomainError(
                f"Question '{key}': the option '{value}' appears twice.", field="options"
            )
        if not label:
            raise DomainError(
                f"Question '{key}': the option '{value}' needs a label.", field="options"
            )
        if standard not in Standard.values:
            raise DomainError(
                f"Question '{key}': say whether '{value}' is unacceptable, acceptable or superior "
                "(the standard is fixed before any answer is collected).",
                field="options",
            )
        seen.add(value)
        options.append({"value": value, "label": label[:300], "standard": standard})
    return options


def question_validate(*, spec: Mapping[str, Any]) -> dict[str, Any]:
    """Check one question of a template and return it normalised; raises DomainError."""
    key = str(spec.get("key", "")).strip()
    if not key or len(key) > 60 or not all(c.isalnum() or c in "-_" for c in key):
        raise DomainError(
            "Each question needs a key of letters, digits, '-' or '_' (at most 60).", field="key"
        )
    text = str(spec.get("text", "")).strip()
    if not text or len(text) > 300:
        raise DomainError(f"Question '{key}' needs a text of at most 300 characters.", field="text")
    if spec.get("type") not in Question.Type.values:
        raise DomainError(
            f"Question '{key}': the type must be one of {', '.join(Question.Type.values)}.",
            field="type",
        )
    if spec.get("kirkpatrick") not in Question.Kirkpatrick.values:
        raise DomainError(
            f"Question '{key}': the Kirkpatrick level is 1, 2, 3 or 4.", field="kirkpatrick"
        )
    if str(spec.get("ltem")) not in Question.Ltem.values:
        raise DomainError(
            f"Question '{key}': the LTEM tier is one of {', '.join(Question.Ltem.values)}.",
            field="ltem",
        )
    if str(spec.get("ltem")) not in Question.SURVEY_LTEM_TIERS:
        # Honest tagging: "I applied it" or "it saved me hours" is still the learner's own
        # report, so it cannot claim the tiers of observed transfer or measured effects.
        raise DomainError(
            f"Question '{key}': a survey answer is the person's own account, so its LTEM tier "
            "is 3A (perceived effectiveness), 3B (satisfaction, reputation) or 2 (activity). "
            "Tiers 1 and 4–8 need recorded or observed evidence (attendance, a scored test, a "
            "completed task, a figure a manager or a system entered), not a survey.",
            field="ltem",
        )
    return {
        "key": key,
        "text": text,
        "help_text": str(spec.get("help_text", "")).strip()[:300],
        "type": spec["type"],
        "required": bool(spec.get("required", True)),
        "kirkpatrick": int(spec["kirkpatrick"]),
        "ltem": str(spec["ltem"]),
        "options": _check_options(spec, key),
    }


def _check_questions(questions: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    checked = [question_validate(spec=spec) for spec in questions]
    if not checked:
        raise DomainError("A survey needs at least one question.", field="questions")
    if len(checked) > MAX_QUESTIONS:
        raise DomainError(f"A survey has at most {MAX_QUESTIONS} questions.", field="questions")
    keys = [q["key"] for q in checked]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise DomainError(
            f"Question keys must be unique; repeated: {', '.join(duplicates)}.", field="questions"
        )
    return checked


def _write_template(
    *,
    family: str,
    version: int,
    name: str,
    description: str,
    kind: str,
    anonymous: bool,
    is_default: bool,
    questions: list[dict[str, Any]],
    actor: Person | None,
) -> SurveyTemplate:
    template = SurveyTemplate.objects.create(
        family=family,
        version=version,
        is_current=True,
        name=name,
        description=description,
        kind=kind,
        anonymous=anonymous,
        is_default=is_default,
        created_by=actor,
        created_at=timezone.now(),
    )
    Question.objects.bulk_create(
        Question(template=template, position=position, **question)
        for position, question in enumerate(questions, start=1)
    )
    return template


def _template_fields(name: str, kind: str) -> tuple[str, str]:
    name = name.strip()
    if not name or len(name) > 150:
        raise DomainError("A survey needs a name of at most 150 characters.", field="name")
    if kind not in Kind.values:
        raise DomainError(f"The kind must be one of {', '.join(Kind.values)}.", field="kind")
    return name, kind


_QUESTION_FIELDS = (
    "key",
    "text",
    "help_text",
    "type",
    "required",
    "kirkpatrick",
    "ltem",
    "options",
)


def _question_dicts(template: SurveyTemplate) -> list[dict[str, Any]]:
    """A template's questions in the shape `_check_questions` takes: what a new version or a
    copy starts from."""
    return [{f: getattr(q, f) for f in _QUESTION_FIELDS} for q in template.questions.all()]


@transaction.atomic
def survey_template_create(
    *,
    actor: Person,
    name: str,
    kind: str,
    questions: Sequence[Mapping[str, Any]],
    anonymous: bool = True,
    description: str = "",
) -> SurveyTemplate:
    """A new survey (a new family, version 1). Enablers only."""
    if not permissions.can_manage_templates(actor=actor):
        raise Forbidden("Only enablers create survey templates.")
    name, kind = _template_fields(name, kind)
    from django.utils.text import slugify

    base = slugify(name)[:60] or "survey"
    family, n = base, 1
    while SurveyTemplate.objects.filter(family=family).exists():
        n += 1
        family = f"{base}-{n}"
    return _write_template(
        family=family,
        version=1,
        name=name,
        description=description.strip(),
        kind=kind,
        anonymous=anonymous,
        is_default=False,
        questions=_check_questions(questions),
        actor=actor,
    )


@transaction.atomic
def survey_template_revise(
    *,
    template: SurveyTemplate,
    actor: Person,
    name: str | None = None,
    description: str | None = None,
    anonymous: bool | None = None,
    questions: Sequence[Mapping[str, Any]] | None = None,
) -> SurveyTemplate:
    """Edit a survey by writing its next version; the previous one is kept untouched.

    Answers point at the questions of the version they answered, so they and the standards
    they were judged by never change. Requests already made keep their version; new
    requests use the new one. Shipped templates are copied, not revised.
    """
    if not permissions.can_manage_templates(actor=actor):
        raise Forbidden("Only enablers edit survey templates.")
    current = SurveyTemplate.objects.select_for_update().get(pk=template.pk)
    if not current.is_current:
        raise Conflict(
            f"This is version {current.version}; edit the current version instead.", field="version"
        )
    if current.shipped:
        raise DomainError("Knowflow's own templates cannot be edited; copy one and edit the copy.")
    new_name, _ = _template_fields(name if name is not None else current.name, current.kind)
    if questions is None:
        questions = _question_dicts(current)
    checked = _check_questions(questions)
    SurveyTemplate.objects.filter(pk=current.pk).update(is_current=False, is_default=False)
    return _write_template(
        family=current.family,
        version=current.version + 1,
        name=new_name,
        description=(description if description is not None else current.description).strip(),
        kind=current.kind,
        anonymous=current.anonymous if anonymous is None else anonymous,
        is_default=current.is_default,
        questions=checked,
        actor=actor,
    )


@transaction.atomic
def survey_template_copy(*, template: SurveyTemplate, actor: Person, name: str) -> SurveyTemplate:
    """Start a new survey from an existing one (how enablers adapt the shipped templates)."""
    questions = _question_dicts(template)
    return survey_template_create(
        actor=actor,
        name=name,
        kind=template.kind,
        questions=questions,
        anonymous=template.anonymous,
        description=template.description,
    )


@transaction.atomic
def survey_template_make_default(*, template: SurveyTemplate, actor: Person) -> SurveyTemplate:
    """Use this template for new requests of its kind."""
    if not permissions.can_manage_templates(actor=actor):
        raise Forbidden("Only enablers choose the default surveys.")
    if not template.is_current:
        raise Conflict("Only the current version of a survey can be the default.")
    SurveyTemplate.objects.filter(kind=template.kind, is_default=True).exclude(
        pk=template.pk
    ).update(is_default=False)
    SurveyTemplate.objects.filter(pk=template.pk).update(is_default=True)
    template.is_default = True
    return template
