"""The xAPI 2.0.0 statements Knowflow sends (IEEE 9274.1.1), built from our rows.

Three statements, each with the ADL verb an LRS already understands:

- *attended* a session's date (`http://adlnet.gov/expapi/verbs/attended`), with how: in the
  room, online or the recording, in a context extension;
- *completed* a learning path (`http://adlnet.gov/expapi/verbs/completed`);
- *answered* a follow-up's "have you applied it?" saying they did
  (`http://adlnet.gov/expapi/verbs/answered`, the question as the object and the session as
  its parent) — only when the person asked for it, see `services.xapi_follow_up_submit`.

Every id is an IRI under `KNOWFLOW_BASE_URL`, the organisation's own address, so activities
are stable (a session is `{base}/sessions/{slug}/`, its page) and extensions are IRIs it
controls. A statement's id is a UUID 5 of what it says (which person, which date or path), so
the same fact queued twice, or a POST retried after a lost answer, is one statement at the LRS.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from knowflow.accounts.models import Person
from knowflow.events.models import Attendance, Occurrence, Session
from knowflow.library.models import Collection
from knowflow.topics.models import Topic

XAPI_VERSION = "2.0.0"
PLATFORM = "Knowflow"

ATTENDED = {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en-US": "attended"}}
COMPLETED = {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}}
ANSWERED = {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}}

MEETING = "http://adlnet.gov/expapi/activities/meeting"
MODULE = "http://adlnet.gov/expapi/activities/module"
COURSE = "http://adlnet.gov/expapi/activities/course"
QUESTION = "http://adlnet.gov/expapi/activities/question"

# How a person attended, in words an LRS report can show as they are.
MODES: dict[str, str] = {
    Attendance.Mode.ROOM: "in person",
    Attendance.Mode.ONLINE: "online",
    Attendance.Mode.RECORDING: "recording",
}

# A language tag (RFC 5646, the shape only): a session's language is typed by people, and a
# language map keyed by anything else would make the LRS refuse the whole statement.
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
# Fixed for Knowflow: with the installation's base URL it names every statement id, so two
# installations writing to one LRS never share an id.
_NAMESPACE = uuid.UUID("ece2e4ef-0880-47ce-9cab-7c9cbb44964d")


def statement_id(base_url: str, *parts: object) -> str:
    """A deterministic statement id: the same fact gives the same UUID every time."""
    namespace = uuid.uuid5(_NAMESPACE, base_url)
    return str(uuid.uuid5(namespace, ":".join(str(part) for part in parts)))


def registration_id(base_url: str, *, occurrence_id: int, person_id: int) -> str:
    """xAPI's `context.registration` for one person at one date: their attendance and the
    follow-ups about it carry the same one, so an LRS can put them together."""
    return statement_id(base_url, "registration", occurrence_id, person_id)


def language(code: str) -> str:
    code = (code or "").strip()
    return code if _LANGUAGE_TAG.match(code) else "und"


def timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, to the millisecond (xAPI keeps at least that)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def duration(length: timedelta) -> str:
    """An ISO 8601 duration such as PT1H30M."""
    seconds = max(0, int(length.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    return text + (f"{seconds}S" if seconds or text == "PT" else "")


def agent(person: Person, *, base_url: str) -> dict[str, Any]:
    """The person as an Agent: their email (mbox) when they have one — how the company's other
    systems know them — else their Knowflow account."""
    found: dict[str, Any] = {"objectType": "Agent", "name": person.display_name}
    if person.email:
        found["mbox"] = f"mailto:{person.email}"
    else:
        found["account"] = {"homePage": f"{base_url}/", "name": person.slug}
    return found


def session_activity(session: Session, *, base_url: str) -> dict[str, Any]:
    url = f"{base_url}/sessions/{session.slug}/"
    return {
        "objectType": "Activity",
        "id": url,
        "definition": {
            "name": {language(session.language): session.title},
            "type": MODULE if session.format == Session.Format.COURSE_MODULE else MEETING,
            "moreInfo": url,
        },
    }


def topic_activities(topics: Iterable[Topic], *, base_url: str) -> list[dict[str, Any]]:
    return [
        {
            "objectType": "Activity",
            "id": f"{base_url}/topics/{topic.slug}/",
            "definition": {"name": {"en": topic.name}},
        }
        for topic in sorted(topics, key=lambda topic: topic.slug)
    ]


def extension(base_url: str, name: str) -> str:
    """The IRI of one of our extensions, under the organisation's own address."""
    return f"{base_url}/xapi/extensions/{name}"


def _context(
    *,
    base_url: str,
    registration: str | None,
    parent: list[dict[str, Any]] | None = None,
    other: list[dict[str, Any]] | None = None,
    lang: str | None = None,
    extensions: dict[str, Any] | None = None,
    instructor: dict[str, Any] | None = None,
) -> dict[str, Any]:
    context: dict[str, Any] = {"platform": PLATFORM}
    if registration:
        context["registration"] = registration
    if lang:
        context["language"] = lang
    if instructor:
        context["instructor"] = instructor
    activities = {key: value for key, value in (("parent", parent), ("other", other)) if value}
    if activities:
        context["contextActivities"] = activities
    if extensions:
        context["extensions"] = extensions
    return context


def _instructor(speakers: list[Person], *, base_url: str) -> dict[str, Any] | None:
    """The speaker as an Agent, or the speakers as a Group (xAPI allows one instructor)."""
    agents = [agent(speaker, base_url=base_url) for speaker in speakers]
    if len(agents) <= 1:
        return agents[0] if agents else None
    return {"objectType": "Group", "member": agents}


def attended(attendance: Attendance, *, base_url: str) -> dict[str, Any]:
    """`person attended session` for one date, with how (room, online, recording).

    The id covers the mode too: an attendance corrected from "online" to "recording" is a new
    statement (xAPI statements are immutable; the earlier one stays as the LRS received it).
    """
    occurrence: Occurrence = attendance.occurrence
    session = occurrence.session
    person = attendance.person
    speakers = sorted(session.speakers.all(), key=lambda speaker: speaker.pk)
    statement: dict[str, Any] = {
        "id": statement_id(base_url, "attended", occurrence.pk, person.pk, attendance.mode),
        "actor": agent(person, base_url=base_url),
        "verb": ATTENDED,
        "object": session_activity(session, base_url=base_url),
        "context": _context(
            base_url=base_url,
            registration=registration_id(
                base_url, occurrence_id=occurrence.pk, person_id=person.pk
            ),
            other=topic_activities(session.topics.all(), base_url=base_url),
            lang=language(session.language),
            instructor=_instructor(speakers, base_url=base_url),
            extensions={
                extension(base_url, "attendance-mode"): MODES.get(attendance.mode, "online"),
                extension(base_url, "occurrence"): {
                    "start": timestamp(occurrence.start),
                    "end": timestamp(occurrence.end),
                },
            },
        ),
        # When they attended: the date itself, or when they said they watched the recording.
        "timestamp": timestamp(
            attendance.recorded_at
            if attendance.mode == Attendance.Mode.RECORDING and attendance.recorded_at
            else occurrence.start
        ),
    }
    if attendance.mode != Attendance.Mode.RECORDING:
        statement["result"] = {"duration": duration(occurrence.end - occurrence.start)}
    return statement


def path_completed(
    collection: Collection, person: Person, *, at: datetime, base_url: str
) -> dict[str, Any]:
    """`person completed learning path`: once per person and path (a path marked undone and
    done again is the same statement id, so the LRS keeps the first)."""
    url = f"{base_url}/library/collections/{collection.slug}/"
    topics = [collection.topic] if collection.topic is not None else []
    return {
        "id": statement_id(base_url, "completed", "path", collection.pk, person.pk),
        "actor": agent(person, base_url=base_url),
        "verb": COMPLETED,
        "object": {
            "objectType": "Activity",
            "id": url,
            "definition": {"name": {"en": collection.title}, "type": COURSE, "moreInfo": url},
        },
        "result": {"completion": True},
        "context": _context(
            base_url=base_url,
            registration=None,
            other=topic_activities(topics, base_url=base_url),
        ),
        "timestamp": timestamp(at),
    }


def applied(
    occurrence: Occurrence, person: Person, *, days: int, at: datetime, base_url: str
) -> dict[str, Any]:
    """`person answered "have you applied it?" (the follow-up after N days): applied`.

    Carries nothing of the answer but that fixed word: not which option, not the other
    questions, not the survey's comments. Sent only on the person's request (see
    `services.xapi_follow_up_submit`).
    """
    session = occurrence.session
    parent = session_activity(session, base_url=base_url)
    return {
        "id": statement_id(base_url, "applied", occurrence.pk, person.pk, days),
        "actor": agent(person, base_url=base_url),
        "verb": ANSWERED,
        "object": {
            "objectType": "Activity",
            "id": f"{parent['id']}#applied-after-{days}-days",
            "definition": {
                "name": {"en": f"Have you applied what you learned in “{session.title}”?"},
                "description": {"en": f"The follow-up {days} days after the session."},
                "type": QUESTION,
            },
        },
        "result": {"response": "applied"},
        "context": _context(
            base_url=base_url,
            registration=registration_id(
                base_url, occurrence_id=occurrence.pk, person_id=person.pk
            ),
            parent=[parent],
            other=topic_activities(session.topics.all(), base_url=base_url),
            lang="en",
        ),
        "timestamp": timestamp(at),
    }


def statement_json(statement: dict[str, Any]) -> str:
    """The body we POST: compact, keys sorted, so the same statement is the same bytes."""
    return json.dumps(statement, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
