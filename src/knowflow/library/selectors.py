"""Read queries for the library and the search over everything.

Everything in the library is open to everyone signed in, so fetching and listing resources and
collections take no viewer; the reads that are the viewer's own (progress through a path, the
paths they follow, search insights) take it.

``search_everything`` is the one entry point the search page, the API and ``knowflow search``
share, so the three rank alike. Lists arrive with their joins done (tests pin query counts).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.files import File
from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.accounts.search import PERSON
from knowflow.circles.models import Circle
from knowflow.circles.search import CIRCLE
from knowflow.discovery.text import highlight
from knowflow.errors import DomainError, NotFound
from knowflow.events.models import Attendance, Occurrence, Session
from knowflow.events.search import SESSION
from knowflow.languages import language_name
from knowflow.library.captions import moment_url, timestamp
from knowflow.library.models import (
    CaptionPassage,
    Collection,
    CollectionItem,
    CollectionSection,
    PathProgress,
    RecordingCaptions,
    Resource,
    SearchClick,
    SearchQueryLog,
)
from knowflow.library.search import COLLECTION, PASSAGE, RESOURCE
from knowflow.links import is_web_url
from knowflow.lookup import one_by_id_or_slug
from knowflow.pickers import Nouns, PickerOption, resolve_names, suggest_by_name
from knowflow.search import registry
from knowflow.search.base import SearchFilters
from knowflow.search.engine import (
    FacetValue,
    SearchHit,
    SearchResults,
    run_search,
    suggest_titles,
    suggest_words,
)
from knowflow.topics.models import Topic
from knowflow.topics.search import TOPIC

MAX_LIMIT = 1000  # the API caps its page size at 100; the command line may ask more
FACET_SIZE = 12


def search_types() -> tuple[str, ...]:
    """The kinds of document search knows, in their listed order (registered by each app)."""
    return tuple(k.kind for k in registry.kinds() if k.listed)


def search_type_choices() -> list[tuple[str, str]]:
    return [(k.kind, k.label) for k in registry.kinds() if k.listed]


def _default_review_days() -> int:
    return int(getattr(settings, "KNOWFLOW_RESOURCE_REVIEW_DAYS", 365))


# --- search -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchRequest:
    """What a search page, API call or command asks for; slugs and codes as typed."""

    text: str = ""
    types: tuple[str, ...] = ()
    topic: str = ""  # topic slug
    format: str = ""  # session format or resource kind
    language: str = ""
    circle: str = ""  # circle slug
    date_from: date | None = None
    date_to: date | None = None
    has_recording: bool | None = None
    literal: bool = False  # search the words as typed: no correction, no expansion


def _check_request(request: SearchRequest) -> None:
    types = search_types()
    unknown = [t for t in request.types if t not in types]
    if unknown:
        raise DomainError(
            f"Unknown type '{unknown[0]}'; use one of: {', '.join(types)}.", field="type"
        )
    if request.date_from and request.date_to and request.date_to < request.date_from:
        raise DomainError("The end of the date range is before its start.", field="date_to")


def _filters(request: SearchRequest) -> SearchFilters | None:
    """The request's filters with slugs resolved; None when a named topic or circle does not
    exist (nothing can match it)."""
    topic_ids: tuple[int, ...] = ()
    if request.topic:
        topic = Topic.objects.filter(slug=request.topic).only("id").first()
        if topic is None:
            return None
        topic_ids = (topic.pk,)
    circle_id = None
    if request.circle:
        circle = Circle.objects.filter(slug=request.circle).only("id").first()
        if circle is None:
            return None
        circle_id = circle.pk

    def midnight(day: date | None) -> datetime | None:
        return (
            datetime.combine(day, time(0), tzinfo=timezone.get_current_timezone()) if day else None
        )

    date_to = midnight(request.date_to + timedelta(days=1)) if request.date_to else None
    # The kinds that stand in for a chosen one come with it: a recording is also found by
    # what was said in it (its caption passages).
    types = request.types
    types = (*types, *(kind for kind, shown in registry.unlisted().items() if shown in types))
    return SearchFilters(
        types=types,
        topic_ids=topic_ids,
        formats=(request.format,) if request.format else (),
        language=request.language,
        circle_id=circle_id,
        date_from=midnight(request.date_from),
        date_to=date_to,
        has_recording=request.has_recording,
    )


@dataclass
class SearchPage:
    results: SearchResults
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    page: int = 1
    page_size: int = 20

    @property
    def hits(self) -> list[SearchHit]:
        return self.results.hits


_FORMAT_LABELS = {
    **dict(Session.Format.choices),
    **dict(Resource.Kind.choices),
    **dict(Collection.Kind.choices),
}


def format_label(code: str) -> str:
    """A session format or resource kind in words ("course_module" → "Course module")."""
    return _FORMAT_LABELS.get(code, code)


def _named_facets(counters: dict) -> dict[str, list[FacetValue]]:
    if not counters:
        return {}
    facets: dict[str, list[FacetValue]] = {}
    type_labels = dict(search_type_choices())
    facets["type"] = [
        FacetValue(k, type_labels.get(k, k), n) for k, n in counters["type"].most_common()
    ]
    facets["format"] = [
        FacetValue(k, _FORMAT_LABELS.get(k, k), n)
        for k, n in counters["format"].most_common(FACET_SIZE)
    ]
    facets["language"] = [
        FacetValue(k, language_name(k), n) for k, n in counters["language"].most_common(FACET_SIZE)
    ]
    facets["has_recording"] = [
        FacetValue("yes", "Has a recording", n) for n in counters["has_recording"].values()
    ]
    top_topics = counters["topic"].most_common(FACET_SIZE)
    names = dict(Topic.objects.filter(pk__in=[k for k, _ in top_topics]).values_list("id", "slug"))
    labels = dict(Topic.objects.filter(pk__in=[k for k, _ in top_topics]).values_list("id", "name"))
    facets["topic"] = [FacetValue(names[k], labels[k], n) for k, n in top_topics if k in names]
    top_circles = counters["circle"].most_common(FACET_SIZE)
    circles = {
        c.pk: c
        for c in Circle.objects.filter(pk__in=[k for k, _ in top_circles]).only(
            "id", "slug", "name"
        )
    }
    facets["circle"] = [
        FacetValue(circles[k].slug, circles[k].name, n) for k, n in top_circles if k in circles
    ]
    return facets


def _mark_working_hours(hits: list[SearchHit], viewer: Person) -> None:
    """Flag upcoming sessions with a date inside the viewer's working hours (one query)."""
    now = timezone.now()
    session_ids = [h.object_id for h in hits if h.kind == SESSION and h.date and h.date >= now]
    if not session_ids:
        return
    hours, zone = viewer.hours, viewer.zone
    inside: set[int] = set()
    for occurrence in Occurrence.objects.filter(session_id__in=session_ids, end__gte=now).only(
        "session_id", "start", "end"
    ):
        if hours.covers(zone, occurrence.start, occurrence.end):
            inside.add(occurrence.session_id)
    for hit in hits:
        hit.within_working_hours = hit.kind == SESSION and hit.object_id in inside


def search_everything(
    *,
    viewer: Person | None,
    request: SearchRequest,
    page: int = 1,
    page_size: int = 20,
    facets: bool = False,
    snippets: bool = True,
    prefix: bool = False,
) -> SearchPage:
    """Search sessions, resources, collections, people, circles and topics.

    The ranking is described in ``knowflow.search.engine``. ``facets`` adds counts
    per type, format, language, topic, circle and "has a recording" over every match;
    ``snippets`` adds highlighted, HTML-escaped snippets. Raises ``DomainError`` for an
    unknown type or a backwards date range. Reads only; logging a search is a service.
    """
    _check_request(request)
    page = max(page, 1)
    page_size = max(1, min(page_size, MAX_LIMIT))
    filters = _filters(request)
    if filters is None:
        from knowflow.discovery.query import parse_query

        empty = SearchResults(
            query=request.text, parsed=parse_query(request.text), hits=[], total=0
        )
        return SearchPage(results=empty, page=page, page_size=page_size)
    results, counters = run_search(
        text=request.text,
        filters=filters,
        limit=page_size,
        offset=(page - 1) * page_size,
        facets=facets,
        snippets=snippets,
        prefix=prefix,
        literal=request.literal,
    )
    _attach_moments(results, snippets=snippets)
    if viewer is not None:
        _mark_working_hours(results.hits, viewer)
    return SearchPage(
        results=results, facets=_named_facets(counters), page=page, page_size=page_size
    )


def _attach_moments(results: SearchResults, *, snippets: bool) -> None:
    """Spoken passages shown as what they stand for (one query for the page's passages).

    A hit led by a passage (only what was said matched) becomes its recording's hit, with
    the passage as the snippet; any other hit with a passage in its group (a session, its
    recording) gets the best one's moment. Either way the hit links to the moment: the
    recording's link at that second, with "at 12:34".
    """
    # Only the best passage of each hit is read: a recording's group may hold a hundred.
    best: dict[int, int] = {}
    for position, hit in enumerate(results.hits):
        leader = (
            hit
            if hit.kind == PASSAGE
            else next((g for g in hit.grouped if g.kind == PASSAGE), None)
        )
        hit.grouped = [g for g in hit.grouped if g.kind != PASSAGE]
        if leader is not None:
            best[position] = leader.object_id
    if not best:
        return
    found = {
        p.pk: p
        for p in CaptionPassage.objects.filter(pk__in=best.values())
        .select_related("resource")
        .only("id", "start_ms", "text", "resource__id", "resource__slug", "resource__title",
              "resource__url", "resource__file", "resource__external_id")
    }  # fmt: skip
    parsed = results.parsed
    marked = [*parsed.terms, *(t for run in parsed.phrases for t in run)]
    prefixes = (parsed.prefix,) if parsed.prefix else ()
    for position, passage_id in best.items():
        hit, passage = results.hits[position], found.get(passage_id)
        if passage is None:
            continue
        recording = passage.resource
        if hit.kind == PASSAGE:
            hit.kind, hit.object_id, hit.slug = RESOURCE, recording.pk, recording.slug
            hit.title, hit.external_id = recording.title, recording.external_id
            hit.title_html = html.escape(recording.title)
            # In a session's group the recording may ride along too: it is this hit now.
            hit.grouped = [
                g for g in hit.grouped if not (g.kind == RESOURCE and g.object_id == recording.pk)
            ]
            if snippets:
                hit.snippet_html = highlight(passage.text, marked, prefixes=prefixes)
        hit.moment_label = f"at {timestamp(passage.start_ms)}"
        hit.moment_url = _moment_link(recording, passage.start_ms)


def _moment_link(recording: Resource, milliseconds: int) -> str:
    # An old resource may hold a javascript: (or other) link: only a web link is played from.
    if recording.url and is_web_url(recording.url):
        return moment_url(recording.url, milliseconds)
    if recording.file:
        return moment_url(reverse("library:resource_file", args=[recording.slug]), milliseconds)
    return f"{reverse('library:resource', args=[recording.slug])}#t-{milliseconds // 1000}"


@dataclass(frozen=True)
class TranscriptLine:
    start_ms: int
    label: str  # "12:34"
    url: str  # the recording at that moment
    anchor: str  # "t-754": this line on the resource page
    text: str


@dataclass(frozen=True)
class Transcript:
    captions: RecordingCaptions
    lines: list[TranscriptLine]

    @property
    def duration(self) -> str:
        return timestamp(self.captions.duration_ms)


def transcript_of(*, resource: Resource) -> Transcript | None:
    """The recording's captions as lines to read, each linking to its moment; None without
    captions."""
    captions = RecordingCaptions.objects.filter(resource=resource).first()
    if captions is None:
        return None
    lines = []
    anchors: set[str] = set()
    for start, _end, text in captions.cues:
        anchor = f"t-{start // 1000}"
        lines.append(
            TranscriptLine(
                start_ms=start,
                label=timestamp(start),
                url=_moment_link(resource, start),
                anchor="" if anchor in anchors else anchor,  # ids stay unique on the page
                text=text,
            )
        )
        anchors.add(anchor)
    return Transcript(captions=captions, lines=lines)


def search_suggestions(*, text: str, limit: int = 8) -> dict[str, list]:
    """While typing: completions of the last word, and titles holding every word so far."""
    return {
        "words": suggest_words(text, limit=limit),
        "results": [
            {"type": h.kind, "id": h.object_id, "title": h.title, "url": hit_url(h)}
            for h in suggest_titles(text, limit=limit)
        ],
    }


def hit_url(hit: SearchHit) -> str:
    """Where a result leads."""
    return object_url(hit.kind, hit.slug)


def object_url(kind: str, slug: str) -> str:
    routes: dict[str, str] = {
        SESSION: "events:session",
        RESOURCE: "library:resource",
        COLLECTION: "library:collection",
        PERSON: "accounts:person",
        CIRCLE: "circles:circle",
    }
    if kind == TOPIC:
        return f"{reverse('library:search')}?topic={slug}"
    return reverse(routes[kind], args=[slug])


def related_to(*, kind: str, object_id: int, limit: int = 5) -> list[SearchHit]:
    """More on the same subject: documents sharing the most distinctive words of this one.

    Read from what the worker stored when the library last changed (``RelatedContent``, see
    ``knowflow.library.related``): two indexed queries, never the full-text "more like
    this" query, which costs 60-140 ms on the large demo. It depends on no viewer (the block
    lists public documents only). Before the worker's first pass there is nothing to show.
    """
    from knowflow.library.related import stored_hits

    return stored_hits(kind=kind, object_id=object_id, limit=limit)


# --- resources and collections -------------------------------------------------------------


def resource_list(
    *, kind: str = "", topic: str = "", page: int = 1, page_size: int = 20
) -> tuple[list[Resource], bool]:
    """One page of the library, newest first; fetches one row more instead of counting."""
    resources = Resource.objects.select_related("session", "circle", "owner").prefetch_related(
        "topics", Prefetch("authors", queryset=Person.objects.only("id", "display_name", "slug"))
    )
    if kind:
        resources = resources.filter(kind=kind)
    if topic:
        resources = resources.filter(topics__slug=topic)
    offset = (max(page, 1) - 1) * page_size
    rows = list(resources.order_by("-created_at", "-id")[offset : offset + page_size + 1])
    return rows[:page_size], len(rows) > page_size


# A session page lists what was given first (its recording, its slides), then the rest.
_SESSION_KIND_ORDER = (Resource.Kind.RECORDING, Resource.Kind.SLIDES)


def resources_of_session(*, session_id: int) -> list[Resource]:
    """Every resource attached to a session (all are public in the library): recordings,
    then slides, then the others, each group newest first."""
    resources = list(
        Resource.objects.filter(session_id=session_id)
        .only("id", "slug", "title", "kind", "url", "file", "created_at", "session_id")
        .order_by("-created_at", "-id")
    )
    rank: dict[str, int] = {kind: position for position, kind in enumerate(_SESSION_KIND_ORDER)}
    return sorted(resources, key=lambda r: rank.get(r.kind, len(rank)))


def resources_of_circle(*, circle_id: int, limit: int = 10) -> list[Resource]:
    """The circle's newest resources (all are public in the library), for its page."""
    return list(
        Resource.objects.filter(circle_id=circle_id)
        .only("id", "slug", "title", "kind", "created_at", "circle_id")
        .order_by("-created_at", "-id")[:limit]
    )


def resource_get(
    *, id: int | None = None, slug: str | None = None, field: str | None = None
) -> Resource:
    """One resource by id (the API) or slug (the pages), with its topics and authors, or
    NotFound (naming ``field``, the input that pointed at it). Everything in the library is
    open to everyone signed in; who may change it is ``library.permissions``' question."""
    resources = Resource.objects.prefetch_related("topics", "authors")
    return one_by_id_or_slug(resources, id=id, slug=slug, noun="resource", field=field)


RESOURCES = Nouns(one="resource", many="resources", nobody="No resource")


def _resource_described(resource: Resource) -> str:
    return f"{resource.title} ({resource.get_kind_display().lower()}, {resource.slug})"


def resources_for_picker(*, entries: list[str]) -> list[Resource]:
    """The resources a picker's entries mean (a slug, a title or a unique part of one). Every
    resource is public in the library, so any may be named."""
    return resolve_names(
        queryset=Resource.objects.all(),
        entries=entries,
        nouns=RESOURCES,
        name_field="title",
        describe=_resource_described,
    )


def resource_picker_options(*, viewer: Person, text: str) -> list[PickerOption]:
    """Suggestions for a resource picker: the kind and the session it comes from tell two
    resources of the same title apart (the slides and the recording of one talk)."""
    resources = suggest_by_name(
        queryset=Resource.objects.select_related("session"), text=text, name_field="title"
    )
    return [
        PickerOption(
            value=resource.slug,
            label=resource.title,
            detail=resource.get_kind_display()
            + (f" · {resource.session.title}" if resource.session else ""),
        )
        for resource in resources
    ]


def resource_detail(*, slug: str) -> Resource:
    resource = (
        Resource.objects.filter(slug=slug)
        .select_related("session", "occurrence", "circle", "owner")
        .prefetch_related("topics", "authors")
        .first()
    )
    if resource is None:
        raise NotFound("There is no such resource.")
    return resource


def resource_file_open(*, resource: Resource) -> File:
    """The bytes of a resource's uploaded file, opened for reading from the configured store
    (``STORAGES["default"]``: a directory, or object storage shared by every web process).

    The one way to read an uploaded file (downloads, exports), so no caller assumes a local
    path. Anyone signed in may read any resource's file; the caller has checked that. Raises
    ``NotFound`` when the resource has no file or the store has lost it. The caller closes it.
    """
    if not resource.file.name:
        raise NotFound("This resource has no file.")
    try:
        return resource.file.storage.open(resource.file.name, "rb")
    except FileNotFoundError:
        raise NotFound(
            "The file of this resource is missing from storage; ask its owner to upload it again."
        ) from None


def stale_cutoff(*, today: date | None = None) -> date:
    return (today or timezone.localdate()) - timedelta(days=_default_review_days())


def is_stale(resource: Resource, *, today: date | None = None) -> bool:
    """Not reviewed within the review period (a never-reviewed resource counts from creation)."""
    reviewed = resource.last_reviewed_on or resource.created_at.date()
    return reviewed < stale_cutoff(today=today)


def stale_resources_of(*, owner: Person, limit: int = 50) -> list[Resource]:
    """The owner's resources due for a review, oldest review first."""
    cutoff = stale_cutoff()
    return list(
        Resource.objects.filter(owner=owner)
        .filter(
            Q(last_reviewed_on__lt=cutoff)
            | Q(last_reviewed_on__isnull=True, created_at__date__lt=cutoff)
        )
        .only("id", "title", "slug", "kind", "last_reviewed_on", "created_at")
        .order_by("last_reviewed_on", "id")[:limit]
    )


def collection_list(
    *, kind: str = "", topic: str = "", circle: str = "", owner: Person | None = None
) -> QuerySet[Collection]:
    collections = Collection.objects.select_related("owner", "circle", "topic").annotate(
        item_count=Count("items", distinct=True)
    )
    if kind:
        collections = collections.filter(kind=kind)
    if topic:
        collections = collections.filter(topic__slug=topic)
    if circle:
        collections = collections.filter(circle__slug=circle)
    if owner is not None:
        collections = collections.filter(owner=owner)
    return collections.order_by("title", "id")


def collections_with_session(
    *, viewer: Person, session_id: int, limit: int = 10
) -> list[Collection]:
    """The collections and learning paths that hold a session, or one of its resources (its
    recording, its slides), by title: the session page links them. Every collection is
    public, like the library."""
    return list(
        Collection.objects.filter(
            Q(items__session_id=session_id) | Q(items__resource__session_id=session_id)
        )
        .distinct()
        .only("id", "slug", "title", "kind")
        .order_by("title", "id")[:limit]
    )


@dataclass
class CollectionView:
    collection: Collection
    sections: list[tuple[object, list[CollectionItem]]]  # (section or None, its items)
    done: set[int]
    following: bool
    total: int

    @property
    def done_count(self) -> int:
        return len(self.done)

    @property
    def percent(self) -> int:
        return round(100 * len(self.done) / self.total) if self.total else 0


def collection_get(*, id: int | None = None, slug: str | None = None) -> Collection:
    """One collection or learning path by id (the API) or slug (the pages), or NotFound. Every
    collection is open to everyone signed in (``collection_list`` lists them all)."""
    collections = Collection.objects.select_related("owner", "circle", "topic")
    return one_by_id_or_slug(collections, id=id, slug=slug, noun="collection")


def collection_section_get(
    *, id: int, collection: Collection, field: str | None = None
) -> CollectionSection:
    """A section of ``collection`` (a section of another collection is not found here)."""
    section = CollectionSection.objects.filter(pk=id, collection=collection).first()
    if section is None:
        raise NotFound(f"There is no section with id {id}.", field=field)
    return section


def collection_item_get(*, id: int) -> CollectionItem:
    """One item of a collection, with its collection, or NotFound."""
    item = CollectionItem.objects.select_related("collection").filter(pk=id).first()
    if item is None:
        raise NotFound(f"There is no item with id {id}.")
    return item


def collection_detail(*, viewer: Person, slug: str) -> CollectionView:
    """A collection with its sections and items in order, and the viewer's progress."""
    collection = (
        Collection.objects.filter(slug=slug)
        .select_related("owner", "circle", "topic")
        .prefetch_related(
            "sections",
            Prefetch(
                "items",
                queryset=CollectionItem.objects.select_related("resource", "session").order_by(
                    "position", "id"
                ),
            ),
        )
        .first()
    )
    if collection is None:
        raise NotFound("There is no such collection.")
    items = list(collection.items.all())
    grouped: list[tuple[object, list[CollectionItem]]] = []
    loose = [i for i in items if i.section_id is None]
    if loose:
        grouped.append((None, loose))
    for section in collection.sections.all():
        grouped.append((section, [i for i in items if i.section_id == section.pk]))
    done = set(
        PathProgress.objects.filter(person=viewer, item__collection=collection).values_list(
            "item_id", flat=True
        )
    )
    following = collection.follows.filter(person=viewer).exists()
    return CollectionView(
        collection=collection, sections=grouped, done=done, following=following, total=len(items)
    )


def paths_followed(*, viewer: Person) -> list[Collection]:
    return list(
        Collection.objects.filter(follows__person=viewer)
        .select_related("owner")
        .annotate(item_count=Count("items", distinct=True))
        .order_by("title")
    )


# --- insights ---------------------------------------------------------------------------------


@dataclass
class QueryCount:
    query: str
    count: int


def search_insights(
    *, viewer: Person, days: int = 90, limit: int = 25
) -> dict[str, list[QueryCount]]:
    """Most frequent queries, queries that found nothing and queries nobody clicked.

    Counts of normalised query text only: the log never held who searched.
    """
    from knowflow.library.permissions import can_see_search_insights

    if not can_see_search_insights(actor=viewer):
        from knowflow.errors import Forbidden

        raise Forbidden("Search insights are for enablers.")
    since = timezone.now() - timedelta(days=days)
    logs = SearchQueryLog.objects.filter(created_at__gte=since)

    def top(rows: QuerySet) -> list[QueryCount]:
        return [
            QueryCount(row["normalized"], row["n"])
            for row in rows.values("normalized")
            .annotate(n=Count("id"))
            .order_by("-n", "normalized")[:limit]
        ]

    clicked = SearchClick.objects.filter(log__created_at__gte=since).values("log__normalized")
    return {
        "frequent": top(logs),
        "zero_results": top(logs.filter(result_count=0)),
        # Found something, yet no one who ran it (ever, in the period) opened a result.
        "not_clicked": top(logs.filter(result_count__gt=0).exclude(normalized__in=clicked)),
    }


@dataclass(frozen=True)
class RecordingWatch:
    """What the session page offers a later viewer: the recording, and whether they said so."""

    recording: Resource
    watched: bool  # they said they watched it
    attended: bool  # they were at a date (in the room or online): nothing to offer


def recording_watch_for(*, session_id: int, viewer: Person) -> RecordingWatch | None:
    """The session's recording once one of its dates has taken place, with whether the viewer
    watched it or was there; None when there is no recording or no date has taken place."""
    recording = (
        Resource.objects.filter(session_id=session_id, kind=Resource.Kind.RECORDING)
        .only("id", "slug", "title")
        .order_by("-created_at", "-id")
        .first()
    )
    if recording is None:
        return None
    now = timezone.now()
    if not Occurrence.objects.filter(
        session_id=session_id, end__lte=now, cancelled_at__isnull=True
    ).exists():
        return None
    modes = set(
        Attendance.objects.filter(occurrence__session_id=session_id, person=viewer).values_list(
            "mode", flat=True
        )
    )
    return RecordingWatch(
        recording=recording,
        watched=Attendance.Mode.RECORDING in modes,
        attended=bool(modes - {Attendance.Mode.RECORDING}),
    )
