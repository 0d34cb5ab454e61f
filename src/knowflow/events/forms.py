"""Forms for proposing and editing sessions and scheduling occurrences."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django import forms
from django.utils import timezone

from knowflow.accounts.forms import timezone_choices
from knowflow.accounts.models import Person
from knowflow.circles.models import Circle
from knowflow.events.models import Attendance, Room, Session
from knowflow.topics.models import Topic


class SessionForm(forms.Form):
    title = forms.CharField(max_length=200)
    abstract = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), required=False, help_text="Markdown.")
    format = forms.ChoiceField(choices=Session.Format.choices)
    level = forms.ChoiceField(choices=Session.Level.choices)
    language = forms.CharField(max_length=16, initial="en")
    topics = forms.ModelMultipleChoiceField(queryset=Topic.objects.all(), required=False)
    speakers = forms.ModelMultipleChoiceField(
        queryset=Person.objects.all(), required=False, help_text="Leave empty to be the speaker yourself."
    )
    circle = forms.ModelChoiceField(queryset=Circle.objects.all(), required=False)


class SessionEditForm(SessionForm):
    status = forms.ChoiceField(choices=Session.Status.choices)


class OccurrenceForm(forms.Form):
    start = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    end = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
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
                value: datetime | None = data.get(field)
                if value is not None:
                    # The browser sends wall-clock time; it means that time in the chosen zone.
                    data[field] = timezone.make_aware(timezone.make_naive(value, timezone.get_current_timezone()), zone) if timezone.is_aware(value) else timezone.make_aware(value, zone)
        return data


class AttendanceForm(forms.Form):
    person = forms.ModelChoiceField(queryset=Person.objects.all())
    mode = forms.ChoiceField(choices=Attendance.Mode.choices)
