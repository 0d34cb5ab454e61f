"""Find an expert over the API: the same ranking and privacy as the page and the command."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from knowflow.expertise.selectors import Expert, experts_find, topic_by_slug

router = Router(tags=["experts"])


class ExpertsQuery(Schema):
    q: str = Field("", max_length=200, description="A topic or a question, in words.")
    topic: str = Field("", max_length=140, description="A topic's slug (its sub-topics count).")
    limit: int = Field(10, ge=1, le=50)


class ExpertOut(Schema):
    person_id: int
    slug: str
    name: str
    score: float
    evidence: list[str]
    timezone: str
    within_working_hours: bool


def _out(expert: Expert) -> ExpertOut:
    return ExpertOut(
        person_id=expert.person.pk,
        slug=expert.person.slug,
        name=expert.person.display_name,
        score=expert.score,
        evidence=expert.claims,
        timezone=expert.person.timezone,
        within_working_hours=expert.within_hours,
    )


@router.get("/", response=list[ExpertOut])
def expert_list(request: HttpRequest, query: Query[ExpertsQuery]) -> list[ExpertOut]:
    """People ranked by their evidence; people who opted out or hid the topic never appear."""
    topic = topic_by_slug(slug=query.topic) if query.topic else None
    return [_out(e) for e in experts_find(text=query.q, topic=topic, limit=query.limit).experts]
