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
        help_text="In the conference's time zone, e.g. 09:30, 10:30, 11:30, 14:00, 15:00; a "
        "longer period with its end, e.g. 13:30-15:00 for workshops.",
    )
    slot_minutes = forms.IntegerField(
        label="Minutes per period (and per talk)",
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
        from knowflow.events.models import Session

        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["rooms"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = rooms  # type: ignore[assignment]
        field.label_from_instance = _room_label  # type: ignore[method-assign]
        for value, label in Session.Format.choices:
            self.fields[f"minutes_{value}"] = forms.IntegerField(
                label=f"Minutes for “{label}”",
                required=False,
                min_value=5,
                max_value=480,
                help_text="Empty: the minutes per period.",
                error_messages={
                    "invalid": "Give the minutes as a whole number, e.g. 90.",
                    "min_value": f"“{label}” lasts at least 5 minutes.",
                    "max_value": f"“{label}” lasts at most 480 minutes.",
                },
            )

    def format_minutes(self) -> dict[str, int]:
        from knowflow.events.models import Session

        return {
            value: self.cleaned_data[f"minutes_{value}"]
            for value in Session.Format.values
            if self.cleaned_data.get(f"minutes_{value}") is not None
        }


class CallForm(forms.Form):
    """The call for proposals, as an organiser sets it (times in their own zone)."""

    opens_at = forms.DateTimeField(
        label="Opens",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="In your time zone (your profile's).",
        error_messages={"invalid": "Give a date and time, e.g. 2027-01-10 09:00."},
    )
    closes_at = forms.DateTimeField(
        label="Closes",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Proposals can be written and changed until then.",
        error_messages={"invalid": "Give a date and time, e.g. 2027-01-31 18:00."},
    )
    formats = forms.MultipleChoiceField(
        label="Formats it takes",
        choices=[],
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose at least one format the call takes.",
            "invalid_choice": "There is no format %(value)s. Choose from the list.",
        },
    )
    questions = forms.CharField(
        label="Questions every proposal answers (one a line)",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=3400,
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        from knowflow.events.models import Session

        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["formats"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = Session.Format.choices


class ProposalForm(forms.Form):
    """A proposal as its speaker writes it; the call's questions are added as fields."""

    title = forms.CharField(max_length=200)
    abstract = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=5000,
        help_text="What people will learn, for whom. Markdown. Reviewers read it without your "
        "name.",
    )
    format = forms.ChoiceField(choices=[])
    level = forms.ChoiceField(choices=[])
    track = forms.ChoiceField(choices=[], required=False)
    co_speakers = forms.CharField(required=False)  # replaced by a people picker in __init__
    available_days = forms.MultipleChoiceField(
        label="Days you can give it (the conference's days)",
        choices=[],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={"invalid_choice": "%(value)s is not a day of the conference."},
    )
    available_from = forms.TimeField(
        label="Earliest start (your time)",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "Give a time like 09:00."},
    )
    available_until = forms.TimeField(
        label="Latest end (your time; earlier than the start if it runs past your midnight)",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "Give a time like 17:00."},
    )

    def __init__(
        self,
        *args: object,
        formats: list[tuple[str, str]],
        tracks: list[tuple[str, str]],
        days: list[tuple[str, str]],
        questions: list[str],
        zone: str,
        **kwargs: object,
    ) -> None:
        from knowflow.accounts.forms import PeopleField
        from knowflow.events.models import Session

        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        choices = {
            "format": formats,
            "level": list(Session.Level.choices),
            "track": [("", "No track"), *tracks],
            "available_days": days,
        }
        for name, options in choices.items():
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = options
        if not tracks:
            del self.fields["track"]
        self.fields["co_speakers"] = PeopleField(
            label="Co-speakers (optional)",
            help_text="Colleagues giving it with you: they are asked to confirm.",
        )
        for field_name in ("available_from", "available_until"):
            self.fields[field_name].help_text = f"In your time zone, {zone}."
        self.questions = questions
        for n, question in enumerate(questions):
            self.fields[f"answer_{n}"] = forms.CharField(
                label=question,
                widget=forms.Textarea(attrs={"rows": 3}),
                required=False,
                max_length=2000,
                help_text="Needed to submit; a draft may leave it empty.",
            )

    def answers(self) -> dict[str, str]:
        return {q: self.cleaned_data.get(f"answer_{n}", "") for n, q in enumerate(self.questions)}


class ConferenceForm(forms.Form):
    """A conference's details, as an organiser writes them (the services check them again)."""

    name = forms.CharField(max_length=120)
    slug = forms.CharField(
        label="Short name",
        max_length=50,
        required=False,
        help_text="Lower-case letters, digits and hyphens, e.g. devdays-2027: the start of the "
        "programme's export addresses. Made from the name when left empty; it cannot change "
        "later.",
    )
    timezone = forms.ChoiceField(
        label="Time zone", help_text="Where it happens, e.g. Europe/Berlin."
    )
    starts_on = forms.DateField(
        label="First day",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Give a date, e.g. 2027-03-09."},
    )
    ends_on = forms.DateField(
        label="Last day",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Give a date, e.g. 2027-03-10."},
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=5000,
        help_text="Markdown.",
    )

    def __init__(self, *args: object, editing: bool = False, **kwargs: object) -> None:
        from knowflow.accounts.forms import timezone_choices

        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["timezone"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = timezone_choices()
        if editing:
            del self.fields["slug"]


class TrackForm(forms.Form):
    name = forms.CharField(label="Track", max_length=80)
    colour = forms.CharField(
        max_length=7,
        initial="#1f5fbf",
        widget=forms.TextInput(attrs={"type": "color"}),
        help_text="The colour schedule apps draw it in.",
    )


class TalkAddForm(forms.Form):
    """An existing session put into the conference as a talk."""

    session = forms.CharField()  # replaced by a sessions picker in __init__
    track = forms.ChoiceField(choices=[], required=False)

    def __init__(self, *args: object, tracks: list[tuple[str, str]], **kwargs: object) -> None:
        from knowflow.events.forms import SessionsField

        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["session"] = SessionsField(
            multiple=False, required=True, label="Session", help_text="Type its title."
        )
        field = self.fields["track"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "No track"), *tracks]
