"""The search index's own table: one row per searchable thing, with its analysed text.

``kind`` is whatever a domain registered (``registry``): the index knows no domain, so it
has no list of kinds. The table keeps the name it had when the library owned it
(``library_searchdocument``): the SQLite FTS5 table and triggers and the PostgreSQL
generated column are defined over that name, and an upgrade keeps every row.
"""

from __future__ import annotations

from django.db import models


class SearchDocument(models.Model):
    """One searchable thing as the index sees it (see ``knowflow.search.index``)."""

    kind = models.CharField(max_length=16)
    object_id = models.BigIntegerField()
    # Results sharing a group (a session and its recording) are shown once, the best first.
    group_key = models.CharField(max_length=40)
    slug = models.CharField(max_length=240)
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True, help_text="Plain text the snippet is cut from.")
    external_id = models.CharField(max_length=300, blank=True)
    # Analysed terms (knowflow.discovery.text.terms_text), what full-text search matches.
    title_terms = models.TextField(blank=True)
    topic_terms = models.TextField(blank=True)
    people_terms = models.TextField(blank=True)
    body_terms = models.TextField(blank=True)
    # Filters and facets.
    topic_ids = models.CharField(max_length=1000, blank=True, help_text="' 3 17 '-style list.")
    format = models.CharField(max_length=24, blank=True)  # session format or resource kind
    language = models.CharField(max_length=16, blank=True)
    circle_id = models.BigIntegerField(null=True, blank=True)
    date = models.DateTimeField(null=True, blank=True, help_text="Next date, else the last one.")
    has_recording = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "library_searchdocument"
        indexes = [
            models.Index(fields=["kind", "date"], name="library_sea_kind_61f9ec_idx"),
            models.Index(fields=["group_key"], name="library_sea_group_k_e026ea_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id"], name="one_search_document_per_object"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}: {self.title}"


class SemanticModel(models.Model):
    """The semantic retrieval model trained on the index's own text (``search.semantic``).

    One row: the newest training replaces it. Kept in the database, not on one machine's disk,
    so every web process of an installation reads the same model.
    """

    trained_at = models.DateTimeField()
    documents = models.PositiveIntegerField(help_text="Documents it was trained on.")
    dimensions = models.PositiveSmallIntegerField()
    data = models.BinaryField(help_text="numpy arrays (npz) and the learned abbreviations.")

    def __str__(self) -> str:
        return f"semantic model of {self.documents} documents, {self.trained_at:%Y-%m-%d %H:%M}"
