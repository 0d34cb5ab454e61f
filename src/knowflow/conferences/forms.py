"""The programme page's filters: a GET form whose choices are the published programme's own
tracks, rooms and formats, so an unknown value gets a message that names it."""

from __future__ import annotations

from typing import Any

from django import forms


class ProgrammeFilterForm(forms.Form):
    track = forms.ChoiceField(
        required=False,
        error_messages={"invalid_choice": "There is no track “%(value)s” in this programme."},
    )
    room = forms.ChoiceField(
        required=False,
        error_messages={"invalid_choice": "There is no room “%(value)s” in this programme."},
    )
    format = forms.ChoiceField(
        required=False,
        error_messages={"invalid_choice": "No talk in this programme has the format “%(value)s”."},
    )
    mine = forms.BooleanField(required=False, label="Only my agenda")

    def __init__(
        self,
        data: object,
        *,
        tracks: list[tuple[str, str]],
        rooms: list[str],
        formats: list[tuple[str, str]],
    ) -> None:
        super().__init__(data)  # type: ignore[arg-type]
        choices = {
            "track": [("", "Every track"), *tracks],
            "room": [("", "Every room"), *((room, room) for room in rooms)],
            "format": [("", "Every format"), *formats],
        }
        for name, options in choices.items():
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = options


def _room_label(obj: Any) -> str:
    return f"{obj.name}, {obj.office.name} ({obj.capacity} seats)"


class PlanSettingsForm(forms.Form):
    """The grid the automatic programme fills (the services check it again, by field)."""

    slot_times = forms.CharField(
        label="Periods: the start times of each day",
        max_length=400,
        required=False,
        help_text="In the conference's time zone, e.g. 09:30, 10:30, 11:30, 14:00, 15:00.",
    )
    slot_minutes = forms.IntegerField(
        label="Minutes per talk",
        min_value=5,
        max_value=480,
        error_messages={
            "invalid": "Give the minutes as a whole number, e.g. 45.",
            "min_value": "A talk lasts at least 5 minutes.",
            "max_value": "A talk lasts at most 480 minutes.",
        },
    )
    rooms: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label="Rooms",
        queryset=None,  # set in __init__
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "There is no such room. Choose from the list."},
    )

    def __init__(self, *args: object, rooms: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["rooms"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = rooms  # type: ignore[assignment]
        field.label_from_instance = _room_label  # type: ignore[method-assign]
