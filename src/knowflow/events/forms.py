"""Forms for proposing and editing sessions and scheduling occurrences."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

from django import forms
from django.utils import timezone

from knowflow.accounts.forms import PeopleField, timezone_choices
from knowflow.accounts.models import Person
from knowflow.circles.forms import CirclesField
from knowflow.events.models import Attendance, Room, Session
from knowflow.events.planning.rooms import RoomChoice, RoomOption
from knowflow.events.selectors import sessions_for_picker
from knowflow.languages import language_choices
from knowflow.links import WebURLFormField
from knowflow.pickers import PickerField
from knowflow.topics.forms import TopicsField


class SessionForm(forms.Form):
    title = forms.CharField(max_length=200)
    abstract = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}), required=False, help_text="Markdown."
    )
    format = forms.ChoiceField(choices=Session.Format.choices)
    level = forms.ChoiceField(choices=Session.Level.choices)
    language = forms.ChoiceField(choices=language_choices, initial="en")
    topics = TopicsField()
    speakers = PeopleField(
        help_text="Type the speakers' names, separated by commas. "
        "Leave empty to be the speaker yourself."
    )
    circle = CirclesField(multiple=False, help_text="The circle hosting it, if any.")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # A session stored with a code Django does not name keeps it as an option.
        current = self.data.get("language") if self.is_bound else self.initial.get("language")
        self.fields["language"].choices = language_choices(keep=str(current or ""))


class SessionEditForm(SessionForm):
    status = forms.ChoiceField(
        choices=[c for c in Session.Status.choices if c[0] != Session.Status.CANCELLED],
        help_text="To cancel the session, use “Cancel this session” on its page: it says who "
        "will be told first.",
    )

    def __init__(
        self, *args: object, status: str = "", with_status: bool = True, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)
        if not with_status:
            del self.fields["status"]
        elif status == Session.Status.CANCELLED:  # kept, or changed to reinstate the session
            self.fields["status"].choices = Session.Status.choices


class WallClockField(forms.DateTimeField):
    """A date and time as typed, with no zone: the form's ``zone`` field says which it is.

    Django would read it in the viewer's zone first, which refuses (or shifts) a time that
    does not exist or is ambiguous *there* although it is fine in the zone meant.
    """

    def to_python(self, value: object) -> datetime | None:
        with timezone.override(UTC):  # UTC has no gaps: this only parses
            result = super().to_python(value)
        return None if result is None else result.replace(tzinfo=None)


class RoomSelect(forms.Select):
    """A select whose unavailable rooms stay visible, disabled, with the reason in their label."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.disabled_values: set[str] = set()

    def create_option(self, name: str, value: object, *args: object, **kwargs: object) -> dict:
        option = super().create_option(name, value, *args, **kwargs)
        if str(value) in self.disabled_values:
            option["attrs"]["disabled"] = True
        return option


class RoomChoiceField(forms.ModelChoiceField):
    # Every room is a valid value, offered or not: posting a taken room anyway reaches the
    # service, which refuses it with a message naming the booking (nothing is written).
    widget = RoomSelect

    def label_from_instance(self, obj: Room) -> str:
        return f"{obj.name}, {obj.office.name} · {obj.capacity} seats"


def room_option_reason(option: RoomOption, *, zone: zoneinfo.ZoneInfo) -> str:
    """Why a room is (not) offered: ``free``, ``taken: “Kafka basics” Mon 3 Jun 10:00–11:00
    (Europe/Lisbon)`` (in the viewer's zone) or ``too small: 30 seats needed``."""
    if option.clash is not None:
        start, end = option.clash.start.astimezone(zone), option.clash.end.astimezone(zone)
        return (
            f"taken: “{option.clash.session.title}” {start:%a %-d %b %H:%M}–{end:%H:%M} "
            f"({zone.key})"
        )
    if not option.large_enough:
        return f"too small: {option.seats_needed} seats needed"
    return "free"


def room_option_label(option: RoomOption, *, zone: zoneinfo.ZoneInfo) -> str:
    """``Tagus, Lisbon · 30 seats · free · 8 people of the audience here · suggested``."""
    room = option.room
    parts = [
        f"{room.name}, {room.office.name}",
        f"{room.capacity} seats",
        room_option_reason(option, zone=zone),
    ]
    if option.audience_here:
        people = "person" if option.audience_here == 1 else "people"
        parts.append(f"{option.audience_here} {people} of the audience here")
    if option.suggested:
        parts.append("suggested")
    return " · ".join(parts)


ROOM_HELP = (
    "Type the time, then press “Check rooms for this time”: the rooms free then and large "
    "enough come first."
)


class OccurrenceForm(forms.Form):
    start = WallClockField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    end = WallClockField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    zone = forms.ChoiceField(choices=timezone_choices, label="Time zone of start and end")
    room = RoomChoiceField(
        queryset=Room.objects.select_related("office"),
        required=False,
        empty_label="No room (online only)",
        help_text=ROOM_HELP,
    )
    online_url = WebURLFormField(required=False, label="Online link")
    capacity = forms.IntegerField(min_value=1, max_value=1_000_000)

    def typed_times(self) -> tuple[datetime, datetime] | None:
        """Start and end as aware datetimes, once `is_valid` has read them without error."""
        data = getattr(self, "cleaned_data", {})
        start, end = data.get("start"), data.get("end")
        if not (isinstance(start, datetime) and isinstance(end, datetime)):
            return None
        return (start, end) if start.tzinfo is not None and end.tzinfo is not None else None

    def offer_rooms(self, choice: RoomChoice, *, zone: zoneinfo.ZoneInfo, checking: bool) -> None:
        """List the rooms for the typed time: offered ones best first, the others disabled with
        their reason. A chosen room that is not offered is replaced by the suggested one (a
        disabled option would silently send no room), saying why."""
        field = self.fields["room"]
        groups = [
            ("Free and large enough, best first", choice.offered),
            ("Not available then", choice.refused),
        ]
        field.widget.choices = [("", field.empty_label)] + [
            (label, [(o.room.pk, room_option_label(o, zone=zone)) for o in options])
            for label, options in groups
            if options
        ]
        field.widget.disabled_values = {str(o.room.pk) for o in choice.refused}
        start, end = choice.start.astimezone(zone), choice.end.astimezone(zone)
        when = f"{start:%a %-d %b %Y, %H:%M}–{end:%H:%M} ({zone.key})"
        if choice.offered:
            help_text = (
                f"{len(choice.offered)} of {len(choice.options)} rooms are free and large "
                f"enough on {when}: in the office where most of the expected audience works "
                "first, then the smallest that fits."
            )
        else:
            help_text = f"No room is free and large enough on {when}."
        # The bound field copied the help text when validation created it.
        field.help_text = self["room"].help_text = help_text
        chosen = self.data.get("room", "")
        current = next((o for o in choice.options if str(o.room.pk) == chosen), None)
        if current is None and not (checking and chosen == ""):
            return
        if current is not None and current.offered:
            return
        suggested = choice.suggested
        self.data = self.data.copy()
        self.data["room"] = str(suggested.room.pk) if suggested is not None else ""
        if current is not None and not self.has_error("room"):
            instead = (
                f" Suggested instead: {suggested.room.name}, {suggested.room.office.name}."
                if suggested is not None
                else ""
            )
            self.add_error(
                "room",
                f"{current.room.name} is {room_option_reason(current, zone=zone)}.{instead}",
            )

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


class SessionsField(PickerField):
    """Sessions named by title or slug (a picker: ``knowflow.pickers``)."""

    kind = "sessions"
    default_help = "Type a session's title."

    def resolve(self, entries: list[str]) -> list[Session]:
        return sessions_for_picker(entries=entries)

    def labels_of(self, objects: list) -> list[str]:
        """Titles, except where a title would not come back as this one session: shared by
        two sessions (a talk given again), or holding a comma (the field splits entries on
        commas). Then the slug, so a form shown again with its session saves as it was."""
        return [
            s.slug
            if "," in s.title or Session.objects.filter(title__iexact=s.title).count() > 1
            else s.title
            for s in objects
        ]
