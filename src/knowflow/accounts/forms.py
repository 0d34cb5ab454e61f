"""Forms for the profile page: parse input only; rules live in the services."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.db.models import Count

from knowflow.accounts.models import Office, OrgUnit, Person
from knowflow.accounts.selectors import people_for_picker
from knowflow.accounts.working_hours import WEEKDAYS, InvalidWorkingHours, WorkingHours
from knowflow.pickers import PickerField
from knowflow.topics.forms import TopicsField


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
    locale = forms.CharField(
        required=False,
        max_length=35,
        label="Number format",
        help_text="A locale such as de-CH or en-GB; empty: as your browser asks.",
    )
    skills = TopicsField(
        help_text="Topics you could teach or answer questions on; type to find them."
    )
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


class PeopleField(PickerField):
    """People named by name, slug or email, comma-separated (a picker: ``knowflow.pickers``).

    A text field rather than a select: an organisation of 20,000 people cannot be a list of
    options on every form. An entry matching nobody or several people is a form error naming
    it and the people it could be.
    """

    kind = "people"
    default_help = "Type names, separated by commas."

    def resolve(self, entries: list[str]) -> list[Person]:
        return people_for_picker(entries=entries)

    def labels_of(self, objects: list) -> list[str]:
        """Names, except where two people share one: then the slug, which is unambiguous."""
        names = [person.display_name for person in objects]
        shared = set(
            Person.objects.filter(display_name__in=names)
            .values("display_name")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .values_list("display_name", flat=True)
        )
        return [p.slug if p.display_name in shared else p.display_name for p in objects]


class PeopleFileForm(forms.Form):
    file = forms.FileField(
        label="People file (CSV)",
        help_text="A header row, then one line per person; UTF-8, commas or semicolons.",
    )
    deactivate_missing = forms.BooleanField(
        required=False,
        label="Deactivate the people who are not in the file",
        help_text="Active people with an email that the file does not mention; never you.",
    )
