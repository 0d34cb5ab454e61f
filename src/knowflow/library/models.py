"""The library: resources, collections and learning paths, the search log and "More on this".

A resource lives next to what it came from (a session, an occurrence, a circle) and names an
owner who vouches for it: ``last_reviewed_on`` plus a configurable period say when it may be
stale. Collections are ordered lists of resources and sessions cut into sections; a learning
path is a collection people follow, ticking items off.

The search index itself belongs to ``knowflow.search``; the library keeps the log of searches
run (for insights, never who searched) and each document's stored related content.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from knowflow.links import WebURLField


class Resource(models.Model):
    class Kind(models.TextChoices):
        RECORDING = "recording", "Recording"
        SLIDES = "slides", "Slides"
        DOCUMENT = "document", "Document"
        REPOSITORY = "repository", "Code repository"
        ARTICLE = "article", "Article"
        NOTE = "note", "Note"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=240, unique=True)
    description = models.TextField(blank=True, help_text="Markdown.")
    body = models.TextField(blank=True, help_text="Markdown: the text of a note.")
    url = WebURLField("link", max_length=1000, blank=True, help_text="Where a link resource lives.")
    topics = models.ManyToManyField("topics.Topic", blank=True, related_name="resources")
    authors = models.ManyToManyField(
        "accounts.Person", blank=True, related_name="resources_authored"
    )
    language = models.CharField(max_length=16, default="en")
    session = models.ForeignKey(
        "events.Session", null=True, blank=True, on_delete=models.SET_NULL, related_name="resources"
    )
    occurrence = models.ForeignKey(
        "events.Occurrence",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resources",
    )
    circle = models.ForeignKey(
        "circles.Circle", null=True, blank=True, on_delete=models.SET_NULL, related_name="resources"
    )
    licence = models.CharField(max_length=200, blank=True)
    owner = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resources_owned",
    )
    last_reviewed_on = models.DateField(null=True, blank=True)
    # An uploaded file (slides, a document): kept in the configured store (a directory or shared
    # object storage, see settings), read through selectors.resource_file_open, served by our view.
    file = models.FileField(upload_to="library/%Y/%m/", blank=True, max_length=300)
    file_name = models.CharField(
        max_length=255, blank=True, help_text="The name it was uploaded as."
    )
    file_type = models.CharField(max_length=120, blank=True, help_text="Detected from the content.")
    file_size = models.PositiveBigIntegerField(default=0)
    # Where an imported resource came from, so importing the same file again updates it.
    source = models.CharField(max_length=16, blank=True)
    external_id = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        "accounts.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind"]), models.Index(fields=["last_reviewed_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="resource_external_id_unique_per_source",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def has_file(self) -> bool:
        return bool(self.file)


class RecordingCaptions(models.Model):
    """The captions uploaded with a recording: its cues as read (plain text, in time order).

    Uploading again replaces them (and their passages); the cues are kept as one JSON list of
    ``[start_ms, end_ms, text]`` because they are only ever read whole, by the transcript.
    """

    resource = models.OneToOneField(Resource, on_delete=models.CASCADE, related_name="captions")
    file_name = models.CharField(max_length=255, help_text="The name it was uploaded as.")
    format = models.CharField(max_length=8, help_text="vtt or srt, told by the content.")
    cues = models.JSONField(default=list)
    cue_count = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        "accounts.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"captions of {self.resource}"


class CaptionPassage(models.Model):
    """About 30 seconds of what was said in a recording: what search matches spoken words in
    (``knowflow.library.captions.passages``)."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="passages")
    start_ms = models.PositiveIntegerField()
    end_ms = models.PositiveIntegerField()
    text = models.TextField()

    class Meta:
        ordering = ["resource", "start_ms", "id"]

    def __str__(self) -> str:
        return f"{self.resource} at {self.start_ms // 1000} s"


class Collection(models.Model):
    class Kind(models.TextChoices):
        COLLECTION = "collection", "Collection"
        PATH = "path", "Learning path"

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.COLLECTION)
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    description = models.TextField(blank=True, help_text="Markdown.")
    owner = models.ForeignKey(
        "accounts.Person", on_delete=models.PROTECT, related_name="collections"
    )
    circle = models.ForeignKey(
        "circles.Circle",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="collections",
    )
    topic = models.ForeignKey(
        "topics.Topic", null=True, blank=True, on_delete=models.SET_NULL, related_name="collections"
    )
    followers = models.ManyToManyField(
        "accounts.Person", through="PathFollow", related_name="paths_followed", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class CollectionSection(models.Model):
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="sections")
    title = models.CharField(max_length=200)
    note = models.TextField(blank=True, help_text="Markdown.")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["collection", "position", "id"]

    def __str__(self) -> str:
        return self.title


class CollectionItem(models.Model):
    """One step of a collection: a resource or a session, never both."""

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="items")
    section = models.ForeignKey(
        CollectionSection, null=True, blank=True, on_delete=models.CASCADE, related_name="items"
    )
    position = models.PositiveIntegerField(default=0)
    resource = models.ForeignKey(
        Resource, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    session = models.ForeignKey(
        "events.Session", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    note = models.TextField(blank=True, help_text="Markdown.")

    class Meta:
        ordering = ["collection", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(resource__isnull=False) & Q(session__isnull=True))
                | (Q(resource__isnull=True) & Q(session__isnull=False)),
                name="collection_item_is_resource_or_session",
            )
        ]

    def __str__(self) -> str:
        return f"{self.collection}: {self.resource or self.session}"

    @property
    def target(self) -> object:
        return self.resource or self.session


class PathFollow(models.Model):
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="follows")
    person = models.ForeignKey(
        "accounts.Person", on_delete=models.CASCADE, related_name="path_follows"
    )
    started_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["collection", "person"], name="follow_a_path_once")
        ]

    def __str__(self) -> str:
        return f"{self.person} follows {self.collection}"


class PathProgress(models.Model):
    """An item a person marked done."""

    item = models.ForeignKey(CollectionItem, on_delete=models.CASCADE, related_name="progress")
    person = models.ForeignKey(
        "accounts.Person", on_delete=models.CASCADE, related_name="path_progress"
    )
    done_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["item", "person"], name="one_progress_per_item_and_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} did {self.item}"


class SearchQueryLog(models.Model):
    """A search someone ran, without who ran it (insights count queries, never people)."""

    query = models.CharField(max_length=200)
    normalized = models.CharField(max_length=200, db_index=True)
    result_count = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return self.query


class SearchClick(models.Model):
    log = models.ForeignKey(SearchQueryLog, on_delete=models.CASCADE, related_name="clicks")
    kind = models.CharField(max_length=16)
    object_id = models.BigIntegerField()
    position = models.PositiveIntegerField()
    clicked_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.log} → {self.kind} {self.object_id}"


class RelatedContent(models.Model):
    """ "More on this" for one document, computed when the library changes, read by the pages.

    The "more like this" query is an OR of a dozen terms over the whole index (60-140 ms on the
    large demo): too slow for every view of a session page, and its answer only changes when
    documents do. So the worker computes it after a change (``related_content_refresh``) and
    pages read this row. Only which documents are related is kept, as ``[kind, object_id,
    [[kind, object_id], ...grouped]]`` entries in rank order: titles, dates and recordings are
    read from the index when shown, so a renamed or deleted document is right at once.
    ``computed_at`` older than the document's ``updated_at`` marks the row for a refresh.
    """

    kind = models.CharField(max_length=16)
    object_id = models.BigIntegerField()
    entries = models.JSONField(default=list)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id"], name="one_related_content_per_object"
            )
        ]

    def __str__(self) -> str:
        return f"related to {self.kind} {self.object_id}"
