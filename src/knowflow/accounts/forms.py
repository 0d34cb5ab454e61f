"""Forms for the profile page: parse input only; rules live in the services."""

from __future__ import annotations

import zoneinfo

from django import forms

from knowflow.accounts.models import Office, OrgUnit, Person
from knowflow.accounts.working_hours import WEEKDAYS, InvalidWorkingHours, WorkingHours
from knowflow.topics.models import Topic


def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class ProfileForm(forms.Form):
    display_name = forms.CharField(max_length=150)
    timezone = forms.ChoiceField(
        choices=timezone_choices, help_text="IANA time zone, e.g. Asia/Kolkata."
    )
    office = forms.ModelChoiceField(queryset=Office.objects.all(), required=False)
    org_unit = forms.ModelChoiceField(
        queryset=OrgUnit.objects.all(), required=False, label="Org unit"
    )
    languages = forms.CharField(required=False, help_text="Comma-separated codes, e.g. en, de.")
    skills = forms.ModelMultipleChoiceField(queryset=Topic.objects.all(), required=False)
    bio = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for index, day in enumerate(WEEKDAYS):
            self.fields[f"hours_{index}"] = forms.CharField(
                label=day,
                required=False,
                help_text="e.g. 09:00-17:00; empty for a day off; 22:00-06:00 crosses midnight.",
            )

    def clean(self) -> dict:
        data = super().clean()
        try:
            hours = WorkingHours.from_text([data.get(f"hours_{i}", "") or "" for i in range(7)])
            data["working_hours"] = hours.to_json()
        except InvalidWorkingHours as error:
            self.add_error(None, str(error))
        data["language_list"] = [
            c.strip() for c in (data.get("languages") or "").split(",") if c.strip()
        ]
        return data


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, label="Token name")


class PeopleField(forms.CharField):
    """People named by their page address (slug), comma-separated.

    A text field rather than a select: an organisation of 20,000 people cannot be a list of
    options on every form. Unknown slugs are a form error naming them.
    """

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value: object) -> object:
        if isinstance(value, (list, tuple)) or hasattr(value, "model"):
            return ", ".join(person.slug for person in value)  # type: ignore[union-attr]
        return value

    def clean(self, value: object) -> list[Person]:
        text = super().clean(value) or ""
        slugs = list(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
        found = {person.slug: person for person in Person.objects.filter(slug__in=slugs)}
        missing = [slug for slug in slugs if slug not in found]
        if missing:
            raise forms.ValidationError(f"Unknown people: {', '.join(missing)}.")
        return [found[slug] for slug in slugs]
