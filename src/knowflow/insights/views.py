"""Insights pages: thin — parse, call one selector or service, render."""

from __future__ import annotations

from urllib.parse import urlencode

from babel import Locale
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from knowflow import l10n
from knowflow.errors import DomainError, NotFound
from knowflow.events.models import Session
from knowflow.events.selectors import session_get
from knowflow.feedback.permissions import can_view_session_results
from knowflow.insights import charts, permissions, services
from knowflow.insights import run_again as run_again_service
from knowflow.insights.forms import (
    DecisionForm,
    HourlyCostForm,
    PatternsForm,
    PeriodForm,
    RepeatConfirmForm,
    RepeatRegionForm,
    RoiCostForm,
    RoiIntangibleForm,
    RoiStudyForm,
    RoiTrainingForm,
    RoiVersionForm,
)
from knowflow.insights.models import DuplicateCluster
from knowflow.insights.selectors import (
    clusters,
    gaps,
    knowledge_map,
    periods,
    roi_result,
    roi_studies,
    rollups,
    snapshot,
)
from knowflow.insights.selectors.patterns import PatternFilters, Patterns, patterns_for_page
from knowflow.library.models import Resource
from knowflow.web.errors import add_to_form, flash, refusal_as_page


def _period(request: HttpRequest):  # noqa: ANN202 - a periods.Period
    form = PeriodForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        raise DomainError("Dates are written YYYY-MM-DD.", field="start")
    data = form.cleaned_data if form.is_bound else {}
    return form, periods.period_from(
        preset=data.get("period") or "", start=data.get("start"), end=data.get("end")
    )


def _change(current: float | None, previous: float | None) -> str:
    if current is None or previous is None:
        return "–"
    if not previous:
        return "new" if current else "0"
    return f"{(current - previous) / previous * 100:+.0f} %"


KEY_FIGURES = (
    ("Sessions run", ("sessions_run",)),
    ("Session dates run", ("occurrences_run",)),
    ("Learning hours", ("learning_hours", "total")),
    ("… in the room", ("learning_hours", "room")),
    ("… online", ("learning_hours", "online")),
    ("… from the recording", ("learning_hours", "recording")),
    ("Unique learners", ("unique_learners",)),
    ("Share of the organisation (%)", ("learner_share",)),
    ("Going registrations", ("registrations_going",)),
    ("Live attendances", ("live_attendances",)),
    ("Attendance rate (%)", ("attendance_rate",)),
    ("Distinct speakers", ("speakers_distinct",)),
    ("First-time speakers", ("speakers_first_time",)),
)


def _dig(data: dict, path: tuple[str, ...]) -> float | None:
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data  # type: ignore[return-value]


def key_rows(board: rollups.Dashboard) -> list[tuple[str, object, object, str]]:
    return [
        (
            label,
            _dig(board.figures, path),
            _dig(board.previous, path),
            _change(_dig(board.figures, path), _dig(board.previous, path)),
        )
        for label, path in KEY_FIGURES
    ]


def _reach_rows(board: rollups.Dashboard, dimension: str) -> list[tuple[str, float, float | None]]:
    previous = {r["label"]: r["learners"] for r in board.previous["reach"][dimension]}
    return [
        (r["label"], r["learners"], previous.get(r["label"], 0))
        for r in board.figures["reach"][dimension]
    ]


def dashboard_charts(board: rollups.Dashboard, *, locale: Locale | None = None) -> dict[str, str]:
    hours, before = board.figures["learning_hours"], board.previous["learning_hours"]
    return {
        "hours": charts.bar_chart(
            title="Learning hours by mode",
            rows=[
                (label, hours[mode], before[mode])
                for mode, label in (
                    ("room", "In the room"),
                    ("online", "Online"),
                    ("recording", "Recording"),
                )
            ],
            unit=" h",
            locale=locale,
        ),
        "unit": charts.bar_chart(
            title="Learners by org unit", rows=_reach_rows(board, "org_unit"), locale=locale
        ),
        "office": charts.bar_chart(
            title="Learners by office", rows=_reach_rows(board, "office"), locale=locale
        ),
        "region": charts.bar_chart(
            title="Learners by time-zone region", rows=_reach_rows(board, "region"), locale=locale
        ),
        "equity": charts.bar_chart(
            title="Share of sessions inside each region's working hours",
            rows=[
                (r["region"], r["share_inside_working_hours"], None)
                for r in board.figures["equity"]
            ],
            percent=True,
            locale=locale,
        ),
    }


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    form, period = _period(request)
    board = rollups.dashboard_for(viewer=request.viewer, period=period)
    return render(
        request,
        "insights/dashboard.html",
        {
            "form": form,
            "board": board,
            "rows": key_rows(board),
            "charts": {
                k: mark_safe(v)
                for k, v in dashboard_charts(board, locale=l10n.viewer_locale(request)).items()
            },  # noqa: S308 - escaped in charts
            "query": request.GET.urlencode(),
        },
    )


def _csv(name: str, text: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def dashboard_csv(request: HttpRequest) -> HttpResponse:
    _, period = _period(request)
    board = rollups.dashboard_for(viewer=request.viewer, period=period)
    rows = [("key figure", label, "", now, before) for label, now, before, _ in key_rows(board)]
    for dimension in ("org_unit", "office", "region"):
        rows += [
            (f"learners by {dimension}", label, "", now, before)
            for label, now, before in _reach_rows(board, dimension)
        ]
    for r in board.figures["equity"]:
        rows.append(
            (
                "time-zone equity",
                r["region"],
                "share inside working hours (%)",
                r["share_inside_working_hours"],
                "",
            )
        )
        rows.append(
            ("time-zone equity", r["region"], "share of attendance (%)", r["attendance_share"], "")
        )
        rows.append(("time-zone equity", r["region"], "share of people (%)", r["people_share"], ""))
    evidence = board.figures.get("evidence") or {}
    for source in ("observed", "self_reported"):
        for level, n in (evidence.get(source) or {}).items():
            rows.append(("evidence ladder", level, f"sessions ({source.replace('_', '-')})", n, ""))
    if "sessions_with_feedback" in evidence:
        rows.append(
            ("evidence ladder", "any feedback", "sessions", evidence["sessions_with_feedback"], "")
        )
    return _csv(
        "dashboard.csv",
        charts.csv_text(["section", "item", "measure", "this period", "previous period"], rows),
    )


@login_required
def chart_svg(request: HttpRequest, chart: str) -> HttpResponse:
    _, period = _period(request)
    board = rollups.dashboard_for(viewer=request.viewer, period=period)
    made = dashboard_charts(board, locale=l10n.viewer_locale(request))
    if chart not in made:
        raise NotFound(f"There is no chart '{chart}'.")
    return HttpResponse(made[chart], content_type="image/svg+xml")


@login_required
def duplicates(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    views = clusters.duplicate_clusters(viewer=request.viewer, status=status)
    return render(
        request,
        "insights/duplicates.html",
        {
            "clusters": views,
            "status": status,
            "statuses": DuplicateCluster.Status.choices,
            "form": DecisionForm(),
            "can_decide": permissions.can_decide_duplicates(actor=request.viewer),
        },
    )


@require_POST
@login_required
def duplicate_decide(request: HttpRequest, cluster_id: int) -> HttpResponse:
    cluster = clusters.duplicate_cluster_to_decide(id=cluster_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            form.errors["merged_into"][0] if "merged_into" in form.errors else "Choose a decision.",
        )
        return redirect("insights:duplicates")
    merged_into = merged_into_resource = None
    if form.cleaned_data["merged_into"]:
        kind, pk = form.cleaned_data["merged_into"]
        model = Session if kind == "session" else Resource
        target = model.objects.filter(pk=pk).first()
        if target is None:
            messages.error(request, f"There is no such {kind} to merge into.")
            return redirect("insights:duplicates")
        if kind == "session":
            merged_into = target
        else:
            merged_into_resource = target
    try:
        services.duplicate_cluster_decide(
            cluster=cluster,
            actor=request.viewer,
            status=form.cleaned_data["status"],
            merged_into=merged_into,
            merged_into_resource=merged_into_resource,
            note=form.cleaned_data["note"],
        )
    except DomainError as error:
        refusal_as_page(error)
        flash(request, error)
    else:
        messages.success(request, "Decision recorded; this cluster will not be proposed again.")
    return redirect("insights:duplicates")


@login_required
def already_taught(request: HttpRequest) -> HttpResponse:
    """The "already taught — here is the recording" box for the propose page (a fragment)."""
    title = request.GET.get("title", "").strip()
    found = (
        snapshot.already_taught(title=title, abstract=request.GET.get("abstract", ""))
        if len(title) >= 3
        else []
    )
    template = "insights/_already_taught_results.html"
    if request.GET.get("fragment") != "1":
        template = "insights/already_taught.html"
    return render(request, template, {"found": found, "title": title})


@login_required
def expertise(request: HttpRequest) -> HttpResponse:
    form, period = _period(request)
    board = rollups.dashboard_for(viewer=request.viewer, period=period)
    return render(
        request,
        "insights/expertise.html",
        {"form": form, "board": board, "data": board.expertise, "query": request.GET.urlencode()},
    )


@login_required
def expertise_csv(request: HttpRequest) -> HttpResponse:
    _, period = _period(request)
    data = rollups.dashboard_for(viewer=request.viewer, period=period).expertise
    header = [
        "name",
        "unit",
        "delivery_hours",
        "preparation_hours",
        "hours_shared",
        "audience",
        "units_reached",
        "only_own_unit",
    ]
    return _csv(
        "expertise.csv", charts.csv_text(header, ([r[h] for h in header] for r in data["rows"]))
    )


def _network_svg(data: dict) -> str:
    return charts.network_chart(
        title="Collaboration network of org units",
        nodes=[u["name"] for u in data["units"]],
        edges=[(e["a"], e["b"], e["weight"]) for e in data["edges"]],
    )


@login_required
def knowledge_gaps(request: HttpRequest) -> HttpResponse:
    """Where demand meets no expert, no session, one expert, or no expert in a region's hours;
    each gap with the action that closes it."""
    permissions.check_view_insights(actor=request.viewer)
    form, period = _period(request)
    report = gaps.knowledge_gaps(period=period)
    return render(
        request,
        "insights/gaps.html",
        {
            "form": form,
            "report": report,
            "period_label": periods.period_label(period.name),
            "sections": [
                (kind, title, [(gap, _gap_actions(gap, report)) for gap in report.of_kind(kind)])
                for kind, title in GAP_SECTIONS
            ],
            "query": request.GET.urlencode(),
        },
    )


def _gap_actions(gap: gaps.Gap, report: gaps.GapReport) -> list[tuple[str, str]]:
    """The links that close a gap: (label, URL)."""
    topic_url = reverse("topics:topic", args=[report.topic_slugs[gap.topic_id]])
    last = report.last_sessions.get(gap.topic_id)
    actions: list[tuple[str, str]] = []
    if gap.kind == "no_expert":
        actions.append(("Propose a session on it", reverse("events:propose")))
        actions.append(("Ask for it", f"{reverse('demand:ask')}?{urlencode({'title': gap.topic})}"))
    elif gap.kind == "no_session":
        for expert in gap.experts[:3]:
            slug = report.person_slugs.get(expert.person_id)
            if slug:
                actions.append((f"Ask {expert.name}", reverse("accounts:person", args=[slug])))
    elif gap.kind == "bus_factor_one" and gap.sole_expert is not None:
        slug = report.person_slugs.get(gap.sole_expert.person_id)
        if slug:
            actions.append(
                (
                    f"Ask {gap.sole_expert.name} to pass it on",
                    reverse("accounts:person", args=[slug]),
                )
            )
    if gap.kind in ("no_expert", "bus_factor_one"):
        # A circle is how knowledge held by nobody, or by one person, starts to spread.
        circle_url = reverse("circles:new")
        actions.append(("Start a circle", f"{circle_url}?topic={report.topic_slugs[gap.topic_id]}"))
    if gap.kind in ("bus_factor_one", "uncovered_region") and last:
        label = (
            "Run it again"
            if gap.kind == "bus_factor_one"
            else f"Schedule a repeat in {gap.region} hours"
        )
        actions.append((label, reverse("events:find_time_for", args=[last])))
    actions.append(("See the topic", topic_url))
    return actions


GAP_SECTIONS = (
    ("no_expert", "Wanted, and nobody has taught it"),
    ("no_session", "Wanted, and no session held or coming"),
    ("bus_factor_one", "Only one person has taught it"),
    ("uncovered_region", "No expert works when these people do"),
)


@login_required
def network(request: HttpRequest) -> HttpResponse:
    form, period = _period(request)
    board = rollups.dashboard_for(viewer=request.viewer, period=period)
    return render(
        request,
        "insights/network.html",
        {
            "form": form,
            "board": board,
            "data": board.network,
            "svg": mark_safe(_network_svg(board.network)),
            "query": request.GET.urlencode(),
        },  # noqa: S308
    )


@login_required
def network_svg(request: HttpRequest) -> HttpResponse:
    _, period = _period(request)
    return HttpResponse(
        _network_svg(rollups.dashboard_for(viewer=request.viewer, period=period).network),
        content_type="image/svg+xml",
    )


@login_required
def network_csv(request: HttpRequest) -> HttpResponse:
    _, period = _period(request)
    data = rollups.dashboard_for(viewer=request.viewer, period=period).network
    return _csv(
        "network-edges.csv",
        charts.csv_text(
            ["unit_a", "unit_b", "weight"], ((e["a"], e["b"], e["weight"]) for e in data["edges"])
        ),
    )


def _knowledge_map_svg(page: knowledge_map.KnowledgeMapPage) -> str:
    drawing = page.drawing
    hrefs = {
        f"circle-{k}": reverse("circles:circle", args=[c.slug])
        for k, c in page.circle_names.items()
    }
    hrefs |= {f"topic-{k}": reverse("topics:topic", args=[t.slug]) for k, t in page.topics.items()}
    drawn = sum(1 for n in drawing.nodes if n.kind == "circle")
    description = (
        f"{drawn} circles, {sum(1 for n in drawing.nodes if n.kind == 'topic')} topics and "
        f"{sum(1 for n in drawing.nodes if n.kind == 'unit')} org units; "
        f"{page.circle_links_drawn} of {page.links_total} links between circles drawn. "
        "Isolated circles: "
        + (", ".join(c.name for c in page.isolated) or "none")
        + ". The tables below the picture hold the same information."
    )
    return charts.knowledge_map_chart(
        title="Map of the knowledge: circles, topics and org units",
        description=description,
        drawing=drawing,
        hrefs=hrefs,
    )


@login_required
def knowledge_map_page(request: HttpRequest) -> HttpResponse:
    page = knowledge_map.knowledge_map_for(viewer=request.viewer)
    return render(
        request,
        "insights/knowledge_map.html",
        {"map": page, "svg": mark_safe(_knowledge_map_svg(page))},  # noqa: S308 - escaped in charts
    )


@login_required
def knowledge_map_svg(request: HttpRequest) -> HttpResponse:
    page = knowledge_map.knowledge_map_for(viewer=request.viewer)
    return HttpResponse(_knowledge_map_svg(page), content_type="image/svg+xml")


@login_required
def roi_list(request: HttpRequest) -> HttpResponse:
    studies = roi_studies.roi_study_list(viewer=request.viewer)
    # Bound only to the form that was submitted: an unbound form shows no errors, so a GET
    # (or a post of the other form) never greets anyone with "This field is required."
    posted = request.POST.get("form", "study") if request.method == "POST" else None
    form = RoiStudyForm(request.POST if posted == "study" else None)
    cost_form = HourlyCostForm(request.POST if posted == "cost" else None)
    if posted == "cost":
        if cost_form.is_valid():
            try:
                services.hourly_cost_set(actor=request.viewer, **cost_form.cleaned_data)
            except DomainError as error:
                refusal_as_page(error)
                add_to_form(cost_form, error)
            else:
                messages.success(request, "Hourly cost saved.")
                return redirect("insights:roi_list")
    elif posted == "study" and form.is_valid():
        try:
            study = services.roi_study_create(actor=request.viewer, **form.cleaned_data)
        except DomainError as error:
            refusal_as_page(error)
            add_to_form(form, error)
        else:
            return redirect("insights:roi_report", study_id=study.pk)
    return render(
        request,
        "insights/roi_list.html",
        {
            "studies": studies,
            "form": form,
            "cost_form": cost_form,
            "costs": roi_studies.hourly_cost_list(viewer=request.viewer),
            "can_manage": permissions.can_manage_roi(actor=request.viewer),
        },
    )


@login_required
def roi_report(request: HttpRequest, study_id: int) -> HttpResponse:
    study = roi_studies.roi_study_get(viewer=request.viewer, study_id=study_id)
    result = roi_result.roi_study_result(viewer=request.viewer, study=study)
    return render(
        request,
        "insights/roi_report.html",
        {
            "r": result,
            "versions": list(study.versions.all()),
            "history": roi_studies.roi_study_history(viewer=request.viewer, study=study),
            "cost_form": RoiCostForm(),
            "training_form": RoiTrainingForm(),
            "intangible_form": RoiIntangibleForm(),
            "version_form": RoiVersionForm(),
            "can_manage": permissions.can_manage_roi(actor=request.viewer),
        },
    )


@require_POST
@login_required
def roi_freeze(request: HttpRequest, study_id: int) -> HttpResponse:
    study = roi_studies.roi_study_get(viewer=request.viewer, study_id=study_id)
    form = RoiVersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(" ".join(v) for v in form.errors.values()))
        return redirect("insights:roi_report", study_id=study.pk)
    version = services.roi_version_freeze(study=study, actor=request.viewer, **form.cleaned_data)
    messages.success(request, f"Version {version.number} frozen: its figures will not change.")
    return redirect("insights:roi_version", study_id=study.pk, number=version.number)


@login_required
def roi_version(request: HttpRequest, study_id: int, number: int) -> HttpResponse:
    """A frozen version, laid out to be printed: its stored inputs and figures only."""
    study = roi_studies.roi_study_get(viewer=request.viewer, study_id=study_id)
    version = roi_studies.roi_version_get(viewer=request.viewer, study=study, number=number)
    return render(request, "insights/roi_version.html", {"study": study, "v": version})


@login_required
def roi_trace(request: HttpRequest, study_id: int) -> HttpResponse:
    study = roi_studies.roi_study_get(viewer=request.viewer, study_id=study_id)
    return render(
        request,
        "insights/roi_trace.html",
        {"r": roi_result.roi_study_result(viewer=request.viewer, study=study)},
    )


def roi_csv_text(result: roi_result.RoiResult) -> str:
    rows = [
        (line.section, line.item, line.quantity, line.value, line.source) for line in result.lines
    ]
    rows += [("intangible", text, "", "", "not converted to money") for text in result.intangibles]
    rows += [
        ("total", "costs", "", result.costs, ""),
        ("total", "benefits", "", result.benefits, ""),
        ("result", "benefit-cost ratio", "benefits ÷ costs", result.bcr, ""),
        ("result", "ROI %", "(benefits − costs) ÷ costs × 100", result.roi_percent, ""),
    ]
    rows += [("assumption", text, "", "", "") for text in result.assumptions]
    return charts.csv_text(["section", "item", "quantity", "value", "source"], rows)


@login_required
def roi_csv(request: HttpRequest, study_id: int) -> HttpResponse:
    study = roi_studies.roi_study_get(viewer=request.viewer, study_id=study_id)
    return _csv(
        f"roi-study-{study.pk}.csv",
        roi_csv_text(roi_result.roi_study_result(viewer=request.viewer, study=study)),
    )


@require_POST
@login_required
def roi_add(request: HttpRequest, study_id: int, what: str) -> HttpResponse:
    study = roi_studies.roi_study_get(viewer=request.viewer, study_id=study_id)
    forms_by_kind = {
        "cost": (RoiCostForm, services.roi_cost_add),
        "training": (RoiTrainingForm, services.roi_training_avoided_add),
        "intangible": (RoiIntangibleForm, services.roi_intangible_add),
    }
    if what not in forms_by_kind:
        raise NotFound(f"Nothing called '{what}' can be added to a study.")
    form_class, service = forms_by_kind[what]
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
    else:
        try:
            service(study=study, actor=request.viewer, **form.cleaned_data)
        except DomainError as error:
            refusal_as_page(error)
            flash(request, error)
        else:
            messages.success(request, "Added.")
    return redirect("insights:roi_report", study_id=study.pk)


# --- what works ----------------------------------------------------------------------------------


def _patterns_filters(request: HttpRequest) -> tuple[PatternsForm, PatternFilters]:
    form = PatternsForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        field = next(iter(form.errors), "start")
        raise DomainError(
            "Choose a period, a region from the list and a topic (dates are written YYYY-MM-DD).",
            field=field,
        )
    data = form.cleaned_data if form.is_bound else {}
    period = periods.period_from(
        preset=data.get("period") or "", start=data.get("start"), end=data.get("end")
    )
    return form, PatternFilters(
        period=period, region=data.get("region") or "", topic=data.get("topic") or ""
    )


def patterns_charts(found: Patterns, *, locale: Locale | None = None) -> dict[str, str]:
    """One chart per dimension: the share of judged answers meeting the standard, each bar
    labelled with its number of responses (the sample size)."""
    return {
        table.dimension: mark_safe(  # noqa: S308 - built by charts, every text escaped there
            charts.bar_chart(
                title=f"Share meeting the feedback standard, by {table.title.lower()}",
                rows=[
                    (f"{row.label} (n={row.responses})", row.meets_share, None)
                    for row in table.rows
                ],
                percent=True,
                locale=locale,
                legend=False,
            )
        )
        for table in found.tables
    }


@login_required
def patterns(request: HttpRequest) -> HttpResponse:
    permissions.check_view_insights(actor=request.viewer)
    form, filters = _patterns_filters(request)
    found, computed_at = patterns_for_page(filters=filters)
    return render(
        request,
        "insights/patterns.html",
        {
            "form": form,
            "found": found,
            "computed_at": computed_at,
            "period_label": periods.period_label(filters.period.name),
            "charts": patterns_charts(found, locale=l10n.viewer_locale(request)),
            "can_run_again": request.viewer.is_enabler,
            "query": request.GET.urlencode(),
        },
    )


@login_required
def run_again(request: HttpRequest, slug: str) -> HttpResponse:
    session = session_get(slug=slug)
    try:
        row = run_again_service.run_again_check(actor=request.viewer, session=session)
    except DomainError as error:
        refusal_as_page(error)
        return render(
            request, "insights/run_again.html", {"session": session, "refusal": error.message}
        )
    region_form = RepeatRegionForm(request.GET if "region" in request.GET else None)
    slots: list[run_again_service.RepeatSlot] = []
    confirm = None
    if region_form.is_bound and region_form.is_valid():
        region = region_form.cleaned_data["region"]
        try:
            slots = run_again_service.repeat_slots(session=session, region=region)
        except DomainError as error:
            add_to_form(region_form, error)
        else:
            last = session.occurrences.filter(cancelled_at__isnull=True).order_by("-start").first()
            confirm = RepeatConfirmForm(
                initial={
                    "region": region,
                    "online_url": last.online_url if last else "",
                    "capacity": last.capacity if last else 30,
                }
            )
    return render(
        request,
        "insights/run_again.html",
        {
            "session": session,
            "row": row,
            # A circle's champions may run it again but not read its results: no figures.
            "show_results": can_view_session_results(actor=request.viewer, session=session),
            "minutes": run_again_service.source_minutes(session=session),
            "region_form": region_form,
            "slots": slots,
            "confirm": confirm,
        },
    )


@require_POST
@login_required
def run_again_propose(request: HttpRequest, slug: str) -> HttpResponse:
    session = session_get(slug=slug)
    try:
        proposal = run_again_service.session_run_again_as_proposal(
            actor=request.viewer, session=session
        )
    except DomainError as error:
        refusal_as_page(error)
        flash(request, error)
        return redirect("insights:run_again", slug=session.slug)
    minutes = run_again_service.source_minutes(session=session)
    messages.success(
        request,
        f"Proposed again as a new session with its speakers and topics ({minutes} minutes, "
        "like the original). No feedback was copied. Next: find a time.",
    )
    return redirect("events:session", slug=proposal.slug)


@require_POST
@login_required
def run_again_repeat(request: HttpRequest, slug: str) -> HttpResponse:
    session = session_get(slug=slug)
    form = RepeatConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return redirect("insights:run_again", slug=session.slug)
    try:
        occurrence = run_again_service.session_repeat_in_region(
            actor=request.viewer, session=session, **form.cleaned_data
        )
    except DomainError as error:
        refusal_as_page(error)
        flash(request, error)
        return redirect(
            f"{reverse('insights:run_again', args=[session.slug])}?region="
            f"{form.cleaned_data['region']}"
        )
    messages.success(
        request,
        f"Repeat scheduled for {occurrence.start:%a %d %b %Y, %H:%M} UTC in "
        f"{form.cleaned_data['region']}'s working hours. No feedback was copied.",
    )
    return redirect("events:session", slug=session.slug)
