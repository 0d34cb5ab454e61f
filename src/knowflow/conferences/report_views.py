"""The follow-up report page of a conference (enablers and leaders), and its one action for
enablers: "Put the recordings in a library collection" (a POST to the same address)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from knowflow import l10n
from knowflow.accounts.models import Person
from knowflow.conferences import report as report_selectors
from knowflow.conferences import selectors
from knowflow.conferences.permissions import can_read_report
from knowflow.errors import DomainError, Forbidden
from knowflow.feedback import charts
from knowflow.feedback.models import Kind
from knowflow.web.errors import flash, refusal_as_page


class _ViewerRequest(HttpRequest):
    viewer: Person | None


def _reader(request: _ViewerRequest) -> Person:
    viewer = request.viewer
    if viewer is None or not can_read_report(actor=viewer):
        raise Forbidden(report_selectors.REPORT_REFUSED)
    return viewer


@login_required
def report(request: _ViewerRequest, slug: str) -> HttpResponse:
    viewer = _reader(request)
    conference = selectors.conference_get(slug=slug)
    if request.method == "POST":
        try:
            done = report_selectors.conference_recordings_collect(
                actor=viewer, conference=conference
            )
        except DomainError as error:
            refusal_as_page(error)
            flash(request, error)
        else:
            name = done.collection.title
            if done.created:
                text = f"“{name}” is in the library with {done.added} recording{'s' * (done.added != 1)}."
            elif done.added:
                text = f"{done.added} recording{'s' * (done.added != 1)} added to “{name}”."
            else:
                text = f"“{name}” already holds every recording: nothing changed."
            messages.success(request, text)
        return redirect("conferences:report", slug=slug)
    view = report_selectors.conference_report(viewer=viewer, conference=conference)
    locale = l10n.viewer_locale(request)

    def svg(figures: report_selectors.FeedbackFigures | None, title: str) -> str:
        if figures is None or not figures.judged:
            return ""
        return charts.standards_svg(
            figures.unacceptable, figures.acceptable, figures.superior, title=title, locale=locale
        )

    charts_by_talk = {t.talk.pk: svg(t.after_session, t.title) for t in view.talks}
    return render(
        request,
        "conferences/report.html",
        {
            "report": view,
            "conference": conference,
            "modes": report_selectors.MODES,
            "charts": charts_by_talk,
            "total_chart": svg(view.feedback, f"All talks of {conference.name} shown here"),
            "after_session": Kind.AFTER_SESSION,
        },
    )
