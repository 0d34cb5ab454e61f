"""Calendar feeds in the API: where they are, and a new secret.

The feeds themselves are the `.ics` URLs these endpoints return (calendar applications fetch
them without API credentials); the API hands those URLs to a script or another tool.
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema

from knowflow.api.auth import viewer
from knowflow.api.schemas import DatabaseInt
from knowflow.circles import selectors as circles_selectors
from knowflow.errors import NotFound
from knowflow.integrations import selectors, services
from knowflow.integrations.models import CalendarFeedToken
from knowflow.topics import selectors as topics_selectors

router = Router(tags=["calendar"])


class FeedOut(Schema):
    https: str
    webcal: str
    created_at: datetime


def _token(request: HttpRequest) -> CalendarFeedToken:
    token = selectors.feed_token_for(person=viewer(request))
    if token is None:
        raise NotFound("You have no calendar feed yet: POST /api/v1/calendar/me/regenerate.")
    return token


def _out(token: CalendarFeedToken, urls: selectors.FeedUrls) -> dict[str, object]:
    return {"https": urls.https, "webcal": urls.webcal, "created_at": token.created_at}


@router.get("/me", response=FeedOut)
def calendar_feed_mine(request: HttpRequest) -> dict[str, object]:
    """Your feed: your registrations and the sessions you speak at."""
    token = _token(request)
    return _out(token, selectors.feed_urls(token=token))


@router.post("/me/regenerate", response={201: FeedOut})
def calendar_feed_regenerate(request: HttpRequest) -> tuple[int, dict[str, object]]:
    """A new secret (created on first use); every URL built from the old one stops working."""
    person = viewer(request)
    token = services.calendar_feed_token_regenerate(person=person, actor=person)
    return 201, _out(token, selectors.feed_urls(token=token))


@router.get("/circles/{circle_id}", response=FeedOut)
def calendar_feed_circle(request: HttpRequest, circle_id: DatabaseInt) -> dict[str, object]:
    circle = circles_selectors.circle_get(id=circle_id)
    token = _token(request)
    return _out(token, selectors.feed_urls(token=token, circle=circle))


@router.get("/topics/{topic_id}", response=FeedOut)
def calendar_feed_topic(request: HttpRequest, topic_id: DatabaseInt) -> dict[str, object]:
    topic = topics_selectors.topic_get(id=topic_id)
    token = _token(request)
    return _out(token, selectors.feed_urls(token=token, topic=topic))
