"""The programme page's filters: a GET form whose choices are the published programme's own
tracks, rooms and formats, so an unknown value gets a message that names it."""

from __future__ import annotations

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
