"""The JSON a webhook receives: one envelope per event and per webhook,

    {"id": "<uuid of this delivery>", "type": "session.scheduled",
     "created_at": "2026-12-03T18:00:00Z", "data": {...}}

with ``data`` built here from the domain's rows. These fields are a public contract, documented
with an example each in docs/integrations.md: add fields, never rename or remove one. Times are
UTC in ISO 8601 with a ``Z``; page links are absolute, from ``KNOWFLOW_BASE_URL``.

Builders read only what they are given and its direct relations (a session's topics, circle and
speakers), so a receiver of a domain signal stays cheap.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.urls import reverse

if TYPE_CHECKING:
    from knowflow.accounts.models import Person
    from knowflow.events.models import Attendance, Occurrence, Registration, Session
    from knowflow.library.models import Collection, Resource

JSON = dict[str, Any]


def utc_iso(moment: datetime | None) -> str | None:
    """``2026-12-03T18:00:00Z``: the one time format of every payload."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def page_url(name: str, *args: object) -> str:
    return settings.KNOWFLOW_BASE_URL + reverse(name, args=args)


def envelope(*, event: str, data: JSON, now: datetime) -> str:
    """The body of one delivery, as the JSON text that is signed and sent (keys in a fixed
    order, so a stored body is byte for byte what was signed)."""
    return json.dumps(
        {"id": str(uuid.uuid4()), "type": event, "created_at": utc_iso(now), "data": data},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def person_data(person: Person) -> JSON:
    return {
        "id": person.pk,
        "slug": person.slug,
        "name": person.display_name,
        "email": person.email or None,
        "url": page_url("accounts:person", person.slug),
    }


def session_data(session: Session) -> JSON:
    circle = session.circle
    return {
        "id": session.pk,
        "slug": session.slug,
        "title": session.title,
        "format": session.format,
        "level": session.level,
        "language": session.language,
        "status": session.status,
        "url": page_url("events:session", session.slug),
        "circle": ({"id": circle.pk, "slug": circle.slug, "name": circle.name} if circle else None),
        "topics": [
            {"id": topic.pk, "slug": topic.slug, "name": topic.name}
            for topic in sorted(session.topics.all(), key=lambda topic: topic.name)
        ],
        "speakers": [
            {"id": person.pk, "slug": person.slug, "name": person.display_name}
            for person in sorted(session.speakers.all(), key=lambda person: person.display_name)
        ],
    }


def occurrence_data(occurrence: Occurrence) -> JSON:
    room = occurrence.room
    return {
        "id": occurrence.pk,
        "session_id": occurrence.session_id,
        "start": utc_iso(occurrence.start),
        "end": utc_iso(occurrence.end),
        "mode": {"hybrid": "hybrid", "online": "online"}.get(occurrence.mode, "room"),
        "room": room.name if room else None,
        "online_url": occurrence.online_url or None,
        "capacity": occurrence.capacity,
        # Cancelled on its own, or with its whole session.
        "cancelled": occurrence.cancelled_at is not None
        or occurrence.session.status == "cancelled",
        "sequence": occurrence.sequence,
        "url": page_url("events:session", occurrence.session.slug),
    }


def session_scheduled(session: Session) -> JSON:
    dates = [o for o in session.occurrences.all() if o.cancelled_at is None]
    return {"session": session_data(session), "occurrences": [occurrence_data(o) for o in dates]}


def occurrence_changed(occurrence: Occurrence, change: str) -> JSON:
    return {
        "change": change,
        "occurrence": occurrence_data(occurrence),
        "session": session_data(occurrence.session),
    }


def occurrence_cancelled(occurrence: Occurrence) -> JSON:
    return {"occurrence": occurrence_data(occurrence), "session": session_data(occurrence.session)}


def registration_created(registration: Registration) -> JSON:
    occurrence = registration.occurrence
    return {
        "registration": {
            "id": registration.pk,
            "status": registration.status,
            "requested_at": utc_iso(registration.requested_at),
        },
        "person": person_data(registration.person),
        "occurrence": occurrence_data(occurrence),
        "session": session_data(occurrence.session),
    }


def attendance_recorded(attendance: Attendance) -> JSON:
    occurrence = attendance.occurrence
    return {
        "attendance": {
            "id": attendance.pk,
            "mode": attendance.mode,
            "self_reported": attendance.self_reported,
        },
        "person": person_data(attendance.person),
        "occurrence": occurrence_data(occurrence),
        "session": session_data(occurrence.session),
    }


def recording_published(resource: Resource) -> JSON:
    session = resource.session
    return {
        "resource": {
            "id": resource.pk,
            "slug": resource.slug,
            "title": resource.title,
            "kind": resource.kind,
            "url": page_url("library:resource", resource.slug),
            "link": resource.url or None,
        },
        "session": session_data(session) if session else None,
        "occurrence_id": resource.occurrence_id,
    }


def path_completed(collection: Collection, person: Person) -> JSON:
    return {
        "path": {
            "id": collection.pk,
            "slug": collection.slug,
            "title": collection.title,
            "url": page_url("library:collection", collection.slug),
        },
        "person": person_data(person),
    }


def person_deactivated(person: Person) -> JSON:
    return {
        "person": person_data(person),
        "deactivated_at": utc_iso(getattr(person, "deactivated_at", None)),
    }


def ping(*, webhook_id: int) -> JSON:
    return {"webhook_id": webhook_id, "message": "A test delivery sent from the webhook's page."}
