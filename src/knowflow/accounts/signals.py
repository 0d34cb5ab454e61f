"""Signals the accounts app sends for other apps to follow.

`person_deactivated(person=)`: a person left (an admin, SCIM or the people file deactivated
them). Sent inside the transaction of the change: events releases their future places (the
waitlist moves up), and anything another app holds for them (a digest, a chat mention) stops.
`person_reactivated(person=)`: they are back; nothing is restored automatically (places given
away stay given).
"""

from __future__ import annotations

from django.dispatch import Signal

person_deactivated = Signal()
person_reactivated = Signal()
