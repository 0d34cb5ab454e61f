"""Everything that changes the library: resources, uploads, reviews, collections, paths,
the search log — and the library's search documents (``library.search``), written through
``knowflow.search.index`` in the same transaction as each change.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from enum import Enum

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.accounts.services import unique_slug
from knowflow.circles.models import Circle
from knowflow.errors import Conflict, DomainError, Forbidden, NotFound
from knowflow.events import attendance
from knowflow.events.models import Attendance, Occurrence, Session
from knowflow.events.search import SESSION
from knowflow.library import signals
from knowflow.library.captions import (
    MAX_CAPTION_BYTES,
    CaptionsRefused,
    parse_captions,
    passages,
)
from knowflow.library.models import (
    CaptionPassage,
    Collection,
    CollectionItem,
    CollectionSection,
    PathFollow,
    PathProgress,
    RecordingCaptions,
    Resource,
    SearchClick,
    SearchQueryLog,
)
from knowflow.library.permissions import (
    can_add_resource,
    can_confirm_review,
    can_create_collection,
    can_edit_resource,
    can_manage_captions,
    can_manage_collection,
)
from knowflow.library.search import COLLECTION, PASSAGE, RESOURCE
from knowflow.library.uploads import check_upload
from knowflow.links import check_web_url
from knowflow.search.index import index_remove, index_write
from knowflow.search.models import SearchDocument
from knowflow.topics.models import Topic

MAX_TITLE = 300


class Keep(Enum):
    """For a field ``resource_update`` leaves as it is where ``None`` means "none" (no session,
    no circle)."""

    KEEP = "keep"


# --- related content ------------------------------------------------------------------------


def related_content_refresh(*, limit: int | None = None) -> tuple[int, bool]:
    """Recompute "More on this" for documents changed since it was last computed.

    Run by the worker after each change (``library.tasks``) and by ``knowflow
    related_refresh``; pages only read what it stores. At most ``limit`` changed documents
    (and the documents now related to them). Returns how many were recomputed and whether
    changed documents remain.
    """
    from knowflow.library import related

    with transaction.atomic():
        refreshed = related.refresh_stale(limit=limit)
    remaining = SearchDocument.objects.filter(related.stale_documents()).exists()
    return refreshed, remaining


# --- resources --------------------------------------------------------------------------------


def _check_resource_fields(*, kind: str, title: str, url: str, has_file: bool, body: str) -> None:
    if kind not in Resource.Kind.values:
        raise DomainError(
            f"'{kind}' is not a kind of resource; use one of: {', '.join(Resource.Kind.values)}.",
            field="kind",
        )
    if not title.strip():
        raise DomainError("A resource needs a title.", field="title")
    if len(title) > MAX_TITLE:
        raise DomainError(f"The title is longer than {MAX_TITLE} characters.", field="title")
    check_web_url(url, field="url", label="The link")
    if kind == Resource.Kind.NOTE:
        if not body.strip():
            raise DomainError("A note needs its text.", field="body")
    elif kind in (Resource.Kind.RECORDING, Resource.Kind.REPOSITORY, Resource.Kind.ARTICLE):
        if not url:
            raise DomainError("Give the link to it.", field="url")
    elif not url and not has_file:
        raise DomainError("Upload the file or give a link to it.", field="file")


def _store_upload(resource: Resource, upload: UploadedFile) -> None:
    """Check then store: a refused file raises before anything is written."""
    data, file_type = check_upload(upload)
    stored_as = f"{uuid.uuid4().hex}.{file_type.extension}"
    resource.file.save(stored_as, ContentFile(data), save=False)
    resource.file_name = (upload.name or stored_as)[-255:]
    resource.file_type = file_type.content_type
    resource.file_size = len(data)


@transaction.atomic
def resource_create(
    *,
    actor: Person,
    kind: str,
    title: str,
    description: str = "",
    body: str = "",
    url: str = "",
    upload: UploadedFile | None = None,
    topics: Iterable[Topic] = (),
    authors: Iterable[Person] = (),
    language: str = "en",
    session: Session | None = None,
    occurrence: Occurrence | None = None,
    circle: Circle | None = None,
    licence: str = "",
    owner: Person | None = None,
) -> Resource:
    """Add a resource; the actor owns it (and vouches for it today) unless an owner is named.

    An upload is checked by content and saved to the configured file store (``STORAGES``: a
    directory or shared object storage); a refused upload writes nothing. The resource is
    indexed in the same transaction.
    """
    if not can_add_resource(actor=actor):
        raise Forbidden("You cannot add resources.")
    url = url.strip()
    _check_resource_fields(kind=kind, title=title, url=url, has_file=upload is not None, body=body)
    if occurrence is not None:
        if session is None:
            session = occurrence.session
        elif occurrence.session_id != session.pk:
            raise DomainError("That date belongs to another session.", field="occurrence")
    resource = Resource(
        kind=kind,
        title=title.strip(),
        slug=unique_slug(Resource, title, max_length=240),
        description=description,
        body=body,
        url=url,
        language=language.strip() or "en",
        session=session,
        occurrence=occurrence,
        circle=circle or (session.circle if session else None),
        licence=licence.strip()[:200],
        owner=owner or actor,
        last_reviewed_on=timezone.localdate(),
        created_by=actor,
    )
    if upload is not None:
        _store_upload(resource, upload)
    try:
        resource.save()
        resource.topics.set(topics)
        resource.authors.set(
            list(authors) or ([actor] if kind in (Resource.Kind.SLIDES, Resource.Kind.NOTE) else [])
        )
        index_write(kind=RESOURCE, object_ids=[resource.pk])
        if session is not None:
            # "Has a recording" may have changed.
            index_write(kind=SESSION, object_ids=[session.pk])
            if resource.kind == Resource.Kind.RECORDING:
                signals.recording_published.send(sender=Resource, resource=resource)
    except Exception:
        if resource.file.name:
            resource.file.storage.delete(resource.file.name)
        raise
    return resource


@transaction.atomic
def resource_update(
    *,
    resource: Resource,
    actor: Person,
    title: str | None = None,
    description: str | None = None,
    body: str | None = None,
    url: str | None = None,
    upload: UploadedFile | None = None,
    topics: Iterable[Topic] | None = None,
    authors: Iterable[Person] | None = None,
    language: str | None = None,
    licence: str | None = None,
    owner: Person | None = None,
    session: Session | None | Keep = Keep.KEEP,
    circle: Circle | None | Keep = Keep.KEEP,
) -> Resource:
    """Edit a resource (see ``can_edit_resource``); ``None`` leaves a field as it is, except
    for ``session`` and ``circle``, where ``None`` detaches it and ``Keep.KEEP`` leaves it.

    Moving a resource to another session (or none) forgets the date of the old one it was
    attached to; both sessions are re-indexed ("has a recording" may change for each).
    """
    if not can_edit_resource(actor=actor, resource=resource):
        raise Forbidden(
            "Only the resource's owner, authors, its circle's champions and enablers can edit it."
        )
    new_title = resource.title if title is None else title
    new_url = resource.url if url is None else url.strip()
    new_body = resource.body if body is None else body
    _check_resource_fields(
        kind=resource.kind,
        title=new_title,
        url=new_url,
        has_file=bool(resource.file) or upload is not None,
        body=new_body,
    )
    old_file = resource.file.name if upload is not None and resource.file else ""
    resource.title, resource.url, resource.body = new_title.strip(), new_url, new_body
    if description is not None:
        resource.description = description
    if language is not None:
        resource.language = language.strip() or "en"
    if licence is not None:
        resource.licence = licence.strip()[:200]
    if owner is not None:
        resource.owner = owner
    if not isinstance(circle, Keep):
        resource.circle = circle
    sessions_changed: list[int] = []
    if not isinstance(session, Keep) and resource.session_id != (session and session.pk):
        sessions_changed = [pk for pk in (resource.session_id, session and session.pk) if pk]
        resource.session = session
        if resource.occurrence_id is not None:
            resource.occurrence = None  # a date of the session it no longer belongs to
    if upload is not None:
        _store_upload(resource, upload)
    resource.save()
    if topics is not None:
        resource.topics.set(topics)
    if authors is not None:
        resource.authors.set(authors)
    # dependents: its spoken passages carry its session, topics and language for the filters.
    index_write(kind=RESOURCE, object_ids=[resource.pk], dependents=True)
    if sessions_changed:
        # "has a recording" may have changed
        index_write(kind=SESSION, object_ids=sessions_changed)
        if resource.kind == Resource.Kind.RECORDING and resource.session_id is not None:
            signals.recording_published.send(sender=Resource, resource=resource)
    if old_file:
        storage = resource.file.storage
        transaction.on_commit(lambda: storage.delete(old_file))
    return resource


@transaction.atomic
def resource_confirm_reviewed(*, resource: Resource, actor: Person) -> Resource:
    """The owner (or an editor) vouches that the resource is still accurate, today."""
    if not can_confirm_review(actor=actor, resource=resource):
        raise Forbidden(
            "Only the resource's owner and its editors can confirm it is still accurate."
        )
    resource.last_reviewed_on = timezone.localdate()
    resource.save(update_fields=["last_reviewed_on", "updated_at"])
    return resource


@transaction.atomic
def resource_delete(*, resource: Resource, actor: Person) -> None:
    if not can_edit_resource(actor=actor, resource=resource):
        raise Forbidden(
            "Only the resource's owner, authors, its circle's champions and enablers can delete it."
        )
    session_id, name = resource.session_id, resource.file.name if resource.file else ""
    storage = resource.file.storage
    pk = resource.pk
    passage_ids = list(resource.passages.values_list("pk", flat=True))
    resource.delete()
    index_remove(kind=RESOURCE, object_ids=[pk])
    index_remove(kind=PASSAGE, object_ids=passage_ids)
    if session_id:
        index_write(kind=SESSION, object_ids=[session_id])
    if name:
        transaction.on_commit(lambda: storage.delete(name))


# --- captions ---------------------------------------------------------------------------------

CAPTIONS_FORBIDDEN = (
    "Only the recording's speakers, owner, authors, its circle's champions and enablers can "
    "change its captions."
)


def _replace_passages(*, resource: Resource, cues: list | None) -> None:
    """The recording's passages, rebuilt from ``cues`` (none: removed), and the index with
    them, so what search finds is what was uploaded last."""
    old_ids = list(resource.passages.values_list("pk", flat=True))
    CaptionPassage.objects.filter(pk__in=old_ids).delete()
    index_remove(kind=PASSAGE, object_ids=old_ids)
    if not cues:
        return
    created = CaptionPassage.objects.bulk_create(
        CaptionPassage(resource=resource, start_ms=p.start_ms, end_ms=p.end_ms, text=p.text)
        for p in passages(cues)
    )
    index_write(kind=PASSAGE, object_ids=[p.pk for p in created])


@transaction.atomic
def captions_upload(
    *, resource: Resource, actor: Person, upload: UploadedFile
) -> RecordingCaptions:
    """Attach a WebVTT or SubRip file to a recording, replacing any captions it had.

    The file is read whole and checked first (``captions.parse_captions``: size, UTF-8,
    timings in order, a cap on cues): a refused file raises ``CaptionsRefused`` and changes
    nothing. The spoken text is indexed in the same transaction, as passages of ~30 s.
    """
    if not can_manage_captions(actor=actor, resource=resource):
        raise Forbidden(CAPTIONS_FORBIDDEN)
    if resource.kind != Resource.Kind.RECORDING:
        raise DomainError(
            "Captions go with a recording; this resource is not one.", field="captions"
        )
    if upload.size is not None and upload.size > MAX_CAPTION_BYTES:
        raise CaptionsRefused(
            f"The captions file is larger than {MAX_CAPTION_BYTES // (1024 * 1024)} MB."
        )
    upload.seek(0)
    fmt, cues = parse_captions(upload.read(MAX_CAPTION_BYTES + 1))
    captions, _ = RecordingCaptions.objects.update_or_create(
        resource=resource,
        defaults={
            "file_name": (upload.name or f"captions.{fmt}")[-255:],
            "format": fmt,
            "cues": [[c.start_ms, c.end_ms, c.text] for c in cues],
            "cue_count": len(cues),
            "duration_ms": max(c.end_ms for c in cues),
            "uploaded_by": actor,
        },
    )
    _replace_passages(resource=resource, cues=cues)
    return captions


@transaction.atomic
def captions_delete(*, resource: Resource, actor: Person) -> None:
    """Remove a recording's captions and take what was said out of search."""
    if not can_manage_captions(actor=actor, resource=resource):
        raise Forbidden(CAPTIONS_FORBIDDEN)
    deleted, _ = RecordingCaptions.objects.filter(resource=resource).delete()
    if not deleted:
        raise NotFound("This recording has no captions.")
    _replace_passages(resource=resource, cues=None)


# --- collections and learning paths -----------------------------------------------------------


def _check_collection_fields(*, title: str, kind: str) -> None:
    if not title.strip():
        raise DomainError("A collection needs a title.", field="title")
    if len(title) > 200:
        raise DomainError("The title is longer than 200 characters.", field="title")
    if kind not in Collection.Kind.values:
        raise DomainError("Kind must be 'collection' or 'path'.", field="kind")


@transaction.atomic
def collection_create(
    *,
    actor: Person,
    title: str,
    kind: str = Collection.Kind.COLLECTION,
    description: str = "",
    circle: Circle | None = None,
    topic: Topic | None = None,
) -> Collection:
    """Start a collection (or a learning path) owned by the actor."""
    if not can_create_collection(actor=actor):
        raise Forbidden("You cannot create collections.")
    _check_collection_fields(title=title, kind=kind)
    collection = Collection.objects.create(
        kind=kind,
        title=title.strip(),
        slug=unique_slug(Collection, title, max_length=220),
        description=description,
        owner=actor,
        circle=circle,
        topic=topic,
    )
    index_write(kind=COLLECTION, object_ids=[collection.pk])
    return collection


@transaction.atomic
def collection_update(
    *,
    collection: Collection,
    actor: Person,
    title: str | None = None,
    kind: str | None = None,
    description: str | None = None,
    circle: Circle | None = None,
    clear_circle: bool = False,
    topic: Topic | None = None,
    clear_topic: bool = False,
) -> Collection:
    if not can_manage_collection(actor=actor, collection=collection):
        raise Forbidden(
            "Only the collection's owner, its circle's champions and enablers can edit it."
        )
    _check_collection_fields(
        title=collection.title if title is None else title, kind=kind or collection.kind
    )
    if title is not None:
        collection.title = title.strip()
    if kind is not None:
        collection.kind = kind
    if description is not None:
        collection.description = description
    if circle is not None or clear_circle:
        collection.circle = circle
    if topic is not None or clear_topic:
        collection.topic = topic
    collection.save()
    index_write(kind=COLLECTION, object_ids=[collection.pk])
    return collection


@transaction.atomic
def collection_section_add(
    *, collection: Collection, actor: Person, title: str, note: str = ""
) -> CollectionSection:
    if not can_manage_collection(actor=actor, collection=collection):
        raise Forbidden(
            "Only the collection's owner, its circle's champions and enablers can change it."
        )
    if not title.strip():
        raise DomainError("A section needs a title.", field="title")
    last = collection.sections.aggregate(m=Max("position"))["m"]
    section = CollectionSection.objects.create(
        collection=collection, title=title.strip()[:200], note=note, position=(last or 0) + 1
    )
    index_write(kind=COLLECTION, object_ids=[collection.pk])
    return section


@transaction.atomic
def collection_item_add(
    *,
    collection: Collection,
    actor: Person,
    resource: Resource | None = None,
    session: Session | None = None,
    section: CollectionSection | None = None,
    note: str = "",
) -> CollectionItem:
    """Append a resource or a session (exactly one) to the collection, or to one section."""
    if not can_manage_collection(actor=actor, collection=collection):
        raise Forbidden(
            "Only the collection's owner, its circle's champions and enablers can change it."
        )
    if (resource is None) == (session is None):
        raise DomainError("Add either a resource or a session.", field="resource")
    if section is not None and section.collection_id != collection.pk:
        raise DomainError("That section belongs to another collection.", field="section")
    duplicate = collection.items.filter(resource=resource, session=session).exists()
    if duplicate:
        # Named on the field that picked it, so the page shows the message next to it.
        raise DomainError(
            "That is already in this collection.", field="resource" if resource else "session"
        )
    last = collection.items.aggregate(m=Max("position"))["m"]
    item = CollectionItem.objects.create(
        collection=collection,
        section=section,
        resource=resource,
        session=session,
        note=note,
        position=(last or 0) + 1,
    )
    index_write(kind=COLLECTION, object_ids=[collection.pk])
    return item


@transaction.atomic
def collection_item_remove(*, item: CollectionItem, actor: Person) -> None:
    collection = item.collection
    if not can_manage_collection(actor=actor, collection=collection):
        raise Forbidden(
            "Only the collection's owner, its circle's champions and enablers can change it."
        )
    item.delete()
    index_write(kind=COLLECTION, object_ids=[collection.pk])


@transaction.atomic
def collection_item_move(*, item: CollectionItem, actor: Person, up: bool) -> None:
    """Swap an item with its neighbour (in the same section) above or below."""
    if not can_manage_collection(actor=actor, collection=item.collection):
        raise Forbidden(
            "Only the collection's owner, its circle's champions and enablers can change it."
        )
    siblings = list(
        CollectionItem.objects.select_for_update()
        .filter(collection_id=item.collection_id, section_id=item.section_id)
        .order_by("position", "id")
    )
    index = next(i for i, s in enumerate(siblings) if s.pk == item.pk)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(siblings):
        return
    siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, sibling in enumerate(siblings, 1):
        sibling.position = position
    CollectionItem.objects.bulk_update(siblings, ["position"])


@transaction.atomic
def path_follow(*, collection: Collection, person: Person) -> PathFollow:
    follow, _ = PathFollow.objects.get_or_create(collection=collection, person=person)
    return follow


@transaction.atomic
def path_unfollow(*, collection: Collection, person: Person) -> None:
    PathFollow.objects.filter(collection=collection, person=person).delete()


@transaction.atomic
def path_item_mark(*, item: CollectionItem, person: Person, done: bool = True) -> None:
    """Tick an item off (or un-tick it); ticking follows the path if the person did not yet."""
    if done:
        _, ticked = PathProgress.objects.get_or_create(
            item=item, person=person, defaults={"done_at": timezone.now()}
        )
        PathFollow.objects.get_or_create(collection_id=item.collection_id, person=person)
        items = CollectionItem.objects.filter(collection_id=item.collection_id)
        if ticked and not items.exclude(progress__person=person).exists():
            collection = item.collection
            if collection.kind == Collection.Kind.PATH:
                signals.path_completed.send(sender=Collection, collection=collection, person=person)
    else:
        PathProgress.objects.filter(item=item, person=person).delete()


# --- the search log (for insights; never who searched) -----------------------------------------


def normalize_query(text: str) -> str:
    return " ".join(text.lower().split())[:200]


@transaction.atomic
def search_log_query(*, text: str, result_count: int) -> SearchQueryLog | None:
    """Record that a search was run and how many results it had — not by whom."""
    normalized = normalize_query(text)
    if not normalized:
        return None
    return SearchQueryLog.objects.create(
        query=text.strip()[:200], normalized=normalized, result_count=result_count
    )


@transaction.atomic
def search_click_record(*, log_id: int, kind: str, object_id: int, position: int) -> SearchClick:
    log = SearchQueryLog.objects.filter(pk=log_id).first()
    if log is None:
        raise NotFound("That search is no longer in the log.")
    return SearchClick.objects.create(
        log=log, kind=kind, object_id=object_id, position=max(0, position)
    )


@transaction.atomic
def recording_watched(*, session: Session, person: Person) -> Attendance:
    """The person says they watched the session's recording: a later viewer.

    Recorded as the attendance of the date the recording is of (or, when it names none, the
    session's last date that took place) with mode "recording", self-reported, through the
    events service that owns attendance. From then on the feedback app asks them for feedback
    as it asks any attendee, counted from when they said so. Idempotent; someone already
    recorded at that date in the room or online keeps that record (observed or checked in).
    Refused when the session has no recording or has not taken place.
    """
    recording = (
        Resource.objects.filter(session=session, kind=Resource.Kind.RECORDING)
        .select_related("occurrence")
        .order_by("-created_at", "-id")
        .first()
    )
    if recording is None:
        raise DomainError("This session has no recording yet.")
    now = timezone.now()
    occurrence = recording.occurrence
    if occurrence is None or occurrence.end > now or occurrence.cancelled_at is not None:
        occurrence = (
            Occurrence.objects.filter(session=session, end__lte=now, cancelled_at__isnull=True)
            .order_by("-end", "-id")
            .first()
        )
    if occurrence is None:
        raise DomainError("This session has not taken place yet, so there is no recording of it.")
    existing = Attendance.objects.filter(occurrence=occurrence, person=person).first()
    if existing is not None and existing.mode != Attendance.Mode.RECORDING:
        raise Conflict(
            f"You are already recorded as attending {existing.get_mode_display().lower()}; "
            "that counts for this session."
        )
    if existing is not None:
        return existing
    return attendance.attendance_record(
        occurrence=occurrence, person=person, mode=Attendance.Mode.RECORDING, actor=person
    )
