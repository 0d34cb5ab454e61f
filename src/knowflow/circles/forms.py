"""The circle picker other apps' forms use, and the circle pages' own forms: the charter,
a proposal's review, a person's role, a hand-over."""

from __future__ import annotations

from django import forms

from knowflow.accounts.forms import PeopleField
from knowflow.circles.models import Circle, Membership
from knowflow.circles.selectors import circles_for_picker
from knowflow.pickers import PickerField
from knowflow.topics.forms import TopicsField


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


class CharterForm(forms.Form):
    """A circle's charter: what a starter writes and a champion edits."""

    name = forms.CharField(max_length=120, help_text="What people will call it.")
    mission = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="Why the circle exists, in a few sentences. Markdown.",
    )
    scope = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="What it covers and what it leaves to others. Markdown.",
    )
    cadence = forms.ChoiceField(
        choices=Circle.Cadence.choices,
        initial=Circle.Cadence.MONTHLY,
        help_text="How often it means to meet: its health compares the sessions held with this.",
    )
    visibility = forms.ChoiceField(
        choices=Circle.Visibility.choices, initial=Circle.Visibility.OPEN, label="Who can join"
    )
    topics = TopicsField(required=False)


class ReviewForm(forms.Form):
    """An enabler's decision on a proposed circle."""

    decision = forms.ChoiceField(
        choices=[("approve", "Approve: open the circle"), ("decline", "Decline")],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Needed to decline: the starter reads it in their email.",
    )


class RoleForm(forms.Form):
    """A champion names someone champion, facilitator or member (adding them if needed)."""

    person = PeopleField(multiple=False, required=True, label="Person", help_text="Type a name.")
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.FACILITATOR)


class HandOverForm(forms.Form):
    """A champion hands the circle to someone else and stays as a member."""

    person = PeopleField(
        multiple=False, required=True, label="Hand over to", help_text="Type their name."
    )
