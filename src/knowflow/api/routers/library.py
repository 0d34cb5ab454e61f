"""The library API: search (the page's ranking and filters), resources, collections, progress.

No ``from __future__ import annotations`` here: django-ninja reads the ``Query``/``File``
markers from real annotations.
"""

from collections.abc import Callable
from datetime import datetime
from functools import wraps

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import File, Query, Router, Schema
from ninja.decorators import decorate_view
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import Field

from knowflow.accounts.models import Person
from knowflow.api.auth import TokenThrottled, caller_identified, viewer
from knowflow.api.lookups import fetch_many
from knowflow.api.schemas import (
    BodyIn,
    BoundedDate,
    BoundedPagination,
    DatabaseInt,
    LongWebLink,
    one_of,
    text,
)
from knowflow.circles import selectors as circles_selectors
from knowflow.errors import NotFound
from knowflow.events import selectors as events_selectors
from knowflow.library import selectors, services
from knowflow.library.models import (
    Collection,
    CollectionItem,
    CollectionSection,
    PathProgress,
    Resource,
)
from knowflow.library.uploads import upload_refusal
from knowflow.links import is_web_url
from knowflow.topics import selectors as topics_selectors
from knowflow.topics.models import Topic

router = Router(tags=["library"])

ResourceKind = one_of(*Resource.Kind.values)
ResourceKindFilter = one_of("", *Resource.Kind.values)
ResourceTitle = text(max_length=300)
CollectionKind = one_of(*Collection.Kind.values)
CollectionKindFilter = one_of("", *Collection.Kind.values)


# --- schemas ----------------------------------------------------------------------------------


class SearchQuery(Schema):
    q: str = Field("", description="What to look for (any text; operators are just words).")
    type: list[str] = Field([], description="session, resource, collection, person, circle, topic")
    topic: str = Field("", description="A topic slug.")
    format: str = Field("", description="A session format or a resource kind.")
    language: str = ""
    circle: str = Field("", description="A circle slug.")
    date_from: BoundedDate | None = None
    date_to: BoundedDate | None = None
    has_recording: bool | None = None
    page: int = Field(1, ge=1, le=1000)
    page_size: int = Field(20, ge=1, le=100)
    facets: bool = True


class SearchHitOut(Schema):
    type: str
    id: int
    title: str
    score: float
    external_id: str | None
    url: str
    snippet: str = Field(description="HTML: escaped text with <mark> around matches.")
    date: datetime | None
    format: str
    language: str
    has_recording: bool
    within_working_hours: bool
    moment_url: str | None = Field(
        default=None,
        description="Where the words were said in the recording: its link at that second.",
    )
    moment_label: str | None = Field(default=None, description='"at 12:34".')


class FacetOut(Schema):
    value: str
    label: str
    count: int


class SearchOut(Schema):
    query: str
    corrected_query: str
    total: int
    page: int
    has_more: bool
    facets_sampled: bool = Field(
        description="Facets count the best 500 matches (over 2,000 matched)."
    )
    results: list[SearchHitOut]
    facets: dict[str, list[FacetOut]]


class SuggestOut(Schema):
    words: list[str]
    results: list[dict]


class ResourceOut(Schema):
    id: int
    kind: str
    title: str
    slug: str
    description: str
    body: str
    url: str
    topics: list[str]
    authors: list[int]
    language: str
    session_id: DatabaseInt | None
    occurrence_id: DatabaseInt | None
    circle_id: DatabaseInt | None
    licence: str
    owner_id: DatabaseInt | None
    last_reviewed_on: BoundedDate | None
    possibly_stale: bool
    file_name: str
    file_type: str
    file_size: int
    file_url: str | None
    external_id: str

    @staticmethod
    def resolve_topics(obj: Resource) -> list[str]:
        return [t.slug for t in obj.topics.all()]

    @staticmethod
    def resolve_authors(obj: Resource) -> list[int]:
        return [p.pk for p in obj.authors.all()]

    @staticmethod
    def resolve_url(obj: Resource) -> str:
        # A link stored before only http(s) was accepted is not handed to clients to render.
        return obj.url if is_web_url(obj.url) else ""

    @staticmethod
    def resolve_possibly_stale(obj: Resource) -> bool:
        return selectors.is_stale(obj)

    @staticmethod
    def resolve_file_url(obj: Resource) -> str | None:
        from django.urls import reverse

        return reverse("library:resource_file", args=[obj.slug]) if obj.file else None


class ResourceIn(BodyIn):
    kind: ResourceKind
    title: ResourceTitle
    description: str = ""
    body: str = ""
    url: LongWebLink = ""
    topic_ids: list[DatabaseInt] = []
    author_ids: list[DatabaseInt] = []
    language: str = Field("en", max_length=16)
    session_id: DatabaseInt | None = None
    occurrence_id: DatabaseInt | None = None
    circle_id: DatabaseInt | None = None
    licence: str = Field("", max_length=200)


class ResourcePatch(BodyIn):
    title: ResourceTitle | None = None
    description: str | None = None
    body: str | None = None
    url: LongWebLink | None = None
    topic_ids: list[DatabaseInt] | None = None
    author_ids: list[DatabaseInt] | None = None
    language: str | None = Field(None, max_length=16)
    licence: str | None = Field(None, max_length=200)
    session_id: DatabaseInt | None = Field(
        None, description="The session it comes from; null detaches it, absent leaves it."
    )


class ItemOut(Schema):
    id: int
    section_id: DatabaseInt | None
    position: int
    resource_id: DatabaseInt | None
    session_id: DatabaseInt | None
    title: str
    note: str
    done: bool = False

    @staticmethod
    def resolve_title(obj: CollectionItem) -> str:
        return str(obj.target)


class SectionOut(Schema):
    id: int
    title: str
    note: str
    position: int


class CollectionOut(Schema):
    id: int
    kind: str
    title: str
    slug: str
    description: str
    owner_id: DatabaseInt
    circle_id: DatabaseInt | None
    topic_id: DatabaseInt | None


class CollectionDetailOut(CollectionOut):
    sections: list[SectionOut]
    items: list[ItemOut]
    following: bool
    done: int
    total: int


class CollectionIn(BodyIn):
    title: text(max_length=200)
    kind: CollectionKind = "collection"
    description: str = ""
    circle_id: DatabaseInt | None = None
    topic_id: DatabaseInt | None = None


class SectionIn(BodyIn):
    title: str = Field(min_length=1, max_length=200)
    note: str = ""


class ItemIn(BodyIn):
    resource_id: DatabaseInt | None = None
    session_id: DatabaseInt | None = None
    section_id: DatabaseInt | None = None
    note: str = ""


class ProgressOut(Schema):
    collection_id: DatabaseInt
    following: bool
    done_item_ids: list[DatabaseInt]
    done: int
    total: int


# --- search -----------------------------------------------------------------------------------


@router.get("/search", response=SearchOut)
def search(request: HttpRequest, params: Query[SearchQuery]) -> dict:
    """Search everything, ranked like the search page and ``knowflow search``."""
    types = tuple(t.strip() for item in params.type for t in item.split(",") if t.strip())
    page = selectors.search_everything(
        viewer=viewer(request),
        request=selectors.SearchRequest(
            text=params.q,
            types=types,
            topic=params.topic,
            format=params.format,
            language=params.language,
            circle=params.circle,
            date_from=params.date_from,
            date_to=params.date_to,
            has_recording=params.has_recording,
        ),
        page=params.page,
        page_size=params.page_size,
        facets=params.facets,
    )
    return {
        "query": page.results.query,
        "corrected_query": page.results.corrected_query,
        "total": page.results.total,
        "page": page.page,
        "has_more": page.results.has_more,
        "facets_sampled": page.results.facets_sampled,
        "results": [
            {
                "type": h.kind,
                "id": h.object_id,
                "title": h.title,
                "score": h.score,
                "external_id": h.external_id or None,
                "url": selectors.hit_url(h),
                "snippet": h.snippet_html,
                "date": h.date,
                "format": h.format,
                "language": h.language,
                "has_recording": h.has_recording,
                "within_working_hours": h.within_working_hours,
                "moment_url": h.moment_url or None,
                "moment_label": h.moment_label or None,
            }
            for h in page.hits
        ],
        "facets": {name: [vars(v) for v in values] for name, values in page.facets.items()},
    }


@router.get("/suggest", response=SuggestOut)
def suggest(request: HttpRequest, q: str = "") -> dict:
    """Completions and the best few titles while someone types."""
    return selectors.search_suggestions(text=q[:200])


# --- resources --------------------------------------------------------------------------------


def _resources():  # noqa: ANN202 - a queryset
    return Resource.objects.prefetch_related("topics", "authors")


@router.get("/resources", response=list[ResourceOut])
@paginate(BoundedPagination)
def resource_list(request: HttpRequest, kind: ResourceKindFilter = "", topic: str = ""):  # noqa: ANN201
    resources = _resources().order_by("-created_at", "-id")
    if kind:
        resources = resources.filter(kind=kind)
    if topic:
        resources = resources.filter(topics__slug=topic)
    return resources


@router.get("/resources/{resource_id}", response=ResourceOut)
def resource_get(request: HttpRequest, resource_id: DatabaseInt) -> Resource:
    return selectors.resource_get(id=resource_id)


@router.post("/resources", response={201: ResourceOut})
def resource_create(request: HttpRequest, payload: ResourceIn) -> tuple[int, Resource]:
    """A link or a note (files: ``POST /library/uploads``, multipart)."""
    resource = services.resource_create(
        actor=viewer(request),
        kind=payload.kind,
        title=payload.title,
        description=payload.description,
        body=payload.body,
        url=payload.url,
        topics=fetch_many(Topic, payload.topic_ids, what="topic", field="topic_ids"),
        authors=fetch_many(Person, payload.author_ids, what="person", field="author_ids"),
        language=payload.language,
        session=events_selectors.session_get(id=payload.session_id, field="session_id")
        if payload.session_id
        else None,
        occurrence=events_selectors.occurrence_get(id=payload.occurrence_id, field="occurrence_id")
        if payload.occurrence_id
        else None,
        circle=circles_selectors.circle_get(id=payload.circle_id, field="circle_id")
        if payload.circle_id
        else None,
        licence=payload.licence,
    )
    return 201, selectors.resource_get(id=resource.pk)


def _limits_upload_size(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Refuse a stranger (401), then an oversized or unreadable upload (413/411/400 with the
    reason), before ninja reads the body: from its headers alone, or at the first byte past the
    limit (``uploads.upload_refusal``). Who asks comes first, so nobody without a token or a
    session can make a worker receive and spool a file."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        try:
            identified = caller_identified(request)
        except TokenThrottled as error:
            response = JsonResponse({"detail": str(error), "field": None}, status=429)
            response["Retry-After"] = str(error.seconds)
            return response
        if not identified:
            return JsonResponse(
                {"detail": "Authentication required: send 'Authorization: Bearer <token>'."},
                status=401,
            )
        refusal = upload_refusal(request)
        if refusal is not None:
            return JsonResponse(
                {"detail": refusal.message, "field": refusal.field}, status=refusal.status_code
            )
        return view(request, *args, **kwargs)

    return wrapper


class UploadRefusedOut(Schema):
    detail: str
    field: str | None


@router.post("/uploads", response={201: ResourceOut, 411: UploadRefusedOut, 413: UploadRefusedOut})
@decorate_view(_limits_upload_size)
def resource_upload(
    request: HttpRequest,
    kind: ResourceKind,
    title: ResourceTitle,
    file: File[UploadedFile],
    description: str = "",
) -> tuple[int, Resource]:
    """Slides or a document as a file (multipart): checked by content, size-limited."""
    resource = services.resource_create(
        actor=viewer(request), kind=kind, title=title, description=description, upload=file
    )
    return 201, selectors.resource_get(id=resource.pk)


@router.patch("/resources/{resource_id}", response=ResourceOut)
def resource_update(
    request: HttpRequest, resource_id: DatabaseInt, payload: ResourcePatch
) -> Resource:
    resource = selectors.resource_get(id=resource_id)
    services.resource_update(
        resource=resource,
        actor=viewer(request),
        title=payload.title,
        description=payload.description,
        body=payload.body,
        url=payload.url,
        language=payload.language,
        licence=payload.licence,
        topics=None
        if payload.topic_ids is None
        else fetch_many(Topic, payload.topic_ids, what="topic", field="topic_ids"),
        authors=None
        if payload.author_ids is None
        else fetch_many(Person, payload.author_ids, what="person", field="author_ids"),
        session=(
            services.Keep.KEEP
            if "session_id" not in payload.model_fields_set
            else events_selectors.session_get(id=payload.session_id, field="session_id")
            if payload.session_id
            else None
        ),
    )
    return selectors.resource_get(id=resource.pk)


@router.post("/resources/{resource_id}/confirm", response=ResourceOut)
def resource_confirm(request: HttpRequest, resource_id: DatabaseInt) -> Resource:
    """The owner confirms the resource is still accurate (resets "possibly stale")."""
    services.resource_confirm_reviewed(
        resource=selectors.resource_get(id=resource_id),
        actor=viewer(request),
    )
    return selectors.resource_get(id=resource_id)


@router.delete("/resources/{resource_id}", response={204: None})
def resource_delete(request: HttpRequest, resource_id: DatabaseInt) -> tuple[int, None]:
    services.resource_delete(
        resource=selectors.resource_get(id=resource_id),
        actor=viewer(request),
    )
    return 204, None


# --- captions ---------------------------------------------------------------------------------


class CueOut(Schema):
    start: float = Field(description="Seconds from the start of the recording.")
    end: float
    text: str = Field(description="Plain text: the file's markup removed.")
    url: str = Field(description="The recording at this moment.")


class CaptionsOut(Schema):
    resource_id: int
    file_name: str
    format: str = Field(description="vtt or srt.")
    cue_count: int
    duration: float = Field(description="Seconds, to the end of the last cue.")
    cues: list[CueOut]


def _captions_out(resource: Resource) -> dict:
    transcript = selectors.transcript_of(resource=resource)
    if transcript is None:
        raise NotFound("This recording has no captions.")
    captions = transcript.captions
    return {
        "resource_id": resource.pk,
        "file_name": captions.file_name,
        "format": captions.format,
        "cue_count": captions.cue_count,
        "duration": captions.duration_ms / 1000,
        "cues": [
            {"start": start / 1000, "end": end / 1000, "text": text, "url": line.url}
            for (start, end, text), line in zip(captions.cues, transcript.lines, strict=True)
        ],
    }


@router.get("/resources/{resource_id}/captions", response=CaptionsOut)
def captions_get(request: HttpRequest, resource_id: DatabaseInt) -> dict:
    """A recording's captions as read: plain-text cues in time order, each with its moment."""
    return _captions_out(selectors.resource_get(id=resource_id))


@router.post(
    "/resources/{resource_id}/captions",
    response={200: CaptionsOut, 411: UploadRefusedOut, 413: UploadRefusedOut},
)
@decorate_view(_limits_upload_size)
def captions_upload(
    request: HttpRequest, resource_id: DatabaseInt, captions: File[UploadedFile]
) -> dict:
    """Upload a recording's captions (multipart field ``captions``: WebVTT or SubRip), replacing
    any it had; search then finds the recording by what was said. A refused file (400, with
    the line that went wrong) changes nothing."""
    resource = selectors.resource_get(id=resource_id)
    services.captions_upload(resource=resource, actor=viewer(request), upload=captions)
    return _captions_out(resource)


@router.delete("/resources/{resource_id}/captions", response={204: None})
def captions_delete(request: HttpRequest, resource_id: DatabaseInt) -> tuple[int, None]:
    """Remove a recording's captions; what was said leaves search."""
    services.captions_delete(resource=selectors.resource_get(id=resource_id), actor=viewer(request))
    return 204, None


# --- collections and progress -----------------------------------------------------------------


@router.get("/collections", response=list[CollectionOut])
@paginate(BoundedPagination)
def collection_list(
    request: HttpRequest, kind: CollectionKindFilter = "", topic: str = "", circle: str = ""
):  # noqa: ANN201
    return selectors.collection_list(kind=kind, topic=topic, circle=circle)


def _collection_detail(request: HttpRequest, collection: Collection) -> dict:
    view = selectors.collection_detail(viewer=viewer(request), slug=collection.slug)
    items = [item for _, section_items in view.sections for item in section_items]
    for item in items:
        item.done = item.pk in view.done  # type: ignore[attr-defined]
    c = view.collection
    return {
        **{
            f: getattr(c, f)
            for f in (
                "id",
                "kind",
                "title",
                "slug",
                "description",
                "owner_id",
                "circle_id",
                "topic_id",
            )
        },
        "sections": list(c.sections.all()),
        "items": items,
        "following": view.following,
        "done": view.done_count,
        "total": view.total,
    }


@router.get("/collections/{collection_id}", response=CollectionDetailOut)
def collection_get(request: HttpRequest, collection_id: DatabaseInt) -> dict:
    return _collection_detail(request, selectors.collection_get(id=collection_id))


@router.post("/collections", response={201: CollectionDetailOut})
def collection_create(request: HttpRequest, payload: CollectionIn) -> tuple[int, dict]:
    collection = services.collection_create(
        actor=viewer(request),
        title=payload.title,
        kind=payload.kind,
        description=payload.description,
        circle=circles_selectors.circle_get(id=payload.circle_id, field="circle_id")
        if payload.circle_id
        else None,
        topic=topics_selectors.topic_get(id=payload.topic_id, field="topic_id")
        if payload.topic_id
        else None,
    )
    return 201, _collection_detail(request, collection)


@router.post("/collections/{collection_id}/sections", response={201: SectionOut})
def collection_section_add(
    request: HttpRequest, collection_id: DatabaseInt, payload: SectionIn
) -> tuple[int, CollectionSection]:
    collection = selectors.collection_get(id=collection_id)
    return 201, services.collection_section_add(
        collection=collection, actor=viewer(request), title=payload.title, note=payload.note
    )


@router.post("/collections/{collection_id}/items", response={201: ItemOut})
def collection_item_add(
    request: HttpRequest, collection_id: DatabaseInt, payload: ItemIn
) -> tuple[int, CollectionItem]:
    collection = selectors.collection_get(id=collection_id)
    item = services.collection_item_add(
        collection=collection,
        actor=viewer(request),
        resource=selectors.resource_get(id=payload.resource_id, field="resource_id")
        if payload.resource_id
        else None,
        session=events_selectors.session_get(id=payload.session_id, field="session_id")
        if payload.session_id
        else None,
        section=selectors.collection_section_get(
            id=payload.section_id, collection=collection, field="section_id"
        )
        if payload.section_id
        else None,
        note=payload.note,
    )
    return 201, item


def _progress(request: HttpRequest, collection: Collection) -> dict:
    person = viewer(request)
    done = sorted(
        PathProgress.objects.filter(person=person, item__collection=collection).values_list(
            "item_id", flat=True
        )
    )
    return {
        "collection_id": collection.pk,
        "following": collection.follows.filter(person=person).exists(),
        "done_item_ids": done,
        "done": len(done),
        "total": collection.items.count(),
    }


@router.get("/collections/{collection_id}/progress", response=ProgressOut)
def progress_get(request: HttpRequest, collection_id: DatabaseInt) -> dict:
    """The caller's progress through a learning path."""
    return _progress(request, selectors.collection_get(id=collection_id))


@router.post("/collections/{collection_id}/follow", response=ProgressOut)
def path_follow(request: HttpRequest, collection_id: DatabaseInt) -> dict:
    collection = selectors.collection_get(id=collection_id)
    services.path_follow(collection=collection, person=viewer(request))
    return _progress(request, collection)


@router.delete("/collections/{collection_id}/follow", response=ProgressOut)
def path_unfollow(request: HttpRequest, collection_id: DatabaseInt) -> dict:
    collection = selectors.collection_get(id=collection_id)
    services.path_unfollow(collection=collection, person=viewer(request))
    return _progress(request, collection)


@router.put("/items/{item_id}/done", response=ProgressOut)
def item_done(request: HttpRequest, item_id: DatabaseInt) -> dict:
    item = selectors.collection_item_get(id=item_id)
    services.path_item_mark(item=item, person=viewer(request), done=True)
    return _progress(request, item.collection)


@router.delete("/items/{item_id}/done", response=ProgressOut)
def item_undone(request: HttpRequest, item_id: DatabaseInt) -> dict:
    item = selectors.collection_item_get(id=item_id)
    services.path_item_mark(item=item, person=viewer(request), done=False)
    return _progress(request, item.collection)
