"""Sessions, their occurrences, rooms, registrations and attendance.

Every datetime is stored in UTC. Invariants the database can hold (end after start, one
registration per person and occurrence) are constraints; the ones it cannot hold portably
(no two occurrences in one room at overlapping times, capacity) are enforced by the services
under a lock.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from knowflow.links import WebURLField


class Room(models.Model):
    office = models.ForeignKey("accounts.Office", on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(max_length=120)
    capacity = models.PositiveIntegerField()

    class Meta:
        ordering = ["office__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["office", "name"], name="room_name_unique_in_office")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.office})"


class Session(models.Model):
    class Format(models.TextChoices):
        TALK = "talk", "Talk"
        WORKSHOP = "workshop", "Workshop"
        LIGHTNING = "lightning", "Lightning talk"
        DEMO = "demo", "Demo"
        PANEL = "panel", "Panel"
        AMA = "ama", "Ask me anything"
        COURSE_MODULE = "course_module", "Course module"

    class Level(models.TextChoices):
        INTRODUCTORY = "introductory", "Introductory"
        INTERMEDIATE = "intermediate", "Intermediate"
        ADVANCED = "advanced", "Advanced"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        SCHEDULED = "scheduled", "Scheduled"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    abstract = models.TextField(blank=True, help_text="Markdown.")
    format = models.CharField(max_length=16, choices=Format.choices, default=Format.TALK)
    level = models.CharField(max_length=16, choices=Level.choices, default=Level.INTRODUCTORY)
    language = models.CharField(max_length=16, default="en")
    topics = models.ManyToManyField("topics.Topic", blank=True, related_name="sessions")
    speakers = models.ManyToManyField("accounts.Person", related_name="sessions_given")
    circle = models.ForeignKey(
        "circles.Circle", null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sessions_proposed",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status"]), models.Index(fields=["format"])]

    def __str__(self) -> str:
        return self.title

    @property
    def current_status(self) -> str:
        """The status as the clock has it: a scheduled session whose dates (those not
        cancelled) have all ended is done.

        Computed when read rather than stored by a periodic job, so a session is never shown
        "Scheduled" in the minutes after its last date ends, and the catalogue's "past" (dates
        that have ended) always agrees with it. Reads ``occurrences.all()``: callers that list
        sessions prefetch them. ``selectors.session_status_q`` is the same rule as a filter.
        """
        if self.status != self.Status.SCHEDULED:
            return self.status
        now = timezone.now()
        dates = [o for o in self.occurrences.all() if o.cancelled_at is None]
        if dates and all(o.end <= now for o in dates):
            return self.Status.DONE
        return self.status

    @property
    def current_status_label(self) -> str:
        return self.Status(self.current_status).label


class Occurrence(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="occurrences")
    start = models.DateTimeField()
    end = models.DateTimeField()
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.PROTECT, related_name="occurrences"
    )
    online_url = WebURLField(
        "online link", blank=True
    )  # http(s) only: it is a link on other people's pages
    capacity = models.PositiveIntegerField()
    # The iCalendar SEQUENCE (RFC 5545 3.8.7.4): raised on every change a calendar shows, so
    # clients that already hold this occurrence replace their copy instead of ignoring it.
    sequence = models.PositiveIntegerField(default=0)
    # One date of a session can be cancelled while the others still run.
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # The secret in this date's self check-in link (shown in the room and pasted in the online
    # meeting). Blank until an organiser first opens the check-in page; replaced when they
    # rotate it, which makes every copy of the old link stop working.
    checkin_token = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start", "id"]
        indexes = [
            # Covering for "the sessions with a date in this period" (the feedback programme).
            models.Index(fields=["start", "session"], name="occurrence_start_session"),
            models.Index(fields=["room", "start"]),
            models.Index(fields=["session", "start"]),
            # "The dates under way" (ended after now, started before): the catalogue's first
            # part, read without walking every past date.
            models.Index(fields=["end", "start"], name="occurrence_end_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="occurrence_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(room__isnull=False) | ~Q(online_url=""),
                name="occurrence_has_room_or_link",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session} at {self.start:%Y-%m-%d %H:%M} UTC"

    @property
    def mode(self) -> str:
        if self.room_id and self.online_url:
            return "hybrid"
        return "in the room" if self.room_id else "online"

    @property
    def has_started(self) -> bool:
        return self.start <= timezone.now()

    @property
    def is_over(self) -> bool:
        """Over once it has ended: no more registrations, and the catalogue lists it as past."""
        return self.end <= timezone.now()

    @property
    def is_cancelled(self) -> bool:
        """This date was cancelled, on its own or with its whole session."""
        return self.cancelled_at is not None or self.session.status == Session.Status.CANCELLED

    @property
    def modes(self) -> list[str]:
        """The ways one can be at this date: the attendance modes it offers (not the recording)."""
        offered: list[str] = []
        if self.room_id:
            offered.append(Attendance.Mode.ROOM)
        if self.online_url:
            offered.append(Attendance.Mode.ONLINE)
        return offered

    @property
    def duration_minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


class Registration(models.Model):
    class Status(models.TextChoices):
        GOING = "going", "Going"
        WAITLISTED = "waitlisted", "Waitlisted"
        CANCELLED = "cancelled", "Cancelled"

    occurrence = models.ForeignKey(
        Occurrence, on_delete=models.CASCADE, related_name="registrations"
    )
    person = models.ForeignKey(
        "accounts.Person", on_delete=models.CASCADE, related_name="registrations"
    )
    status = models.CharField(max_length=16, choices=Status.choices)
    # When the person (last) asked for a place: the waitlist is served in this order.
    requested_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["requested_at", "id"]
        indexes = [
            models.Index(fields=["occurrence", "status", "requested_at"]),
            models.Index(fields=["person", "status"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["occurrence", "person"], name="one_registration_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} → {self.occurrence} ({self.status})"


class Attendance(models.Model):
    class Mode(models.TextChoices):
        ROOM = "room", "In the room"
        ONLINE = "online", "Online"
        RECORDING = "recording", "Watched the recording"

    occurrence = models.ForeignKey(Occurrence, on_delete=models.CASCADE, related_name="attendances")
    person = models.ForeignKey(
        "accounts.Person", on_delete=models.CASCADE, related_name="attendances"
    )
    mode = models.CharField(max_length=16, choices=Mode.choices)
    # True when the person recorded it for themselves (watching the recording, which nobody
    # else sees): their own account, so evidence views count it as self-reported, not observed.
    self_reported = models.BooleanField(default=False)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurrence", "person"]
        constraints = [
            models.UniqueConstraint(
                fields=["occurrence", "person"], name="one_attendance_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} attended {self.occurrence} ({self.mode})"
