"""Library pages: search, resources (with safe file downloads), collections and paths, insights."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from knowflow.accounts.models import Person
from knowflow.demand.searches import suggests_request
from knowflow.errors import DomainError, Forbidden, NotFound
from knowflow.events import selectors as events_selectors
from knowflow.events.models import Session
from knowflow.library import selectors, services
from knowflow.library.forms import (
    CaptionsForm,
    CollectionForm,
    ItemForm,
    ResourceEditForm,
    ResourceForm,
    SearchForm,
    SectionForm,
)
from knowflow.library.models import (
    Collection,
    CollectionSection,
    Resource,
)
from knowflow.library.permissions import (
    can_edit_resource,
    can_manage_captions,
    can_manage_collection,
    can_see_search_insights,
)
from knowflow.library.uploads import (
    UploadRefused,
    upload_read_within_limit,
    upload_refusal_from_headers,
)
from knowflow.search.models import SearchDocument
from knowflow.web import pagination
from knowflow.web.errors import add_to_form, flash

# --- search -----------------------------------------------------------------------------------


@login_required
def search_page(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    context: dict[str, object] = {"form": form, "page": None, "log": None}
    if form.is_valid():
        data = form.cleaned_data
        search = selectors.SearchRequest(
            text=data["q"] or "",
            types=(data["type"],) if data["type"] else (),
            topic=data["topic"] or "",
            format=data["format"] or "",
            language=data["language"] or "",
            circle=data["circle"] or "",
            date_from=data["date_from"],
            date_to=data["date_to"],
            has_recording=True if data["recording"] else None,
            literal=bool(data["literal"]),
        )
        try:
            page = selectors.search_everything(
                viewer=request.viewer, request=search, page=data["page"] or 1, facets=True
            )
        except DomainError as error:
            add_to_form(form, error)
        else:
            context["page"] = page
            context["facets"] = _facet_links(request, page)
            literal_query = request.GET.copy()
            literal_query.pop("page", None)
            literal_query["literal"] = "1"
            context["literal_url"] = f"?{literal_query.urlencode()}"
            context["kept_filters"] = [
                (name, request.GET[name])
                for name in ("topic", "format", "language", "circle")
                if request.GET.get(name)
            ]
            if search.text.strip() and (data["page"] or 1) == 1:
                context["log"] = services.search_log_query(
                    text=search.text, result_count=page.results.total
                )
            # A search that found nothing, or only generic matches, may be unmet demand.
            context["suggest_request"] = suggests_request(
                text=search.text, result_count=page.results.total
            )
    return render(request, "library/search.html", context)


_FACET_PARAMS = {
    "type": ("type", "Type"),
    "topic": ("topic", "Topic"),
    "format": ("format", "Format"),
    "circle": ("circle", "Circle"),
    "language": ("language", "Language"),
    "has_recording": ("recording", "Recording"),
}


def _facet_links(request: HttpRequest, page: selectors.SearchPage) -> list[tuple[str, list[dict]]]:
    """Each facet value as a link that adds (or replaces) that filter, from the first page."""
    groups = []
    for name, values in page.facets.items():
        param, title = _FACET_PARAMS[name]
        links = []
        for facet in values:
            query = request.GET.copy()
            query.pop("page", None)
            query[param] = "on" if name == "has_recording" else facet.value
            active = request.GET.get(param) == query[param]
            links.append(
                {
                    "label": facet.label,
                    "count": facet.count,
                    "url": f"?{query.urlencode()}",
                    "active": active,
                }
            )
        if links:
            groups.append((title, links))
    return groups


@login_required
def search_suggest(request: HttpRequest) -> JsonResponse:
    return JsonResponse(selectors.search_suggestions(text=request.GET.get("q", "")[:200]))


@login_required
def search_click(
    request: HttpRequest, log_id: int, kind: str, object_id: int, position: int
) -> HttpResponse:
    """Count a click on a result, then go to it. The target comes from the index, never from
    the request, so this cannot be used to redirect anywhere else."""
    document = (
        SearchDocument.objects.filter(kind=kind, object_id=object_id).only("kind", "slug").first()
    )
    if document is None:
        raise NotFound("That result is no longer there.")
    # An old link whose log entry is gone still takes the person where they wanted to go.
    with contextlib.suppress(NotFound):
        services.search_click_record(
            log_id=log_id, kind=kind, object_id=object_id, position=position
        )
    return redirect(selectors.object_url(document.kind, document.slug))


@login_required
def search_insights(request: HttpRequest) -> HttpResponse:
    insights = selectors.search_insights(viewer=request.viewer)
    return render(request, "library/insights.html", {"insights": insights})


# --- resources --------------------------------------------------------------------------------


@login_required
def library_home(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    kind = kind if kind in Resource.Kind.values else ""
    page = pagination.page_number(request)
    resources, has_next = selectors.resource_list(
        kind=kind, topic=request.GET.get("topic", ""), page=page
    )
    return render(
        request,
        "library/home.html",
        {
            "resources": resources,
            "has_next": has_next,
            "page_number": page,
            "kind": kind,
            "kinds": Resource.Kind.choices,
            "paths": selectors.paths_followed(viewer=request.viewer),
            "can_see_insights": can_see_search_insights(actor=request.viewer),
        },
    )


@login_required
def resource_page(request: HttpRequest, slug: str) -> HttpResponse:
    resource = selectors.resource_detail(slug=slug)
    return render(
        request,
        "library/resource.html",
        {
            "resource": resource,
            "stale": selectors.is_stale(resource),
            "can_edit": can_edit_resource(actor=request.viewer, resource=resource),
            "can_manage_captions": resource.kind == Resource.Kind.RECORDING
            and can_manage_captions(actor=request.viewer, resource=resource),
            "transcript": selectors.transcript_of(resource=resource),
            "related": selectors.related_to(kind="resource", object_id=resource.pk),
        },
    )


def _resource_kwargs(data: dict) -> dict:
    return {
        "title": data["title"],
        "description": data["description"],
        "body": data["body"],
        "url": data["url"] or "",
        "topics": data["topics"],
        "language": data["language"],
        "licence": data["licence"],
    }


def _limits_upload_size(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For a page whose form carries a file: the size limit holds before its body is read
    (``uploads.upload_refusal_from_headers``) and while it arrives (``UploadSizeLimit``). The
    view gets ``upload_refusal`` and, when the body was read, the fields it kept.

    Django's CSRF check reads the body, so it is done here, after the limit is in place. A
    request refused from its headers skips it: its body is never read, and the answer (the
    form again, with the reason) changes nothing.
    """
    protected = csrf_protect(view)

    @wraps(view)
    @csrf_exempt
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if request.method != "POST":
            return protected(request, *args, **kwargs)
        refusal = upload_refusal_from_headers(request)
        if refusal is not None:
            return view(request, *args, upload_refusal=refusal, kept=QueryDict(), **kwargs)
        refusal = upload_read_within_limit(request)
        if refusal is not None and not request.POST:
            # The body could not be read (too much text, too many fields, not a form), so there
            # is no token to check either: the form again with the reason changes nothing.
            return view(request, *args, upload_refusal=refusal, kept=QueryDict(), **kwargs)
        return protected(request, *args, upload_refusal=refusal, kept=request.POST, **kwargs)

    # Read by knowflow.web.middleware: this page refuses an oversized body on its own form.
    wrapper.limits_upload_size = True  # type: ignore[attr-defined]
    return wrapper


def _refused_upload_form(
    form_class: type[ResourceForm], refusal: UploadRefused, *, initial: dict, kept: QueryDict
) -> ResourceForm:
    """The form again with the reason next to the file field and what the person typed kept
    (when their fields were read): not checked, since fields sent after the file were not."""
    typed = {
        key: values[0] if len(values) == 1 else values
        for key, values in kept.lists()
        if key != "csrfmiddlewaretoken"
    }
    form = form_class(initial={**initial, **typed})
    form.show_upload_refusal(refusal.message, field=refusal.field)
    return form


@login_required
@_limits_upload_size
def resource_add(
    request: HttpRequest,
    *,
    upload_refusal: UploadRefused | None = None,
    kept: QueryDict | None = None,
) -> HttpResponse:
    # "Add a resource to this session" on a session page arrives with the session filled in.
    session = None
    if request.GET.get("session"):
        session = Session.objects.filter(slug=request.GET["session"]).first()
    initial = {"language": "en", "session": session}
    if upload_refusal is not None:
        form = _refused_upload_form(
            ResourceForm, upload_refusal, initial=initial, kept=kept or QueryDict()
        )
        context = {"form": form, "title": "Add to the library", "session": session}
        return render(
            request, "library/resource_form.html", context, status=upload_refusal.status_code
        )
    form = ResourceForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            resource = services.resource_create(
                actor=request.viewer,
                kind=data["kind"],
                upload=data["file"],
                session=data["session"],
                circle=data["circle"],
                **_resource_kwargs(data),
            )
        except DomainError as error:
            add_to_form(form, error)
        else:
            messages.success(request, "Added to the library.")
            return redirect("library:resource", slug=resource.slug)
    return render(
        request,
        "library/resource_form.html",
        {"form": form, "title": "Add to the library", "session": session},
    )


def _resource_initial(resource: Resource) -> dict:
    return {
        "title": resource.title,
        "description": resource.description,
        "body": resource.body,
        "url": resource.url,
        "topics": resource.topics.all(),
        "language": resource.language,
        "licence": resource.licence,
        "session": resource.session,
        "circle": resource.circle,
    }


@login_required
@_limits_upload_size
def resource_edit(
    request: HttpRequest,
    slug: str,
    *,
    upload_refusal: UploadRefused | None = None,
    kept: QueryDict | None = None,
) -> HttpResponse:
    resource = selectors.resource_get(slug=slug)
    if not can_edit_resource(actor=request.viewer, resource=resource):
        raise Forbidden(
            "Only the resource's owner, authors, its circle's champions and enablers can edit it."
        )
    if upload_refusal is not None:
        form = _refused_upload_form(
            ResourceEditForm,
            upload_refusal,
            initial=_resource_initial(resource),
            kept=kept or QueryDict(),
        )
        context = {"form": form, "title": f"Edit “{resource.title}”", "resource": resource}
        return render(
            request, "library/resource_form.html", context, status=upload_refusal.status_code
        )
    if request.method == "POST":
        form = ResourceEditForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.resource_update(
                    resource=resource,
                    actor=request.viewer,
                    upload=form.cleaned_data["file"],
                    session=form.cleaned_data["session"],
                    circle=form.cleaned_data["circle"],
                    **_resource_kwargs(form.cleaned_data),
                )
            except DomainError as error:
                add_to_form(form, error)
            else:
                messages.success(request, "Saved.")
                return redirect("library:resource", slug=resource.slug)
    else:
        form = ResourceEditForm(initial=_resource_initial(resource))
    return render(
        request,
        "library/resource_form.html",
        {"form": form, "title": f"Edit “{resource.title}”", "resource": resource},
    )


@login_required
@_limits_upload_size
def resource_captions(
    request: HttpRequest,
    slug: str,
    *,
    upload_refusal: UploadRefused | None = None,
    kept: QueryDict | None = None,
) -> HttpResponse:
    """Upload (or replace) a recording's captions."""
    resource = selectors.resource_get(slug=slug)
    if resource.kind != Resource.Kind.RECORDING:
        raise NotFound("Captions go with a recording; this resource is not one.")
    if not can_manage_captions(actor=request.viewer, resource=resource):
        raise Forbidden(services.CAPTIONS_FORBIDDEN)
    status = 200
    if upload_refusal is not None:
        form = CaptionsForm()
        form.show_upload_refusal(upload_refusal.message)
        status = upload_refusal.status_code
    elif request.method == "POST":
        form = CaptionsForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                captions = services.captions_upload(
                    resource=resource, actor=request.viewer, upload=form.cleaned_data["captions"]
                )
            except DomainError as error:
                add_to_form(form, error)
            else:
                messages.success(
                    request,
                    f"Captions saved: {captions.cue_count} lines. Search now finds this "
                    "recording by what was said.",
                )
                return redirect("library:resource", slug=resource.slug)
    else:
        form = CaptionsForm()
    context = {
        "form": form,
        "resource": resource,
        "transcript": selectors.transcript_of(resource=resource),
    }
    return render(request, "library/captions_form.html", context, status=status)


@login_required
@require_POST
def resource_captions_delete(request: HttpRequest, slug: str) -> HttpResponse:
    resource = selectors.resource_get(slug=slug)
    try:
        services.captions_delete(resource=resource, actor=request.viewer)
    except DomainError as error:
        flash(request, error)
    else:
        messages.success(request, "Captions removed: search no longer finds what was said.")
    return redirect("library:resource", slug=resource.slug)


@login_required
@require_POST
def resource_confirm(request: HttpRequest, slug: str) -> HttpResponse:
    resource = selectors.resource_get(slug=slug)
    try:
        services.resource_confirm_reviewed(resource=resource, actor=request.viewer)
    except DomainError as error:
        flash(request, error)
    else:
        messages.success(request, f"Thank you: “{resource.title}” is marked as still accurate.")
    if request.POST.get("next") == "home":
        return redirect("library:home")
    return redirect("library:resource", slug=resource.slug)


@login_required
@require_POST
def recording_watched(request: HttpRequest, session_id: int) -> HttpResponse:
    """ "I watched the recording", from the session page."""
    session = events_selectors.session_get(id=session_id)
    try:
        services.recording_watched(session=session, person=request.viewer)
    except DomainError as error:
        flash(request, error)
    else:
        messages.success(request, "Thank you: you count as a viewer of the recording.")
    return redirect("events:session", slug=session.slug)


@login_required
def resource_file(request: HttpRequest, slug: str) -> FileResponse:
    """Serve an uploaded file with the type detected at upload and ``nosniff``: PDFs and
    images inline, everything else as a download; a sandboxing CSP on top, so even a file a
    browser might render cannot run a script on our origin."""
    resource = selectors.resource_get(slug=slug)
    stored = selectors.resource_file_open(resource=resource)
    from knowflow.library.uploads import GIF, JPEG, PDF, PNG, WEBP

    inline_types = {t.content_type for t in (PDF, PNG, JPEG, GIF, WEBP)}
    inline = resource.file_type in inline_types
    # Streamed from the store through this view, never a redirect to it: the permission
    # check above and the headers below hold whichever store the file is in.
    response = FileResponse(
        stored,
        as_attachment=not inline,
        filename=resource.file_name or resource.file.name.rsplit("/", 1)[-1],
        content_type=resource.file_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    )
    return response


# --- collections and paths --------------------------------------------------------------------


@login_required
def collection_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    owner = None
    if request.GET.get("owner"):
        owner = Person.objects.filter(slug=request.GET["owner"]).first()
    collections = selectors.collection_list(
        kind=kind if kind in Collection.Kind.values else "",
        topic=request.GET.get("topic", ""),
        circle=request.GET.get("circle", ""),
        owner=owner,
    )
    return render(
        request, "library/collections.html", {"collections": list(collections[:200]), "kind": kind}
    )


@login_required
def collection_page(
    request: HttpRequest, slug: str, *, item_form: ItemForm | None = None, status: int = 200
) -> HttpResponse:
    view = selectors.collection_detail(viewer=request.viewer, slug=slug)
    return render(
        request,
        "library/collection.html",
        {
            "view": view,
            "collection": view.collection,
            "can_manage": can_manage_collection(actor=request.viewer, collection=view.collection),
            "item_form": item_form or ItemForm(),
            "section_form": SectionForm(),
            "related": selectors.related_to(kind="collection", object_id=view.collection.pk),
        },
        status=status,
    )


@login_required
def collection_add(request: HttpRequest) -> HttpResponse:
    form = CollectionForm(
        request.POST or None, initial={"kind": request.GET.get("kind", "collection")}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            collection = services.collection_create(
                actor=request.viewer,
                title=data["title"],
                kind=data["kind"],
                description=data["description"],
                circle=data["circle"],
                topic=data["topic"],
            )
        except DomainError as error:
            add_to_form(form, error)
        else:
            return redirect("library:collection", slug=collection.slug)
    return render(request, "library/collection_form.html", {"form": form})


@login_required
@require_POST
def collection_item_add(request: HttpRequest, slug: str) -> HttpResponse:
    """Add the resource or session picked; a refusal shows the collection again with the
    message next to the field and what was typed kept."""
    collection = selectors.collection_get(slug=slug)
    form = ItemForm(request.POST)
    if form.is_valid():
        section = None
        if form.cleaned_data["section"]:
            section = CollectionSection.objects.filter(pk=form.cleaned_data["section"]).first()
        try:
            services.collection_item_add(
                collection=collection, actor=request.viewer, resource=form.cleaned_data["resource"],
                session=form.cleaned_data["session"], section=section, note=form.cleaned_data["note"],
            )  # fmt: skip
        except DomainError as error:
            add_to_form(form, error)
            return collection_page(request, slug, item_form=form, status=error.status_code)
        messages.success(request, "Added.")
        return redirect("library:collection", slug=slug)
    return collection_page(request, slug, item_form=form, status=400)


@login_required
@require_POST
def collection_section_add(request: HttpRequest, slug: str) -> HttpResponse:
    collection = selectors.collection_get(slug=slug)
    form = SectionForm(request.POST)
    if form.is_valid():
        try:
            services.collection_section_add(
                collection=collection,
                actor=request.viewer,
                title=form.cleaned_data["title"],
                note=form.cleaned_data["note"],
            )
        except DomainError as error:
            flash(request, error)
    else:
        messages.error(request, "A section needs a title.")
    return redirect("library:collection", slug=slug)


@login_required
@require_POST
def collection_follow(request: HttpRequest, slug: str) -> HttpResponse:
    collection = selectors.collection_get(slug=slug)
    if request.POST.get("follow") == "0":
        services.path_unfollow(collection=collection, person=request.viewer)
    else:
        services.path_follow(collection=collection, person=request.viewer)
    return redirect("library:collection", slug=slug)


@login_required
@require_POST
def collection_item_mark(request: HttpRequest, item_id: int) -> HttpResponse:
    item = selectors.collection_item_get(id=item_id)
    services.path_item_mark(item=item, person=request.viewer, done=request.POST.get("done") != "0")
    return redirect("library:collection", slug=item.collection.slug)
