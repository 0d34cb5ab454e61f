"""The events a webhook may subscribe to: their names (part of the public contract, documented
in docs/integrations.md, never renamed) and the words the settings page shows for them."""

from __future__ import annotations

# name -> what the settings page says about it. The order is the page's.
EVENTS: dict[str, str] = {
    "session.scheduled": "A session is scheduled (its first date is added)",
    "occurrence.changed": "A date is added to a session or moved",
    "occurrence.cancelled": "A date is cancelled (also each future date of a cancelled session)",
    "registration.created": "Someone registers for a date (going or waitlisted)",
    "attendance.recorded": "Attendance is recorded (in the room, online or the recording)",
    "recording.published": "A recording of a session is published in the library",
    "path.completed": "Someone completes a learning path",
    "person.deactivated": "A person is deactivated (SCIM, the people file or an admin)",
}

# Sent only by the "Send a ping" button, to the one webhook it is pressed for.
PING = "ping"

EVENT_CHOICES: list[tuple[str, str]] = [
    (name, f"{name}: {words}") for name, words in EVENTS.items()
]
