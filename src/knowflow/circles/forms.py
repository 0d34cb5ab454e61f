"""The circle picker other apps' forms use: circles named by name or slug."""

from __future__ import annotations

from django import forms

from knowflow.accounts.forms import PeopleField
from knowflow.circles.models import Circle
from knowflow.circles.selectors import circles_for_picker
from knowflow.pickers import PickerField


class CirclesField(PickerField):
    kind = "circles"
    default_help = "Type a circle's name."

    def resolve(self, entries: list[str]) -> list[Circle]:
        return circles_for_picker(entries=entries)


class MemberAddForm(forms.Form):
    """A champion adds one person, typed by name (or slug, or email)."""

    person = PeopleField(
        multiple=False, required=True, label="Add a member", help_text="Type their name."
    )
