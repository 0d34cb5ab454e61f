"""Pickers: form fields that name people, topics, circles and sessions by name.

One field, two ways in. Without JavaScript it is a plain text field taking names (or
slugs, or a person's email) separated by commas, resolved on the server: an entry that
matches nobody, or several people, is a form error naming it and listing who it could
be, and nothing is saved. With JavaScript, ``picker.js`` turns the same field into a
WAI-ARIA combobox whose suggestions come from ``/pick/<kind>/`` (``web.views``) and whose
choices are chips; it still submits the same comma-separated text, so the server path is
the only one that decides.

Each domain says how its things are found (``<app>.selectors``); this module knows none
of them, only how to ask and how to word a refusal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django import forms
from django.db.models import Case, Model, Q, QuerySet, Value, When
from django.urls import reverse

from knowflow.errors import DomainError

SUGGESTIONS = 8  # options in a picker's list: enough to see the namesakes, short to read out
M = TypeVar("M", bound=Model)

SHOWN_MATCHES = 5  # candidates listed in a refusal
_NUMBERS = ("Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten")


def initials(name: str) -> str:
    """Up to two letters standing in for a face (Knowflow keeps no photos)."""
    words = [w for w in name.replace("-", " ").split() if w[:1].isalnum()]
    return "".join(w[0] for w in words[:2]).upper()


@dataclass(frozen=True)
class PickerOption:
    """One suggestion: what the field receives, what a person reads, what tells namesakes apart."""

    value: str  # the slug: unambiguous when sent back
    label: str  # the name
    detail: str = ""  # org unit and zone, a circle's size, a session's format and status

    @property
    def initials(self) -> str:
        return initials(self.label)

    def as_json(self) -> dict[str, str]:
        return {
            "value": self.value,
            "label": self.label,
            "detail": self.detail,
            "initials": self.initials,
        }


@dataclass(frozen=True)
class Nouns:
    """How a refusal names the things picked: "person"/"people", "topic"/"topics"."""

    one: str
    many: str
    nobody: str  # "No one", "No topic"


def split_entries(text: str) -> list[str]:
    """Comma-separated entries, trimmed, empty ones dropped, each once, in the order given."""
    return list(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))


def _count_word(n: int) -> str:
    return _NUMBERS[n - 2] if 2 <= n <= len(_NUMBERS) + 1 else str(n)


def resolve_names(
    *,
    queryset: QuerySet[M],
    entries: Sequence[str],
    nouns: Nouns,
    name_field: str = "name",
    exact_keys: Callable[[str], Q] = lambda text: Q(slug=text),
    describe: Callable[[M], str] = str,
) -> list[M]:
    """The one object each entry means, in the order given; DomainError naming every entry
    that matches nobody or several objects (all of them in one message, so one correction
    fixes the form).

    An entry is first an exact key (a slug; for people an email too), then a whole name
    (case-insensitive), then a unique part of a name.
    """
    found: list[M] = []
    problems: list[str] = []
    for text in entries:
        exact = list(queryset.filter(exact_keys(text))[:2])
        if len(exact) == 1:
            found.append(exact[0])
            continue
        named = list(queryset.filter(**{f"{name_field}__iexact": text})[: SHOWN_MATCHES + 1])
        if len(named) == 1:
            found.append(named[0])
            continue
        if named:
            count = queryset.filter(**{f"{name_field}__iexact": text}).count()
            shown = "; ".join(describe(item) for item in named[:SHOWN_MATCHES])
            name = getattr(named[0], name_field)
            problems.append(
                f"{_count_word(count)} {nouns.many} are called {name}: {shown}. "
                f"Type the address (slug) of the one you mean."
            )
            continue
        partial = list(queryset.filter(**{f"{name_field}__icontains": text})[: SHOWN_MATCHES + 1])
        if len(partial) == 1:
            found.append(partial[0])
        elif not partial:
            problems.append(f"{nouns.nobody} called “{text}” was found.")
        else:
            shown = "; ".join(describe(item) for item in partial[:SHOWN_MATCHES])
            more = " and more" if len(partial) > SHOWN_MATCHES else ""
            problems.append(
                f"Several {nouns.many} match “{text}”: {shown}{more}. Type the full name."
            )
    if problems:
        raise DomainError(" ".join(problems))
    return list(dict.fromkeys(found))


def suggest_by_name(*, queryset: QuerySet, text: str, name_field: str = "name") -> QuerySet:
    """Objects whose name contains ``text``, those starting with it first, then by name."""
    text = text.strip()[:100]
    if not text:
        return queryset.none()
    prefix_first = Case(
        When(**{f"{name_field}__istartswith": text}, then=Value(0)), default=Value(1)
    )
    return (
        queryset.filter(**{f"{name_field}__icontains": text})
        .annotate(picker_rank=prefix_first)
        .order_by("picker_rank", name_field, "pk")[:SUGGESTIONS]
    )


class PickerInput(forms.TextInput):
    """A text field marked for ``picker.js``: which suggestions to ask for, one or several."""

    def __init__(self, *, kind: str, multiple: bool, attrs: dict | None = None) -> None:
        self.kind = kind
        super().__init__(
            attrs={
                "data-picker": kind,
                "data-picker-multiple": "true" if multiple else "false",
                "autocomplete": "off",
                **(attrs or {}),
            }
        )

    def get_context(self, name: str, value: object, attrs: dict | None) -> dict:
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["data-picker-url"] = reverse("picker", args=[self.kind])
        return context


class PickerField(forms.CharField):
    """Comma-separated names resolved by ``resolve`` (a selector); one or several objects.

    Subclasses set ``kind`` (the suggestions endpoint) and ``resolve``; ``label_of`` says
    how an object already chosen is written back into the field.
    """

    kind = ""
    default_help = ""

    def __init__(self, *, multiple: bool = True, **kwargs: Any) -> None:
        self.multiple = multiple
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", self.default_help)
        kwargs.setdefault("widget", PickerInput(kind=self.kind, multiple=multiple))
        super().__init__(**kwargs)

    def resolve(self, entries: list[str]) -> list:
        raise NotImplementedError

    def labels_of(self, objects: list) -> list[str]:
        return [str(obj) for obj in objects]

    def prepare_value(self, value: object) -> object:
        if isinstance(value, Model):
            return ", ".join(self.labels_of([value]))
        if isinstance(value, QuerySet) or (
            isinstance(value, Iterable) and not isinstance(value, str)
        ):
            items = list(value)
            if all(isinstance(item, Model) for item in items):
                return ", ".join(self.labels_of(items))
        return value

    def clean(self, value: object) -> object:
        text = super().clean(value) or ""
        entries = split_entries(text)
        if not entries:
            return [] if self.multiple else None
        if not self.multiple and len(entries) > 1:
            raise forms.ValidationError(f"Pick only one; you named {len(entries)}.")
        try:
            found = self.resolve(entries)
        except DomainError as error:
            raise forms.ValidationError(error.message) from error
        return found if self.multiple else found[0]
