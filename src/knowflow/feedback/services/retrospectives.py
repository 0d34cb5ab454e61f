"""Retrospectives and their actions: saving the text as versions (no blind overwrite), adding
actions, marking them done. The session's speakers and enablers keep them."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.errors import Conflict, DomainError, Forbidden
from knowflow.events.models import Occurrence
from knowflow.feedback import permissions
from knowflow.feedback.models import (
    Kind,
    Retrospective,
    RetrospectiveAction,
    RetrospectiveVersion,
    SurveyLink,
    SurveyRequest,
)
from knowflow.feedback.services.responses import MAX_TEXT


class RetrospectiveChanged(Conflict):
    """Someone saved the retrospective after the editor opened it."""


def _retro_for(occurrence: Occurrence, actor: Person) -> Retrospective:
    if not permissions.can_edit_retrospective(actor=actor, session=occurrence.session):
        raise Forbidden("Only the session's speakers and enablers keep its retrospective.")
    if occurrence.start > timezone.now():
        # Looking back on a date that has not happened yet would be guessing.
        raise DomainError(
            "A retrospective (and its actions) can be written once the date has started.",
            field="retrospective",
        )
    retro, _ = Retrospective.objects.get_or_create(
        occurrence=occurrence, defaults={"updated_at": timezone.now(), "updated_by": actor}
    )
    return retro


@transaction.atomic
def retrospective_save(
    *,
    occurrence: Occurrence,
    actor: Person,
    went_well: str,
    to_change: str,
    hybrid_notes: str = "",
    based_on: int | None = None,
) -> Retrospective:
    """Save the retrospective's text as its next version; the earlier versions are kept.

    ``based_on`` is the version the editor started from (the edit page sends it): if someone
    saved a newer one since, nothing is written and `RetrospectiveChanged` says who, so the
    editor can merge instead of overwriting; leaving it out once a version exists is treated
    the same way, so no caller overwrites blindly. Saving the same text again writes nothing.
    Speakers of the session and enablers only.
    """
    retro = _retro_for(occurrence, actor)
    # The row lock makes "read the version, write the next one" one step: two saves at once
    # cannot both become version n + 1 (the unique constraint would refuse the second anyway).
    retro = Retrospective.objects.select_for_update().get(pk=retro.pk)
    # Naming no version is only safe for the very first save.
    started_from = 0 if based_on is None else based_on
    if started_from != retro.version:
        who = retro.updated_by.display_name if retro.updated_by else "someone"
        raise RetrospectiveChanged(
            f"{who} saved a newer version (version {retro.version}) while you were editing. "
            "Nothing was saved: compare your text with theirs below and save again.",
            field="retrospective",
        )
    text = (went_well.strip(), to_change.strip(), hybrid_notes.strip())
    if len(max(text, key=len)) > MAX_TEXT:
        raise DomainError(
            f"Each part of the retrospective has at most {MAX_TEXT} characters.",
            field="retrospective",
        )
    if retro.version and text == (retro.went_well, retro.to_change, retro.hybrid_notes):
        return retro
    now = timezone.now()
    retro.went_well, retro.to_change, retro.hybrid_notes = text
    retro.updated_by, retro.updated_at, retro.version = actor, now, retro.version + 1
    retro.save()
    RetrospectiveVersion.objects.create(
        retrospective=retro,
        number=retro.version,
        went_well=retro.went_well,
        to_change=retro.to_change,
        hybrid_notes=retro.hybrid_notes,
        saved_by=actor,
        saved_at=now,
    )
    # Writing it on the session's retrospective page does what the "Write your retrospective"
    # request asked: it leaves the writer's to-do, and no reminder follows.
    open_requests = SurveyRequest.objects.filter(
        occurrence=occurrence, person=actor, kind=Kind.RETROSPECTIVE
    ).exclude(status__in=[SurveyRequest.Status.ANSWERED, SurveyRequest.Status.EXPIRED])
    SurveyLink.objects.filter(request__in=open_requests).delete()
    open_requests.update(status=SurveyRequest.Status.ANSWERED, next_action_at=None)
    return retro


@transaction.atomic
def retrospective_action_add(
    *,
    occurrence: Occurrence,
    actor: Person,
    text: str,
    owner: Person | None,
    due_on: date | None = None,
) -> RetrospectiveAction:
    """Add an action to an occurrence's retrospective. Anyone may own it (not only the
    speakers: the room's AV team, a manager); a due date is optional. Speakers of the session
    and enablers only."""
    text = text.strip()
    if not text or len(text) > 300:
        raise DomainError("An action needs a text of at most 300 characters.", field="text")
    retro = _retro_for(occurrence, actor)
    if due_on is not None and due_on < timezone.localdate(occurrence.start):
        raise DomainError(
            "The due date cannot be before the session date "
            f"({timezone.localdate(occurrence.start):%-d %b %Y}).",
            field="due_on",
        )
    return RetrospectiveAction.objects.create(
        retrospective=retro, text=text, owner=owner, due_on=due_on, created_at=timezone.now()
    )


@transaction.atomic
def retrospective_action_set_done(
    *, action: RetrospectiveAction, actor: Person, done: bool
) -> RetrospectiveAction:
    """Mark an action done (or open again): its owner, the session's speakers and enablers."""
    session = action.retrospective.occurrence.session
    if not permissions.can_set_action_done(actor=actor, action=action, session=session):
        raise Forbidden(
            "Only the action's owner, the session's speakers and enablers mark it done."
        )
    action.done = done
    action.save(update_fields=["done"])
    return action
