"""Demo feedback: requests and answers for the demo organisation's past sessions.

Called by the demo generator after it has written attendance (see the report for where).
Goes through the real services, so tallies, anonymity and standards are exactly as in use;
bounded by `max_responses` so the small demo stays quick to load.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.test import override_settings
from django.utils import timezone

from knowflow.errors import DomainError
from knowflow.feedback.models import Kind, SurveyRequest
from knowflow.feedback.services.requests import feedback_requests_create_due
from knowflow.feedback.services.responses import survey_response_submit

IMPROVE = (
    "More hands-on exercises, less slides",
    "The audio for online attendees dropped a few times",
    "Share the slides and the recording earlier",
    "Too fast for beginners; more time for questions",
    "Remote attendees could not hear the questions from the room",
    "A backup video for the live demo",
    "Great examples from our own code base",
)
FIRST_STEP = (
    "Try it on our deployment pipeline",
    "Show it to my team on Monday",
    "Rewrite one of our tests with it",
    "Read the documentation and the slides again",
)


def _answers(rng: random.Random, kind: str, skill: float) -> dict[str, object]:
    def pick(values: list[str]) -> str:
        index = min(int(rng.betavariate(1 + 3 * skill, 2) * len(values)), len(values) - 1)
        return values[index]

    if kind == Kind.AFTER_SESSION:
        return {
            "apply_now": pick(["not_at_all", "awareness", "with_support", "on_my_own", "expert"]),
            "relevance": pick(["not_relevant", "later", "now", "critical"]),
            "remember": pick(["forget", "key_points", "most"]),
            "support": [pick(["more_training", "time", "colleague", "material", "none"])],
            "first_step": rng.choice(FIRST_STEP) if rng.random() < 0.4 else "",
            "improve": rng.choice(IMPROVE) if rng.random() < 0.5 else "",
            "reputation_nps": str(min(10, int(rng.gauss(6 + 3 * skill, 2))))
            if rng.random() < 0.6
            else "",
        }
    if kind == Kind.FOLLOW_UP_7:
        return {
            "remember": pick(["nothing", "few", "main_ideas", "explain"]),
            "tried": pick(["no_chance", "no_how", "once", "several"]),
        }
    return {
        "applied": pick(["not_yet", "tried", "regularly", "spread"]),
        "how_often": pick(["never", "once", "monthly", "weekly", "daily"]),
        "result": pick(["none", "small", "clear", "major"]),
        "hours_saved": pick(["0", "1", "2", "4", "8", "16"]),
        "hours_confidence": pick(["10", "25", "50", "75", "90"]),
        "hours_attribution": pick(["25", "50", "75", "100"]),
    }


def feedback_demo_load(
    *, rng: random.Random, now: datetime | None = None, max_responses: int = 1500
) -> int:
    """Write survey requests for every past attendance and answer about 70 % of them.

    Returns the number of responses written. Deterministic for a given `rng` seed.
    """
    now = now or timezone.now()
    # Look back over the whole demo past: the scan window exists for live workers only.
    with override_settings(KNOWFLOW_FEEDBACK_SCAN_DAYS=3650):
        while feedback_requests_create_due(now=now, limit=5000) >= 5000:
            pass
    requests = list(
        SurveyRequest.objects.filter(due_at__lte=now, status=SurveyRequest.Status.SCHEDULED)
        .exclude(kind=Kind.RETROSPECTIVE)
        .select_related("occurrence__session")
        .order_by("occurrence__start", "id")
    )
    rng.shuffle(requests)
    quality = {}
    written = 0
    for request in requests:
        if written >= max_responses:
            break
        SurveyRequest.objects.filter(pk=request.pk).update(
            status=SurveyRequest.Status.SENT,
            sent_at=request.due_at,
            expires_at=now + timedelta(days=14),
            next_action_at=None,
        )
        request.refresh_from_db()
        if rng.random() > 0.7:
            continue
        skill = quality.setdefault(request.occurrence.session_id, rng.random())
        try:
            survey_response_submit(
                request=request, answers=_answers(rng, request.kind, skill), now=now
            )
        except DomainError:
            continue
        written += 1
    return written
