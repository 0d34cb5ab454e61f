"""What kind of message a row is: a dotted name owned by the app that writes it.

A kind is `<app>.<message>` in lowercase (`events.invitation`, `feedback.survey`), a plain
string in the database rather than a list of choices, so a domain adds a kind of email without
a migration of the mail app. The app that writes a kind registers the words people read for it
(the debug mailbox shows them); a kind nobody registered is shown from its own name.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
KIND_MAX_LENGTH = 64

_labels: dict[str, str] = {}


def kind_is_valid(kind: str) -> bool:
    return len(kind) <= KIND_MAX_LENGTH and KIND_PATTERN.match(kind) is not None


def validate_kind(kind: str) -> None:
    """The model field's validator (the admin and `full_clean` use it)."""
    if not kind_is_valid(kind):
        raise ValidationError(
            f"“{kind}” is not a message kind: use the writing app's name, a dot and the "
            "message's name, in lowercase (for example events.invitation).",
            code="invalid_kind",
        )


def outbox_kind(kind: str, label: str) -> str:
    """Declare a kind of message and the words for it; returns the kind, for a constant.

    Called at import time by the domains' `notifications` modules. A malformed name is a
    programming error and fails at import, not when the first email is written.
    """
    if not kind_is_valid(kind):
        raise ValueError(f"{kind!r} is not a lowercase dotted message kind")
    _labels[kind] = label
    return kind


def kind_label(kind: str) -> str:
    """The words for a kind: the registered label, else its last part as words."""
    if kind in _labels:
        return _labels[kind]
    return kind.rsplit(".", 1)[-1].replace("_", " ").capitalize()


# The outbox's kinds before they were dotted names (until migration mail.0001), and the kind
# each became: for reading what was written then, such as an organisation export.
KINDS_BEFORE_DOTTED = {
    "invitation": "events.invitation",
    "update": "events.update",
    "cancellation": "events.cancellation",
    "reminder": "events.reminder",
    "waitlist": "events.waitlisted",
    "survey": "feedback.survey",
    "review": "library.review_reminder",
}
