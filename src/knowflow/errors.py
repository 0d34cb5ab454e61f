"""Domain errors: raised by services, turned into a form error or a JSON 4xx in one place each.

Each app defines its own subclasses next to its services (``RoomAlreadyBooked``,
``AlreadyRegistered``); views and the API only know these base classes.
"""

from __future__ import annotations


class DomainError(Exception):
    """A request that cannot be carried out; the message is shown to the user as is."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Forbidden(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409
