"""What the demo organisation is made of: its sizes, its sign-in accounts, its session mix."""

from __future__ import annotations

from dataclasses import dataclass

from knowflow.accounts.models import Person
from knowflow.events.models import Session

BATCH = 2000
FORMATS: tuple[tuple[str, int, int], ...] = (
    # (format, weight, minutes)
    (Session.Format.TALK, 34, 45),
    (Session.Format.WORKSHOP, 12, 120),
    (Session.Format.LIGHTNING, 14, 15),
    (Session.Format.DEMO, 12, 30),
    (Session.Format.PANEL, 8, 60),
    (Session.Format.AMA, 8, 45),
    (Session.Format.COURSE_MODULE, 12, 90),
)
LEVELS: tuple[tuple[str, int], ...] = (
    (Session.Level.INTRODUCTORY, 5),
    (Session.Level.INTERMEDIATE, 4),
    (Session.Level.ADVANCED, 2),
)
SESSION_LANGUAGES = {"de", "es", "pt", "ja", "pl", "ko", "zh", "sv", "tr", "hi"}


@dataclass(frozen=True)
class DemoSize:
    name: str
    people: int
    sessions: int
    registrations: int
    rooms_per_office: int
    past_days: int
    future_days: int
    upcoming_share: float  # share of occurrences that are still to come
    speaker_share: float  # share of people who ever speak


SIZES: dict[str, DemoSize] = {
    "small": DemoSize("small", 300, 250, 5_000, 3, 150, 60, 0.4, 0.25),
    "large": DemoSize("large", 20_000, 50_000, 1_000_000, 6, 720, 120, 0.2, 0.15),
}


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    display_name: str
    zone: str
    what: str


ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount(
        "admin",
        Person.Role.ADMIN,
        "Nomvula Dlamini",
        "Africa/Johannesburg",
        "admin: users, roles, settings and the Django admin",
    ),
    DemoAccount(
        "enabler",
        Person.Role.ENABLER,
        "Jonas Hartmann",
        "Europe/Berlin",
        "enabler: manages all sessions, circles and rooms",
    ),
    DemoAccount(
        "speaker",
        Person.Role.MEMBER,
        "Priya Venkatesh",
        "Asia/Kolkata",
        "speaker: gives past and upcoming sessions",
    ),
    DemoAccount(
        "member",
        Person.Role.MEMBER,
        "Oliver Turner",
        "Australia/Sydney",
        "member: in three circles and champion of one they started, registered for upcoming sessions",
    ),
    # Last, so that the accounts above draw the same org units from the seed as before.
    DemoAccount(
        "leader",
        Person.Role.LEADER,
        "Renata Alves",
        "America/Sao_Paulo",
        "leader: reads the insights, ROI studies and programme feedback",
    ),
)
