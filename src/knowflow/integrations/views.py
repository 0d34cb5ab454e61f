"""Calendar pages: an occurrence's .ics, the subscription feeds, and regenerating their secret.

Feeds are fetched by calendar applications, which send no cookies: the secret in the URL is
the credential, so those views need no sign-in and answer 404 (never 403) to a wrong or
revoked secret, which reveals nothing about which secrets exist.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from knowflow.errors import NotFound
from knowflow.events import ical
from knowflow.integrations import selectors, services


def _calendar_response(text: str, *, filename: str, download: bool = False) -> HttpResponse:
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    disposition = "attachment" if download else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    # A feed is personal: no shared cache may keep it, and it must not be indexed if leaked.
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


def _not_found(error: NotFound) -> HttpResponse:
    return HttpResponseNotFound(error.message, content_type="text/plain; charset=utf-8")


@login_required
@require_GET
def occurrence_ics(request: HttpRequest, occurrence_id: int) -> HttpResponse:
    """One occurrence as a file to open in a calendar ("Add to calendar")."""
    try:
        occurrence = selectors.occurrence_for_download(occurrence_id=occurrence_id)
    except NotFound as error:
        return _not_found(error)
    text = ical.calendar_text(
        [ical.CalendarEvent.from_occurrence(occurrence)], name=occurrence.session.title
    )
    return _calendar_response(
        text, filename=f"{occurrence.session.slug}-{occurrence.pk}.ics", download=True
    )


@require_GET
def person_feed(request: HttpRequest, secret: str) -> HttpResponse:
    try:
        person = selectors.feed_owner(secret=secret)
    except NotFound as error:
        return _not_found(error)
    entries = selectors.person_feed_entries(person=person)
    return _calendar_response(
        ical.calendar_text(entries, name=f"Knowflow: {person.display_name}"),
        filename="knowflow.ics",
    )


@require_GET
def circle_feed(request: HttpRequest, secret: str, slug: str) -> HttpResponse:
    try:
        selectors.feed_owner(secret=secret)
        circle = selectors.circle_for_feed(slug=slug)
    except NotFound as error:
        return _not_found(error)
    entries = selectors.circle_feed_entries(circle=circle)
    return _calendar_response(
        ical.calendar_text(entries, name=f"Knowflow: {circle.name}"), filename=f"{circle.slug}.ics"
    )


@require_GET
def topic_feed(request: HttpRequest, secret: str, slug: str) -> HttpResponse:
    try:
        selectors.feed_owner(secret=secret)
        topic = selectors.topic_for_feed(slug=slug)
    except NotFound as error:
        return _not_found(error)
    entries = selectors.topic_feed_entries(topic=topic)
    return _calendar_response(
        ical.calendar_text(entries, name=f"Knowflow: {topic.name}"), filename=f"{topic.slug}.ics"
    )


@login_required
@require_POST
def feed_regenerate(request: HttpRequest) -> HttpResponse:
    services.calendar_feed_token_regenerate(person=request.viewer, actor=request.viewer)
    messages.success(request, "Your calendar feed has a new address; the old one no longer works.")
    return redirect("accounts:profile")
