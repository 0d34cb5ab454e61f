"""Demo topic requests: what people at the demo company ask for, with votes and reasons.

Called by the demo generator after the sessions are written. Rows are written directly (a few
dozen, one bulk insert each): a demo is not news, so nobody is emailed, as with the other bulk
writers. Requests whose topics are missing (a trimmed vocabulary) are skipped.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from knowflow.accounts.models import Person
from knowflow.demand.models import TopicRequest, Vote
from knowflow.topics.models import Topic

# (title, description, topics, format, level, votes)
REQUESTS: tuple[tuple[str, str, tuple[str, ...], str, str, int], ...] = (
    (
        "I need an intro to Terraform for data engineers",
        "We provision our warehouses by clicking in the console and it keeps drifting.",
        ("Terraform", "Data engineering"),
        "workshop",
        "introductory",
        9,
    ),
    (
        "How do we profile slow Python services in production?",
        "",
        ("Python", "Performance engineering"),
        "talk",
        "intermediate",
        7,
    ),
    (
        "Threat modelling a new API, step by step",
        "A worked example on one of our own services would help most.",
        ("Threat modelling", "API design"),
        "workshop",
        "",
        5,
    ),
    (
        "Kubernetes for people who only write the application",
        "",
        ("Kubernetes",),
        "",
        "introductory",
        6,
    ),
    (
        "Accessibility testing with a screen reader",
        "Our design system passes the automated checks but we never tried it ourselves.",
        ("Accessibility", "Design systems"),
        "demo",
        "introductory",
        4,
    ),
    (
        "Running A/B tests when traffic is small",
        "",
        ("Experimentation", "Statistics"),
        "talk",
        "advanced",
        3,
    ),
    (
        "Writing error messages people understand",
        "",
        ("UX writing",),
        "lightning",
        "",
        2,
    ),
    (
        "On-call without burning out",
        "What other teams do about night pages and handovers.",
        ("Incident management", "Site reliability engineering"),
        "panel",
        "",
        8,
    ),
)
REASONS = (
    "Our team starts on this next quarter.",
    "I keep getting asked about it in code reviews.",
    "We lost a week to this last month.",
    "New joiners in my team need it.",
    "",
    "",
    "",
)


def demand_demo_load(*, rng: random.Random, now: datetime, people_ids: list[int]) -> int:
    """Write the demo's open topic requests with their votes; returns how many requests."""
    if not people_ids:
        return 0
    topics = {t.name: t for t in Topic.objects.filter(name__in={n for r in REQUESTS for n in r[2]})}
    written = 0
    for n, (title, description, names, fmt, level, votes) in enumerate(REQUESTS):
        if not all(name in topics for name in names):
            continue
        people = rng.sample(people_ids, min(len(people_ids), votes + 1))
        request = TopicRequest.objects.create(
            title=title,
            description=description,
            format=fmt,
            level=level,
            requester_id=people[0],
        )
        created = now - timedelta(days=3 + 5 * n)
        TopicRequest.objects.filter(pk=request.pk).update(created_at=created)
        request.topics.set([topics[name] for name in names])
        Vote.objects.bulk_create(
            Vote(request=request, person_id=pk, reason=rng.choice(REASONS)) for pk in people[1:]
        )
        written += 1
    return written


def demo_people(*, limit: int = 400) -> list[int]:
    """People who may ask and vote in the demo: the first ``limit`` active ones."""
    return list(
        Person.objects.filter(deactivated_at__isnull=True)
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )
