"""Exporting the library: every resource and collection as a record (JSON Lines)."""

from __future__ import annotations

from collections.abc import Iterator

from knowflow.library.models import Collection, Resource


def library_export_lines() -> Iterator[dict]:
    """The library as records, one per resource then one per collection (JSON Lines)."""
    resources = (
        Resource.objects.select_related("session", "circle", "owner")
        .prefetch_related("topics", "authors")
        .order_by("id")
    )
    for r in resources.iterator(chunk_size=1000):
        yield {
            "type": "resource",
            "slug": r.slug,
            "kind": r.kind,
            "title": r.title,
            "description": r.description,
            "body": r.body,
            "url": r.url,
            "topics": [t.name for t in r.topics.all()],
            "authors": [p.display_name for p in r.authors.all()],
            "language": r.language,
            "session": r.session.slug if r.session else None,
            "circle": r.circle.slug if r.circle else None,
            "licence": r.licence,
            "owner": r.owner.slug if r.owner else None,
            "last_reviewed_on": r.last_reviewed_on.isoformat() if r.last_reviewed_on else None,
            "file_name": r.file_name or None,
            "file_type": r.file_type or None,
            "source": r.source or None,
            "external_id": r.external_id or None,
        }
    collections = Collection.objects.select_related("owner", "circle", "topic").prefetch_related(
        "sections", "items__resource", "items__session", "items__section"
    )
    for c in collections.order_by("id"):
        yield {
            "type": "collection",
            "slug": c.slug,
            "kind": c.kind,
            "title": c.title,
            "description": c.description,
            "owner": c.owner.slug,
            "circle": c.circle.slug if c.circle else None,
            "topic": c.topic.slug if c.topic else None,
            "sections": [{"title": s.title, "note": s.note} for s in c.sections.all()],
            "items": [
                {
                    "resource": i.resource.slug if i.resource else None,
                    "session": i.session.slug if i.session else None,
                    "section": i.section.title if i.section else None,
                    "note": i.note,
                }
                for i in c.items.all()
            ],
        }
