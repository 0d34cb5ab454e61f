"""Pages for sessions: catalogue, session page, propose, edit, schedule, register, attendance
(one person, the checklist of a date, and the self check-in link with its QR code)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from knowflow.circles.models import Circle
from knowflow.errors import DomainError, Forbidden
from knowflow.events import attendance as attendance_services
from knowflow.events import selectors, services
from knowflow.events.forms import AttendanceForm, OccurrenceForm, SessionEditForm, SessionForm
from knowflow.events.models import Attendance, Occurrence, Session
from knowflow.events.permissions import can_edit_session, can_edit_session_details
from knowflow.events.planning.rooms import room_choice_for_date
from knowflow.library.selectors import related_to
from knowflow.topics.selectors import topic_list
from knowflow.web import pagination
from knowflow.web.errors import add_to_form, flash, refusal_as_page


@login_required
def catalogue(request: HttpRequest) -> HttpResponse:
    when = request.GET.get("when", "upcoming")
    filters = selectors.CatalogueFilters(
        topic=request.GET.get("topic", ""),
        format=request.GET.get("format", ""),
        circle=request.GET.get("circle", ""),
        when=when if when in {"upcoming", "past", "proposed"} else "upcoming",
        within_my_hours=request.GET.get("mine") == "1",
        q=request.GET.get("q", "").strip(),
    )
    page = selectors.catalogue_page(
        viewer=request.viewer, filters=filters, page=pagination.page_number(request)
    )
    return render(
        request,
        "events/catalogue.html",
        {
            "page": page,
            "filters": filters,
            "topics": topic_list(),
            "circles": Circle.objects.only("name", "slug"),
            "formats": Session.Format.choices,
        },
    )


@login_required
def session_page(request: HttpRequest, slug: str) -> HttpResponse:
    session = selectors.session_detail(slug=slug)
    occurrences = list(session.occurrences.all())
    can_edit = can_edit_session(actor=request.viewer, session=session)
    can_edit_details = can_edit or can_edit_session_details(actor=request.viewer, session=session)
    return render(
        request,
        "events/session.html",
        {
            "session": session,
            "occurrences": occurrences,
            "mine": selectors.registrations_of_viewer(
                viewer=request.viewer, occurrences=occurrences
            ),
            "counts": selectors.occurrence_counts(occurrences=occurrences),
            "can_edit": can_edit,
            "can_edit_details": can_edit_details,
            # A speaker has no place to ask for (the service refuses it): no Register button.
            "viewer_speaks": any(s.pk == request.viewer.pk for s in session.speakers.all()),
            # Attendance is taken for dates that have begun; a future date has no one to record.
            "started": {o.pk for o in occurrences if o.has_started and not o.is_cancelled},
            "checkin_open": {
                o.pk for o in occurrences if attendance_services.checkin_is_open(occurrence=o)
            },
            "attended": selectors.attendances_of_viewer(
                viewer=request.viewer, occurrences=occurrences
            ),
            # "More on this", as the worker stored it when the library last changed: the
            # page reads two indexed rows and never runs a search.
            "related": related_to(kind="session", object_id=session.pk),
        },
    )


def _session_kwargs(data: dict) -> dict:
    return {
        "title": data["title"],
        "abstract": data["abstract"],
        "format": data["format"],
        "level": data["level"],
        "language": data["language"],
        "topics": data["topics"],
        "speakers": data["speakers"],
    }


@login_required
def session_propose(request: HttpRequest) -> HttpResponse:
    form = SessionForm(request.POST or None, initial={"language": "en"})
    if request.method == "POST" and form.is_valid():
        try:
            session = services.session_create(
                actor=request.viewer,
                circle=form.cleaned_data["circle"],
                **_session_kwargs(form.cleaned_data),
            )
        except DomainError as error:
            add_to_form(form, error)
        else:
            messages.success(request, "Session proposed. Add a date when it is scheduled.")
            return redirect("events:session", slug=session.slug)
    return render(request, "events/session_form.html", {"form": form, "title": "Propose a session"})


@login_required
def session_edit(request: HttpRequest, slug: str) -> HttpResponse:
    session = selectors.session_get(slug=slug)
    if not can_edit_session_details(actor=request.viewer, session=session):
        raise Forbidden(
            "Only the session's speakers, its circle's champions and enablers can edit it."
        )
    # A proposer who is not one of its editors edits what it says, not its status.
    sets_status = can_edit_session(actor=request.viewer, session=session)
    if request.method == "POST":
        form = SessionEditForm(request.POST, status=session.status, with_status=sets_status)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.session_update(
                    session=session,
                    actor=request.viewer,
                    circle=data["circle"],
                    clear_circle=data["circle"] is None,
                    status=data.get("status"),
                    **_session_kwargs(data),
                )
            except DomainError as error:
                add_to_form(form, error)
            else:
                messages.success(request, "Session saved.")
                return redirect("events:session", slug=session.slug)
    else:
        form = SessionEditForm(
            status=session.status,
            with_status=sets_status,
            initial={
                "title": session.title,
                "abstract": session.abstract,
                "format": session.format,
                "level": session.level,
                "language": session.language,
                "topics": session.topics.all(),
                "speakers": session.speakers.all(),
                "circle": session.circle,
                "status": session.status,
            },
        )
    return render(
        request,
        "events/session_form.html",
        {"form": form, "title": f"Edit “{session.title}”", "session": session},
    )


def _offer_rooms(
    request: HttpRequest,
    form: OccurrenceForm,
    *,
    session: Session,
    occurrence: Occurrence | None = None,
) -> None:
    """List the rooms free and large enough at the form's time (as typed, or the date's own
    before anything is typed), best first."""
    if form.is_bound:
        times = form.typed_times()
        if times is None or form.has_error("start") or form.has_error("end"):
            return
        capacity = form.cleaned_data.get("capacity")
        online_url = form.cleaned_data.get("online_url") or ""
    elif occurrence is not None:
        times = (occurrence.start, occurrence.end)
        capacity, online_url = occurrence.capacity, occurrence.online_url
    else:
        return
    try:
        choice = room_choice_for_date(
            session=session,
            start=times[0],
            end=times[1],
            capacity=capacity,
            online_url=online_url,
            occurrence=occurrence,
        )
    except DomainError as error:
        add_to_form(form, error)
        return
    form.offer_rooms(choice, zone=request.viewer.zone, checking="check_rooms" in request.POST)


def _wants_to_save(request: HttpRequest) -> bool:
    # "Check rooms for this time" posts the same form to list the rooms, and saves nothing.
    return request.method == "POST" and "check_rooms" not in request.POST


def _occurrence_form_page(
    request: HttpRequest,
    form: OccurrenceForm,
    *,
    session: Session,
    occurrence: Occurrence | None = None,
    save: Callable[[dict[str, Any]], object],
    saved: str,
    title: str,
    submit: str,
) -> HttpResponse:
    """The date form's round trip, the same for a new date and a changed one: ``save`` gets
    the cleaned data (unless the post only asked to check rooms); a refusal shows on the form,
    success goes back to the session with the ``saved`` message; otherwise the form is shown
    again with the rooms free at its time."""
    if form.is_bound and form.is_valid() and _wants_to_save(request):
        try:
            save(form.cleaned_data)
        except DomainError as error:
            add_to_form(form, error)
        else:
            messages.success(request, saved)
            return redirect("events:session", slug=session.slug)
    _offer_rooms(request, form, session=session, occurrence=occurrence)
    return render(
        request,
        "events/occurrence_form.html",
        {"form": form, "session": session, "title": title, "submit": submit},
    )


@login_required
def occurrence_add(request: HttpRequest, slug: str) -> HttpResponse:
    session = selectors.session_get(slug=slug)
    if not can_edit_session(actor=request.viewer, session=session):
        raise Forbidden(
            "Only the session's speakers, its circle's champions and enablers can schedule it."
        )
    form = OccurrenceForm(
        request.POST or None, initial={"zone": request.viewer.timezone, "capacity": 30}
    )

    def schedule(data: dict[str, Any]) -> None:
        services.occurrence_create(
            session=session,
            actor=request.viewer,
            start=data["start"],
            end=data["end"],
            room=data["room"],
            online_url=data["online_url"],
            capacity=data["capacity"],
        )

    return _occurrence_form_page(
        request,
        form,
        session=session,
        save=schedule,
        saved="Date added.",
        title=f"Add a date to “{session.title}”",
        submit="Schedule",
    )


@login_required
def occurrence_edit(request: HttpRequest, occurrence_id: int) -> HttpResponse:
    occurrence = selectors.occurrence_get(id=occurrence_id)
    session = occurrence.session
    if not can_edit_session(actor=request.viewer, session=session):
        raise Forbidden(
            "Only the session's speakers, its circle's champions and enablers can edit it."
        )
    zone = request.viewer.zone
    form = OccurrenceForm(
        request.POST or None,
        initial={
            # Shown as wall-clock time in the viewer's zone, which the zone field names.
            "start": occurrence.start.astimezone(zone).replace(
                tzinfo=None, second=0, microsecond=0
            ),
            "end": occurrence.end.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0),
            "zone": request.viewer.timezone,
            "room": occurrence.room,
            "online_url": occurrence.online_url,
            "capacity": occurrence.capacity,
        },
    )

    def update(data: dict[str, Any]) -> None:
        # A time left as shown keeps its stored instant: the wall-clock field has no seconds
        # and cannot say which pass of an hour the clocks repeat it was.
        moved = {"start", "end", "zone"} & set(form.changed_data)
        services.occurrence_update(
            occurrence=occurrence,
            actor=request.viewer,
            start=data["start"] if moved else occurrence.start,
            end=data["end"] if moved else occurrence.end,
            room=data["room"],
            clear_room=data["room"] is None,
            online_url=data["online_url"],
            capacity=data["capacity"],
        )

    return _occurrence_form_page(
        request,
        form,
        session=session,
        occurrence=occurrence,
        save=update,
        saved="Date saved.",
        title=f"Change a date of “{session.title}”",
        submit="Save",
    )


@login_required
@require_POST
def register(request: HttpRequest, occurrence_id: int) -> HttpResponse:
    occurrence = selectors.occurrence_get(id=occurrence_id)
    try:
        registration = services.registration_create(
            occurrence=occurrence, person=request.viewer, actor=request.viewer
        )
    except DomainError as error:
        flash(request, error)
    else:
        if registration.status == registration.Status.GOING:
            messages.success(request, "You are registered.")
        else:
            messages.info(request, "This date is full: you are on the waiting list.")
    return redirect("events:session", slug=occurrence.session.slug)


@login_required
@require_POST
def cancel(request: HttpRequest, occurrence_id: int) -> HttpResponse:
    occurrence = selectors.occurrence_get(id=occurrence_id)
    try:
        services.registration_cancel(
            occurrence=occurrence, person=request.viewer, actor=request.viewer
        )
    except DomainError as error:
        flash(request, error)
    else:
        messages.success(request, "Your registration is cancelled.")
    return redirect("events:session", slug=occurrence.session.slug)


@login_required
@require_POST
def attendance(request: HttpRequest, occurrence_id: int) -> HttpResponse:
    occurrence = selectors.occurrence_get(id=occurrence_id)
    form = AttendanceForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a person and how they attended.")
    else:
        try:
            attendance_services.attendance_record(
                occurrence=occurrence,
                person=form.cleaned_data["person"],
                mode=form.cleaned_data["mode"],
                actor=request.viewer,
            )
        except DomainError as error:
            # A refusal comes only from a hand-made request (the form is shown to those who
            # may record): its page, not a message.
            refusal_as_page(error)
            flash(request, error)
        else:
            messages.success(request, "Attendance recorded.")
    return redirect("events:session", slug=occurrence.session.slug)


def _marks_from(request: HttpRequest) -> dict[int, str]:
    """The checklist as posted: one ``person`` field per row and its ``mode-<id>`` choice."""
    marks: dict[int, str] = {}
    for value in request.POST.getlist("person"):
        if not value.isdigit() or len(value) > 18:
            raise DomainError("The checklist was not sent as the page made it; reload it.")
        marks[int(value)] = request.POST.get(f"mode-{value}", "")
    return marks


@login_required
def attendance_checklist(request: HttpRequest, occurrence_id: int) -> HttpResponse:
    """A date's attendance as one checklist of the registered: tick, or "all present" by mode,
    and add people who came without registering; saved in one POST."""
    occurrence = selectors.occurrence_get(id=occurrence_id)
    if not can_edit_session(actor=request.viewer, session=occurrence.session):
        raise Forbidden(attendance_services.ATTENDANCE_REFUSED)
    others = request.POST.get("others", "")
    if request.method == "POST":
        try:
            changes = attendance_services.attendance_record_bulk(
                occurrence=occurrence,
                actor=request.viewer,
                marks=_marks_from(request),
                others=others,
                others_mode=request.POST.get("others_mode", ""),
                all_present=request.POST.get("all", ""),
            )
        except DomainError as error:
            flash(request, error)
        else:
            messages.success(
                request,
                f"Attendance saved: {changes.recorded} recorded, {changes.removed} removed.",
            )
            return redirect("events:attendance_checklist", occurrence_id=occurrence.pk)
    rows = selectors.attendance_checklist(occurrence=occurrence)
    modes = [(m, Attendance.Mode(m).label) for m in occurrence.modes]
    return render(
        request,
        "events/attendance_checklist.html",
        {
            "occurrence": occurrence,
            "session": occurrence.session,
            "rows": rows,
            "modes": modes,
            "present": {label: sum(r.mode == m for r in rows) for m, label in modes},
            "started": occurrence.has_started,
            "others": others,
        },
        status=400 if request.method == "POST" else 200,
    )


def _checkin_url(request: HttpRequest, occurrence: Occurrence, token: str) -> str:
    return request.build_absolute_uri(reverse("events:check_in", args=[occurrence.pk, token]))


@login_required
def checkin_display(request: HttpRequest, occurrence_id: int) -> HttpResponse:
    """The page organisers put on the room's screen and paste in the online meeting: the
    check-in link and its QR code (an SVG made here, nothing fetched)."""
    occurrence = selectors.occurrence_get(id=occurrence_id)
    token = attendance_services.occurrence_checkin_token(
        occurrence=occurrence, actor=request.viewer, rotate=request.method == "POST"
    )
    if request.method == "POST":
        messages.success(request, "A new check-in link is ready; the old one no longer works.")
        return redirect("events:checkin_display", occurrence_id=occurrence.pk)
    url = _checkin_url(request, occurrence, token)
    opens, closes = attendance_services.checkin_window(occurrence=occurrence)
    return render(
        request,
        "events/checkin_display.html",
        {
            "occurrence": occurrence,
            "session": occurrence.session,
            "url": url,
            # No size: the stylesheet sizes it for the room's screen (a viewBox is kept).
            "qr_svg": segno.make(url, error="m")
            .svg_inline(
                omitsize=True, dark="#111", light="#fff", title="QR code of the check-in link"
            )
            .replace("<svg ", '<svg role="img" ', 1),
            "opens": opens,
            "closes": closes,
            "is_open": attendance_services.checkin_is_open(occurrence=occurrence),
        },
    )


@login_required
def check_in(request: HttpRequest, occurrence_id: int, token: str | None = None) -> HttpResponse:
    """An attendee's check-in: a GET only shows the confirm button (a link preview or a
    scanner must not record anyone); the POST records them. Without a token: the session
    page's button, for people going."""
    occurrence = selectors.occurrence_get(id=occurrence_id)
    refusal = attendance_services.checkin_refusal(
        occurrence=occurrence, token=token, person=request.viewer
    )
    if refusal is not None:
        raise refusal
    if request.method == "POST":
        try:
            attendance_services.attendance_check_in(
                occurrence=occurrence,
                person=request.viewer,
                token=token,
                mode=request.POST.get("mode", ""),
            )
        except DomainError as error:
            if error.field != "mode":
                raise
            flash(request, error)
        else:
            messages.success(request, "You are checked in. Thank you for coming!")
            return redirect("events:session", slug=occurrence.session.slug)
    modes = [(m, Attendance.Mode(m).label) for m in occurrence.modes]
    return render(
        request,
        "events/check_in.html",
        {
            "occurrence": occurrence,
            "session": occurrence.session,
            "modes": modes,
            "token": token,
            "checked_in": selectors.attendance_of(occurrence=occurrence, person=request.viewer),
        },
    )


def _cancel_after_confirming(
    request: HttpRequest,
    *,
    session: Session,
    occurrences: list[Occurrence],
    what: str,
    action: str,
    cancel: Callable[[], object],
    refused: str,
    done: str,
) -> HttpResponse:
    """Cancelling emails everyone going: a GET shows who will be told, only the confirming POST
    cancels. Shared by a date and a whole session, which differ in what they cancel."""
    if not can_edit_session(actor=request.viewer, session=session):
        raise Forbidden(refused)
    if request.method == "POST":
        try:
            cancel()
        except DomainError as error:
            flash(request, error)
        else:
            messages.success(request, done)
        return redirect("events:session", slug=session.slug)
    return render(
        request,
        "events/cancel_confirm.html",
        {
            "session": session,
            "occurrences": occurrences,
            "audience": selectors.cancellation_audience(occurrences=occurrences),
            "what": what,
            "action": action,
        },
    )


@login_required
def occurrence_cancel(request: HttpRequest, occurrence_id: int) -> HttpResponse:
    """Cancel one date, after a page that says who will be told."""
    occurrence = selectors.occurrence_get(id=occurrence_id)
    return _cancel_after_confirming(
        request,
        session=occurrence.session,
        occurrences=[occurrence],
        what="this date",
        action=reverse("events:occurrence_cancel", args=[occurrence.pk]),
        cancel=lambda: services.occurrence_cancel(occurrence=occurrence, actor=request.viewer),
        refused="Only the session's speakers, its circle's champions and enablers can cancel a "
        "date.",
        done="The date is cancelled; everyone going and the speakers are told.",
    )


@login_required
def session_cancel(request: HttpRequest, slug: str) -> HttpResponse:
    """Cancel a whole session, after a page that lists its upcoming dates and who is told."""
    session = selectors.session_get(slug=slug)
    return _cancel_after_confirming(
        request,
        session=session,
        occurrences=selectors.upcoming_dates_of_session(session=session),
        what="this session",
        action=reverse("events:session_cancel", args=[session.slug]),
        cancel=lambda: services.session_cancel(session=session, actor=request.viewer),
        refused="Only the session's speakers, its circle's champions and enablers can cancel it.",
        done="The session is cancelled; everyone going and the speakers are told.",
    )
