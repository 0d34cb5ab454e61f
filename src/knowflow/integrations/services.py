"""Calendar feed secrets: the credential in a person's calendar feed URLs.

(Email is the mail app's outbox; the events app writes its invitations in
`events.notifications`.)
"""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.errors import Forbidden
from knowflow.integrations.models import CalendarFeedToken


@transaction.atomic
def calendar_feed_token_regenerate(*, person: Person, actor: Person) -> CalendarFeedToken:
    """Give the person a new feed secret; every URL made from the previous one stops working.

    Also creates the first secret. 32 random bytes (256 bits), URL-safe.
    """
    if person.pk != actor.pk:
        raise Forbidden("Only the person can change their calendar feed address.")
    token, created = CalendarFeedToken.objects.select_for_update().get_or_create(
        person=person, defaults={"secret": secrets.token_urlsafe(32), "created_at": timezone.now()}
    )
    if not created:
        token.secret = secrets.token_urlsafe(32)
        token.created_at = timezone.now()
        token.save(update_fields=["secret", "created_at"])
    return token
