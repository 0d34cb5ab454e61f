"""Reading a people file: the CSV an HR system exports, checked line by line.

Nothing here touches the database: a line is checked for what it says on its own (an email
address, a known time zone, a role, languages, yes/no), and the file as a whole for what no
single line can tell (the header, the same email on two lines). What needs the directory (an
office that exists, a department to find or create, who changes) is ``planning``'s.

A spreadsheet saves "CSV" in many dialects: UTF-8 with or without a byte-order mark, commas or
semicolons (the default where the decimal separator is a comma), quoted or not. The header row
says which columns are there, in any order and spelled loosely (``Time zone``, ``time_zone``,
``timezone``); a column the file does not have leaves that field as it is, and so does an
empty cell.
"""

from __future__ import annotations

import csv
import functools
import itertools
import re
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.conf.locale import LANG_INFO
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from knowflow.accounts.models import Person
from knowflow.errors import DomainError

# The columns, with the spellings of their header that are understood (compared after
# lower-casing and turning "_" and "-" into spaces).
COLUMNS: dict[str, tuple[str, ...]] = {
    "email": ("email", "e mail", "email address", "mail"),
    "name": ("name", "display name", "full name"),
    "department": ("department", "org unit", "team"),
    "office": ("office", "location"),
    "timezone": ("time zone", "timezone", "tz", "zone"),
    "role": ("role",),
    "manager": ("manager email", "manager"),
    "languages": ("languages", "language"),
    "active": ("active",),
}
REQUIRED = ("email", "name")
# How each column is named in messages and in the file we write (``exporting``).
COLUMN_TITLES = {
    "email": "email",
    "name": "name",
    "department": "department",
    "office": "office",
    "timezone": "time zone",
    "role": "role",
    "manager": "manager email",
    "languages": "languages",
    "active": "active",
}
YES = {"yes", "y", "true", "1", "active"}
NO = {"no", "n", "false", "0", "inactive"}
NAME_MAX = 150
EMAIL_MAX = 254
# A cell our own export protected from spreadsheets ("'=Bob") reads back as it was ("=Bob").
_PROTECTED_CELL = re.compile(r"'(?=[=+\-@\t\r])")
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})*")
_LANGUAGE_SPLIT = re.compile(r"[,;|/]+|\s+(?=[a-z]{2,3}\b)")


@dataclass(frozen=True)
class LineError:
    """A line that was not applied, and why, in words for the person who fixes the file."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class PeopleFileRow:
    """One checked line. ``None`` means "leave as it is": the column is absent or the cell empty."""

    line: int
    email: str  # as written
    key: str  # the email, case-folded: how a line finds its person
    name: str
    department: str | None = None
    office: str | None = None
    timezone: str | None = None
    role: str | None = None
    manager: str | None = None  # the manager's key
    languages: tuple[str, ...] | None = None
    active: bool = True


@dataclass
class PeopleFileContent:
    rows: list[PeopleFileRow] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    # Every email the file names, broken lines included: a person on a broken line is not
    # "missing from the file" and must not be deactivated for it.
    mentioned: set[str] = field(default_factory=set)
    columns: tuple[str, ...] = ()
    ignored_columns: tuple[str, ...] = ()
    lines: int = 0  # data lines read (blank lines not counted)


class PeopleFileUnreadable(DomainError):
    """The file as a whole cannot be read (not UTF-8, no header, a required column missing)."""


@functools.cache
def _zones() -> frozenset[str]:
    # available_timezones() walks the zone files on every call: once per file, not per line.
    return frozenset(zoneinfo.available_timezones())


def email_key(email: str) -> str:
    return email.strip().casefold()


def _header_key(title: str) -> str:
    return " ".join(title.strip().lower().replace("_", " ").replace("-", " ").split())


_ALIASES = {alias: column for column, aliases in COLUMNS.items() for alias in aliases}
_LANGUAGE_NAMES = {
    info["name"].casefold(): code for code, info in LANG_INFO.items() if "name" in info
}


def _delimiter(header_line: str) -> str:
    """Comma, semicolon or tab: whichever the header row uses most (a header has no quoted
    separators in practice, and the header is what must split right)."""
    counts = {sep: header_line.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _cell(value: str) -> str:
    return _PROTECTED_CELL.sub("", value.strip(), count=1)


def _languages(cell: str) -> tuple[str, ...]:
    codes: list[str] = []
    for part in _LANGUAGE_SPLIT.split(cell):
        word = part.strip()
        if not word:
            continue
        code = word.lower().replace("_", "-")
        if code not in LANG_INFO and word.casefold() in _LANGUAGE_NAMES:
            code = _LANGUAGE_NAMES[word.casefold()]
        if not _LANGUAGE_CODE.fullmatch(code):
            raise ValueError(
                f"'{word}' in languages is not a language: write codes such as en, de, pt-br"
            )
        if code not in codes:
            codes.append(code)
    return tuple(codes)


def _role(cell: str) -> str:
    value = cell.strip().lower()
    for role in Person.Role:
        if value in (role.value, role.label.lower()):
            return role.value
    raise ValueError(
        f"'{cell}' is not a role: write one of {', '.join(Person.Role.values)} (or leave it empty)"
    )


def _row(line: int, cells: dict[str, str]) -> PeopleFileRow:
    """One line checked on its own; a ``ValueError`` says what is wrong with it."""
    email = cells.get("email", "")
    if not email:
        raise ValueError("the email is empty")
    if len(email) > EMAIL_MAX:
        raise ValueError(f"the email is longer than {EMAIL_MAX} characters")
    try:
        validate_email(email)
    except ValidationError:
        raise ValueError(f"'{email}' is not an email address") from None
    name = cells.get("name", "")
    if not name:
        raise ValueError(f"the name of {email} is empty")
    if len(name) > NAME_MAX:
        raise ValueError(f"the name is longer than {NAME_MAX} characters")
    zone = cells.get("timezone") or None
    if zone is not None and zone not in _zones():
        raise ValueError(f"'{zone}' is not a known time zone (write it like Europe/Berlin)")
    manager = cells.get("manager") or None
    if manager is not None:
        try:
            validate_email(manager)
        except ValidationError:
            raise ValueError(f"the manager email '{manager}' is not an email address") from None
        manager = email_key(manager)
    active_cell = cells.get("active", "").lower()
    if active_cell and active_cell not in YES | NO:
        raise ValueError(f"active must be yes or no, not '{cells['active']}'")
    return PeopleFileRow(
        line=line,
        email=email,
        key=email_key(email),
        name=name,
        department=cells.get("department") or None,
        office=cells.get("office") or None,
        timezone=zone,
        role=_role(cells["role"]) if cells.get("role") else None,
        manager=manager,
        languages=_languages(cells["languages"]) if cells.get("languages") else None,
        active=active_cell not in NO,
    )


def people_file_read(lines: Iterable[str]) -> PeopleFileContent:
    """Check every line of a people file given as text lines (a file opened with
    ``encoding="utf-8-sig", newline=""``, or ``io.StringIO(text, newline="")``), reading
    one line at a time so a large file is never held whole.

    Raises ``PeopleFileUnreadable`` when the file as a whole cannot be used; a bad line is
    only reported (``errors``), with its number, and left out of ``rows``.
    """
    content = PeopleFileContent()
    stream: Iterator[str] = iter(lines)
    try:
        try:
            first = next(stream)
        except StopIteration:
            raise PeopleFileUnreadable("The file is empty: it needs a header row.") from None
        first = first.removeprefix("\ufeff")
        delimiter = _delimiter(first)
        offset = 0
        # Excel may write its own first line naming the separator ("sep=;") before the header.
        if first.strip().lower().startswith("sep=") and len(first.strip()) == 5:
            delimiter = first.strip()[4]
            first = next(stream, "")
            offset = 1
        reader = csv.reader(itertools.chain([first], stream), delimiter=delimiter)
        header = next(reader, [])
        columns: list[str | None] = []
        ignored: list[str] = []
        for title in header:
            column = _ALIASES.get(_header_key(title))
            if column is not None and column in columns:
                raise PeopleFileUnreadable(
                    f"The header names the column '{title.strip()}' twice.", field="file"
                )
            columns.append(column)
            if column is None and title.strip():
                ignored.append(title.strip())
        missing = [COLUMN_TITLES[c] for c in REQUIRED if c not in columns]
        if missing:
            raise PeopleFileUnreadable(
                f"The header row needs the columns {' and '.join(missing)} "
                f"(found: {', '.join(t.strip() for t in header if t.strip()) or 'nothing'}).",
                field="file",
            )
        content.columns = tuple(c for c in columns if c)
        content.ignored_columns = tuple(ignored)
        by_key: dict[str, list[int]] = {}
        rows: list[PeopleFileRow] = []
        while True:
            line = reader.line_num + 1 + offset  # where the next record starts
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                content.errors.append(LineError(line, f"the line cannot be read as CSV ({error})"))
                continue
            if not any(cell.strip() for cell in cells):
                continue
            content.lines += 1
            if len(cells) != len(columns):
                content.errors.append(
                    LineError(
                        line,
                        f"{len(cells)} columns where the header has {len(columns)}"
                        " (a separator too many or too few? quote a cell that contains one)",
                    )
                )
                email = cells[columns.index("email")] if len(cells) > columns.index("email") else ""
                if "@" in email:
                    content.mentioned.add(email_key(_cell(email)))
                continue
            named = {
                column: _cell(value)
                for column, value in zip(columns, cells, strict=True)
                if column is not None
            }
            if named.get("email"):
                content.mentioned.add(email_key(named["email"]))
            try:
                row = _row(line, named)
            except ValueError as error:
                content.errors.append(LineError(line, str(error)))
                continue
            by_key.setdefault(row.key, []).append(row.line)
            rows.append(row)
    except UnicodeDecodeError:
        raise PeopleFileUnreadable(
            "The file is not UTF-8 text: save it from your spreadsheet as “CSV UTF-8”.",
            field="file",
        ) from None
    twice = {key: found for key, found in by_key.items() if len(found) > 1}
    for row in rows:
        if row.key in twice:
            others = ", ".join(str(n) for n in twice[row.key] if n != row.line)
            content.errors.append(
                LineError(
                    row.line,
                    f"{row.email} is also on line {others}: a person must be on one line only,"
                    " so none of these lines was applied",
                )
            )
        else:
            content.rows.append(row)
    content.errors.sort(key=lambda error: error.line)
    return content
