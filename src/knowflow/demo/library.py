"""The demo's library: recordings and slides of the sessions that took place."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from knowflow.demo.specification import BATCH
from knowflow.events.models import Session
from knowflow.library.models import Resource


def demo_resources_load(*, rng: random.Random, now: datetime) -> None:
    """A recording for most sessions that took place, slides for some: what a library that
    has been kept for a while looks like. Review dates spread over two years, so some are due
    for a review (and their owners are asked)."""
    sessions = list(
        Session.objects.filter(status=Session.Status.DONE)
        .prefetch_related("speakers", "topics", "occurrences")
        .order_by("id")
    )
    resources, authors, topics = [], [], []
    for session in sessions:
        past = [o for o in session.occurrences.all() if o.end <= now]
        speakers = list(session.speakers.all())
        if not past or not speakers:
            continue
        kinds = [Resource.Kind.RECORDING] if rng.random() < 0.8 else []
        if rng.random() < 0.5:
            kinds.append(Resource.Kind.SLIDES)
        for kind in kinds:
            is_recording = kind == Resource.Kind.RECORDING
            slug = f"{session.slug}-{kind}"
            resources.append(
                Resource(
                    kind=kind,
                    title=f"{session.title} ({'recording' if is_recording else 'slides'})",
                    slug=slug[:240],
                    description=session.abstract.split("\n\n")[0],
                    url=f"https://video.example.org/watch/{session.slug}"
                    if is_recording
                    else f"https://slides.example.org/{session.slug}.pdf",
                    language=session.language,
                    session=session,
                    occurrence=past[0],
                    circle=session.circle,
                    owner=speakers[0],
                    created_by=speakers[0],
                    last_reviewed_on=(now - timedelta(days=rng.randint(0, 730))).date(),
                )
            )
            authors.append(speakers)
            topics.append(list(session.topics.all()))
    created = Resource.objects.bulk_create(resources, batch_size=BATCH)
    Resource.authors.through.objects.bulk_create(
        [
            Resource.authors.through(resource_id=r.pk, person_id=p.pk)
            for r, people in zip(created, authors, strict=True)
            for p in people
        ],
        batch_size=BATCH,
    )
    Resource.topics.through.objects.bulk_create(
        [
            Resource.topics.through(resource_id=r.pk, topic_id=t.pk)
            for r, items in zip(created, topics, strict=True)
            for t in items
        ],
        batch_size=BATCH,
    )
