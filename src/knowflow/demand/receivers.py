"""Following the events' and library's signals: a session that answered a topic request got
its first date, or its recording was published — the requester and voters are told.

Connected in ``DemandConfig.ready``. Quick and forgiving, as the signals ask: a session no
request led to costs one query and tells nobody.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from knowflow.demand import notifications
from knowflow.demand.selectors import request_people_to_tell, requests_of_session
from knowflow.events.models import Occurrence, Session
from knowflow.events.signals import session_scheduled
from knowflow.library.signals import recording_published


@receiver(session_scheduled, dispatch_uid="demand.session_scheduled")
def tell_session_scheduled(
    sender: Any, session: Session, occurrence: Occurrence, **kwargs: Any
) -> None:
    for request in requests_of_session(session_id=session.pk):
        notifications.request_scheduled_enqueue(
            request=request,
            people=request_people_to_tell(request=request),
            session_title=session.title,
            slug=session.slug,
            start=occurrence.start,
        )


@receiver(recording_published, dispatch_uid="demand.recording_published")
def tell_recording_published(sender: Any, resource: Any, **kwargs: Any) -> None:
    session_id = getattr(resource, "session_id", None)
    if session_id is None:
        return
    for request in requests_of_session(session_id=session_id):
        notifications.request_recording_enqueue(
            request=request,
            people=request_people_to_tell(request=request),
            resource_title=resource.title,
            resource_slug=resource.slug,
            resource_id=resource.pk,
        )
