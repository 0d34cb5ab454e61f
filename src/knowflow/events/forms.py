"""Forms for proposing and editing sessions and scheduling occurrences."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

from django import forms
from django.utils import timezone

from knowflow.accounts.forms import PeopleField, timezone_choices
from knowflow.accounts.models import Person
from knowflow.circles.models import Circle
from knowflow.events.models import Attendance, Room, Session
from knowflow.topics.models import Topic


class SessionForm(forms.Form):
    title = forms.CharField(max_length=200)
    abstract = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}), required=False, help_text="Markdown."
    )
    format = forms.ChoiceField(choices=Session.Format.choices)
    level = forms.ChoiceField(choices=Session.Level.choices)
    language = forms.CharField(max_length=16, initial="en")
    topics = forms.ModelMultipleChoiceField(queryset=Topic.objects.all(), required=False)
    speakers = PeopleField(
        help_text="Page addresses of the speakers, comma-separated (e.g. ada-lovelace). "
        "Leave empty to be the speaker yourself."
    )
    circle = forms.ModelChoiceField(queryset=Circle.objects.all(), required=False)


class SessionEditForm(SessionForm):
    status = forms.ChoiceField(choices=Session.Status.choices)


class WallClockField(forms.DateTimeField):
    """A date and time as typed, with no zone: the form's ``zone`` field says which it is.

    Django would read it in the viewer's zone first, which refuses (or shifts) a time that
    does not exist or is ambiguous *there* although it is fine in the zone meant.
    """

    def to_python(self, value: object) -> datetime | None:
        with timezone.override(UTC):  # UTC has no gaps: this only parses
            result = super().to_python(value)
        return None if result is None else result.replace(tzinfo=None)


class OccurrenceForm(forms.Form):
    start = WallClockField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    end = WallClockField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    zone = forms.ChoiceField(choices=timezone_choices, label="Time zone of start and end")
    room = forms.ModelChoiceField(queryset=Room.objects.select_related("office"), required=False)
    online_url = forms.URLField(required=False, label="Online link", assume_scheme="https")
    capacity = forms.IntegerField(min_value=1)

    def clean(self) -> dict:
        data = super().clean()
        zone_name = data.get("zone")
        if zone_name:
            zone = zoneinfo.ZoneInfo(zone_name)
            for field in ("start", "end"):
                wall_clock: datetime | None = data.get(field)
                if wall_clock is None:
                    continue
                aware = wall_clock.replace(tzinfo=zone)
                # In the hour the clocks skip, a time does not exist: zoneinfo would quietly
                # move it by an hour, so say so instead. (An ambiguous time is its first pass.)
                if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall_clock:
                    self.add_error(
                        field,
                        f"{wall_clock:%H:%M} does not exist in {zone_name} on "
                        f"{wall_clock:%-d %b %Y}: the clocks go forward then.",
                    )
                else:
                    data[field] = aware
        return data


class AttendanceForm(forms.Form):
    person = forms.ModelChoiceField(queryset=Person.objects.all())
    mode = forms.ChoiceField(choices=Attendance.Mode.choices)
