"""Request and response shapes of the public API (pydantic, via django-ninja)."""

from __future__ import annotations

import re
import zoneinfo
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Annotated, Any, Literal

from ninja import Schema
from ninja.conf import settings as ninja_settings
from ninja.pagination import LimitOffsetPagination
from ninja.schema import DjangoGetter
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    WithJsonSchema,
    model_validator,
)

from knowflow.circles.models import Circle
from knowflow.events.models import Session
from knowflow.links import is_web_url

# --- bounded input types -------------------------------------------------------------------
# Every number and date the API accepts is bounded here, so an out-of-range value is a 422 that
# names its field instead of an overflow in the database (ids are 64-bit integers on both
# databases) or in date arithmetic (a dashboard from year 1 to 9999 computes the period before).
DATABASE_INT_MAX = 2**63 - 1


def _not_a_boolean(value: object) -> object:
    """pydantic reads ``true``/``false`` as 1/0 where a number is expected; the document says
    integer, so a boolean is refused (422) instead of becoming id 0 or a count of 1."""
    if isinstance(value, bool):
        raise ValueError("Give a number, not true or false.")
    return value


NoBool = BeforeValidator(_not_a_boolean)
DatabaseInt = Annotated[int, Field(ge=-DATABASE_INT_MAX - 1, le=DATABASE_INT_MAX), NoBool]
SmallCount = Annotated[int, Field(ge=0, le=1_000_000), NoBool]
EARLIEST_DATE, LATEST_DATE = date(1900, 1, 1), date(2999, 12, 31)
MAX_PAGE_LIMIT, MAX_OFFSET = 1000, 10**9

# --- what the document says is what the parser accepts -------------------------------------
# tests/api/test_fuzz.py runs schemathesis with every check, including "a request the document
# calls valid is accepted" and "a request it calls invalid is refused". So a string with a fixed
# set of values is an enum, a text the service needs is declared non-blank, a date is an ISO date
# and never a number, and an amount is a number or a plain decimal string.


def one_of(*values: str) -> Any:
    """A string whose values the document lists; any other is a 422 naming the field."""
    return Literal[values]  # type: ignore[valid-type]


NON_BLANK = r"\S"  # somewhere a character that is not a space (services strip, then require)


def text(*, max_length: int, required: bool = True) -> Any:
    """A text the service requires (non-blank) or takes as it comes, up to ``max_length``."""
    if required:
        return Annotated[str, Field(min_length=1, max_length=max_length, pattern=NON_BLANK)]
    return Annotated[str, Field(max_length=max_length)]


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_only(value: object) -> object:
    # pydantic also reads a number of seconds since 1970 as a date ("until=0" was 1970-01-01).
    if isinstance(value, str) and not ISO_DATE.fullmatch(value):
        raise ValueError("Give a date as YYYY-MM-DD.")
    if isinstance(value, int | float):
        raise ValueError("Give a date as YYYY-MM-DD.")
    return value


def _iso_datetime_only(value: object) -> object:
    if isinstance(value, int | float) or (
        isinstance(value, str) and not re.match(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", value)
    ):
        raise ValueError("Give a date and time as YYYY-MM-DDTHH:MM with its offset.")
    return value


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_datetime_only)]
BoundedDate = Annotated[
    date,
    Field(ge=EARLIEST_DATE, le=LATEST_DATE),
    BeforeValidator(_iso_date_only),
    # The bounds, as a string pattern can say them: years 1900 to 2999.
    WithJsonSchema({"type": "string", "format": "date", "pattern": r"^(19|2\d)\d\d-"}),
]


def amount(
    *, integer_digits: int, places: int, maximum: Decimal | None = None, string: str = ""
) -> Any:
    """A non-negative decimal as a JSON number (further decimals dropped) or as a string such
    as ``"62.50"``; at most ``integer_digits`` before the point, as the database column holds,
    or up to ``maximum`` (then ``string`` is the pattern of the strings up to it)."""
    quantum = Decimal(1).scaleb(-places)
    maximum = Decimal(10) ** integer_digits - quantum if maximum is None else maximum
    string = string or rf"^\d{{1,{integer_digits}}}(\.\d{{1,{places}}})?$"

    def parse(value: object) -> object:
        if isinstance(value, bool):
            raise ValueError("Give a number, not true or false.")
        if isinstance(value, str) and not re.fullmatch(string, value):
            raise ValueError(
                f"Give a number with at most {integer_digits} digits before the point and "
                f"{places} after it, without sign or spaces."
            )
        return value

    def bound(value: Decimal) -> Decimal:
        if not Decimal(0) <= value <= maximum:
            raise ValueError(f"Give a number from 0 to {maximum}.")
        return value.quantize(quantum, rounding=ROUND_DOWN)

    schema = {
        "anyOf": [
            {"type": "number", "minimum": 0, "maximum": float(maximum)},
            {"type": "string", "pattern": string},
        ]
    }
    return Annotated[Decimal, BeforeValidator(parse), AfterValidator(bound), WithJsonSchema(schema)]


class BoundedPagination(LimitOffsetPagination):
    """ninja's ``?limit=&offset=`` with both bounded: ninja leaves them open, and an offset past
    a 64-bit integer reached the database as an overflow (a 500)."""

    class Input(Schema):
        limit: int = Field(ninja_settings.PAGINATION_PER_PAGE, ge=1, le=MAX_PAGE_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)


CircleVisibility = one_of(*Circle.Visibility.values)
CircleCadence = one_of(*Circle.Cadence.values)
SessionFormat = one_of(*Session.Format.values)
SessionLevel = one_of(*Session.Level.values)
SessionStatus = one_of(*Session.Status.values)
SessionTitle = text(max_length=200)
# A web address as the document can say it: http(s), a host name with a dot, an optional port
# and path. Services check it again with Django's URL validator (knowflow.links).
# Spaces around it are trimmed, as the services do.
WEB_LINK = (
    r"^\s*(https?://([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
    r"(:[0-9]{1,5})?([/?#][^\s]*)?)?\s*$"
)


def web_link(*, label: str, max_length: int) -> Any:
    """An http(s) address or "", as the document's pattern says and Django's URL validator
    agrees; anything else is a 422 that says so in words (not the pattern)."""

    def check(value: str) -> str:
        stripped = value.strip()
        if stripped and not (re.fullmatch(WEB_LINK, value) and is_web_url(stripped)):
            raise ValueError(f"{label} must be a web address that starts with http:// or https://.")
        return value

    schema = {"type": "string", "maxLength": max_length, "pattern": WEB_LINK}
    return Annotated[
        str, Field(max_length=max_length), AfterValidator(check), WithJsonSchema(schema)
    ]


WebLink = web_link(label="The online link", max_length=200)  # a date's online link
LongWebLink = web_link(label="The link", max_length=1000)  # a resource's link
LanguageCode = Annotated[str, Field(max_length=16)]
# "" for "yours"; otherwise an IANA zone this machine knows. The document lists them all; the
# message does not (an enum's message would name some six hundred).
TIME_ZONES = frozenset(zoneinfo.available_timezones())


def _known_zone(value: str) -> str:
    if value and value not in TIME_ZONES:
        raise ValueError(
            f"'{value[:60]}' is not a time zone; give an IANA name like Europe/Berlin."
        )
    return value


TimeZoneName = Annotated[
    str,
    AfterValidator(_known_zone),
    WithJsonSchema({"type": "string", "enum": ["", *sorted(TIME_ZONES)]}),
]


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


class BodyIn(Schema):
    """A request body, or an object inside one: a JSON object and nothing else. ninja's Schema
    reads any value by its attributes, so the bare string "AAA" once made a collection titled
    "Aaa" (from ``str.title``)."""

    @model_validator(mode="before")
    @classmethod
    def _a_json_object(cls, value: object) -> object:
        given = value._obj if isinstance(value, DjangoGetter) else value
        if not isinstance(given, dict):
            raise ValueError("Send a JSON object with the fields listed for this operation.")
        # A NUL character is never something a person wrote, and PostgreSQL cannot store one
        # in text (SQLite can): it is dropped, so that one request means the same on both.
        cleaned = _without_nul(given)
        if isinstance(value, DjangoGetter):
            value._obj = cleaned
            return value
        return cleaned


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


class TopicIn(BodyIn):
    name: str = Field(min_length=1, max_length=120)
    synonyms: list[str] = []
    parent_id: DatabaseInt | None = None
    description: str = ""


class TopicPatch(BodyIn):
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
    scope: str
    cadence: str
    visibility: str
    state: str
    topics: list[str]

    @staticmethod
    def resolve_topics(obj: object) -> list[str]:
        return [topic.slug for topic in obj.topics.all()]  # type: ignore[attr-defined]


class CircleIn(BodyIn):
    name: str = Field(min_length=1, max_length=120)
    mission: str = ""
    scope: str = ""
    cadence: CircleCadence = "monthly"
    visibility: CircleVisibility = "open"
    topic_ids: list[DatabaseInt] = []
    champion_ids: list[DatabaseInt] = []


class CirclePatch(BodyIn):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    mission: str | None = None
    scope: str | None = None
    cadence: CircleCadence | None = None
    visibility: CircleVisibility | None = None
    topic_ids: list[DatabaseInt] | None = None


class MemberIn(BodyIn):
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


class SessionIn(BodyIn):
    title: SessionTitle
    abstract: str = ""
    format: SessionFormat = "talk"
    level: SessionLevel = "introductory"
    language: LanguageCode = "en"
    topic_ids: list[DatabaseInt] = []
    speaker_ids: list[DatabaseInt] = []
    circle_id: DatabaseInt | None = None


class SessionPatch(BodyIn):
    title: SessionTitle | None = None
    abstract: str | None = None
    format: SessionFormat | None = None
    level: SessionLevel | None = None
    language: LanguageCode | None = None
    status: SessionStatus | None = None
    topic_ids: list[DatabaseInt] | None = None
    speaker_ids: list[DatabaseInt] | None = None
    circle_id: DatabaseInt | None = None


class OccurrenceIn(BodyIn):
    session_id: DatabaseInt
    start: AwareDatetime
    end: AwareDatetime
    room_id: DatabaseInt | None = None
    online_url: WebLink = ""
    capacity: int = Field(ge=1, le=1_000_000)


class OccurrencePatch(BodyIn):
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    room_id: DatabaseInt | None = None
    online_url: WebLink | None = None
    capacity: int | None = Field(default=None, ge=1, le=1_000_000)


class RegistrationOut(Schema):
    id: int
    occurrence_id: DatabaseInt
    person_id: DatabaseInt
    status: str
    requested_at: datetime


class RegistrationIn(BodyIn):
    occurrence_id: DatabaseInt
    person_id: DatabaseInt | None = None


class RegistrationPatch(BodyIn):
    status: one_of("cancelled") = Field(  # type: ignore[valid-type]
        description="Only 'cancelled' can be set; a cancelled place goes to the waitlist."
    )
