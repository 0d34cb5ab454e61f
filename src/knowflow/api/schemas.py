"""Request and response shapes of the public API (pydantic, via django-ninja)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from ninja import Schema
from ninja.conf import settings as ninja_settings
from ninja.pagination import LimitOffsetPagination
from pydantic import AwareDatetime, Field

from knowflow.links import is_web_url

# --- bounded input types -------------------------------------------------------------------
# Every number and date the API accepts is bounded here, so an out-of-range value is a 422 that
# names its field instead of an overflow in the database (ids are 64-bit integers on both
# databases) or in date arithmetic (a dashboard from year 1 to 9999 computes the period before).
DATABASE_INT_MAX = 2**63 - 1
DatabaseInt = Annotated[int, Field(ge=-DATABASE_INT_MAX - 1, le=DATABASE_INT_MAX)]
SmallCount = Annotated[int, Field(ge=0, le=1_000_000)]
EARLIEST_DATE, LATEST_DATE = date(1900, 1, 1), date(2999, 12, 31)
BoundedDate = Annotated[date, Field(ge=EARLIEST_DATE, le=LATEST_DATE)]
MAX_PAGE_LIMIT, MAX_OFFSET = 1000, 10**9


class BoundedPagination(LimitOffsetPagination):
    """ninja's ``?limit=&offset=`` with both bounded: ninja leaves them open, and an offset past
    a 64-bit integer reached the database as an overflow (a 500)."""

    class Input(Schema):
        limit: int = Field(ninja_settings.PAGINATION_PER_PAGE, ge=1, le=MAX_PAGE_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)


class Message(Schema):
    detail: str
    field: str | None = None


class TopicOut(Schema):
    id: int
    name: str
    slug: str
    synonyms: list[str]
    parent_id: DatabaseInt | None
    description: str


class TopicIn(Schema):
    name: str = Field(min_length=1, max_length=120)
    synonyms: list[str] = []
    parent_id: DatabaseInt | None = None
    description: str = ""


class TopicPatch(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    synonyms: list[str] | None = None
    parent_id: DatabaseInt | None = None
    description: str | None = None


class PersonOut(Schema):
    id: int
    display_name: str
    slug: str
    timezone: str
    working_hours: list[list[str] | None]
    office: str | None = None
    org_unit: str | None = None
    languages: list[str]
    skills: list[str]

    @staticmethod
    def resolve_office(obj: object) -> str | None:
        return obj.office.name if obj.office else None  # type: ignore[attr-defined]

    @staticmethod
    def resolve_org_unit(obj: object) -> str | None:
        return obj.org_unit.name if obj.org_unit else None  # type: ignore[attr-defined]

    @staticmethod
    def resolve_skills(obj: object) -> list[str]:
        return [topic.slug for topic in obj.skills.all()]  # type: ignore[attr-defined]


class CircleOut(Schema):
    id: int
    name: str
    slug: str
    mission: str
    visibility: str
    topics: list[str]

    @staticmethod
    def resolve_topics(obj: object) -> list[str]:
        return [topic.slug for topic in obj.topics.all()]  # type: ignore[attr-defined]


class CircleIn(Schema):
    name: str = Field(min_length=1, max_length=120)
    mission: str = ""
    visibility: str = "open"
    topic_ids: list[DatabaseInt] = []
    champion_ids: list[DatabaseInt] = []


class CirclePatch(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    mission: str | None = None
    visibility: str | None = None
    topic_ids: list[DatabaseInt] | None = None


class MemberIn(Schema):
    person_id: DatabaseInt


class OccurrenceOut(Schema):
    id: int
    session_id: DatabaseInt
    start: datetime
    end: datetime
    room_id: DatabaseInt | None
    online_url: str
    capacity: int
    mode: str
    cancelled_at: datetime | None  # set when this date was cancelled on its own

    @staticmethod
    def resolve_online_url(obj: object) -> str:
        # A link stored before only http(s) was accepted is not handed to clients to render.
        url = obj.online_url  # type: ignore[attr-defined]
        return url if is_web_url(url) else ""


class SessionOut(Schema):
    id: int
    title: str
    slug: str
    abstract: str
    format: str
    level: str
    language: str
    status: str
    circle_id: DatabaseInt | None
    topics: list[str]
    speaker_ids: list[DatabaseInt]
    occurrences: list[OccurrenceOut]

    @staticmethod
    def resolve_topics(obj: object) -> list[str]:
        return [topic.slug for topic in obj.topics.all()]  # type: ignore[attr-defined]

    @staticmethod
    def resolve_status(obj: object) -> str:
        # As the pages show it: "done" once the last date has ended (Session.current_status).
        return obj.current_status  # type: ignore[attr-defined]

    @staticmethod
    def resolve_speaker_ids(obj: object) -> list[int]:
        return [person.pk for person in obj.speakers.all()]  # type: ignore[attr-defined]

    @staticmethod
    def resolve_occurrences(obj: object) -> list:
        return list(obj.occurrences.all())  # type: ignore[attr-defined]


class SessionIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    abstract: str = ""
    format: str = "talk"
    level: str = "introductory"
    language: str = "en"
    topic_ids: list[DatabaseInt] = []
    speaker_ids: list[DatabaseInt] = []
    circle_id: DatabaseInt | None = None


class SessionPatch(Schema):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    abstract: str | None = None
    format: str | None = None
    level: str | None = None
    language: str | None = None
    status: str | None = None
    topic_ids: list[DatabaseInt] | None = None
    speaker_ids: list[DatabaseInt] | None = None
    circle_id: DatabaseInt | None = None


class OccurrenceIn(Schema):
    session_id: DatabaseInt
    start: AwareDatetime
    end: AwareDatetime
    room_id: DatabaseInt | None = None
    online_url: str = ""
    capacity: int = Field(ge=1, le=1_000_000)


class OccurrencePatch(Schema):
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    room_id: DatabaseInt | None = None
    online_url: str | None = None
    capacity: int | None = Field(default=None, ge=1, le=1_000_000)


class RegistrationOut(Schema):
    id: int
    occurrence_id: DatabaseInt
    person_id: DatabaseInt
    status: str
    requested_at: datetime


class RegistrationIn(Schema):
    occurrence_id: DatabaseInt
    person_id: DatabaseInt | None = None


class RegistrationPatch(Schema):
    status: str = Field(
        description="Only 'cancelled' can be set; a cancelled place goes to the waitlist."
    )
