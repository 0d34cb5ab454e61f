"""Retrospectives and their actions: the editing page, the speakers' named answers, and the
open actions people chase."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import F, Prefetch

from knowflow.accounts.models import Person
from knowflow.errors import Forbidden, NotFound
from knowflow.events.models import Occurrence, Session
from knowflow.feedback import permissions
from knowflow.feedback.models import (
    Answer,
    Kind,
    Response,
    Retrospective,
    RetrospectiveAction,
    RetrospectiveVersion,
)


def retrospective_answers_for_session(*, session: Session) -> list[dict[str, Any]]:
    """The speakers' own retrospective answers (a named survey: shown with their names)."""
    responses = (
        Response.objects.filter(
            occurrence__session=session, kind=Kind.RETROSPECTIVE, template__anonymous=False
        )
        .select_related("author__person", "occurrence")
        .prefetch_related(Prefetch("answers", queryset=Answer.objects.select_related("question")))
        .order_by("occurrence__start", "id")
    )
    out = []
    for response in responses:
        author = getattr(response, "author", None)
        rows = []
        for answer in sorted(response.answers.all(), key=lambda a: a.question.position):
            option = answer.question.option_map().get(answer.value)
            rows.append(
                {
                    "question": answer.question.text,
                    "answer": answer.text or (option["label"] if option else answer.value),
                    "standard": option["standard"] if option else "",
                }
            )
        out.append(
            {
                "occurrence": response.occurrence,
                "person": author.person.display_name if author else "",
                "answers": rows,
            }
        )
    return out


@dataclass
class RetrospectiveEditing:
    occurrence: Occurrence
    retrospective: Retrospective | None
    versions: list[RetrospectiveVersion]


def retrospective_for_editing(*, viewer: Person, occurrence_id: int) -> RetrospectiveEditing:
    """An occurrence's retrospective as it stands, with every saved version (newest first),
    for the people who keep it: the session's speakers and enablers."""
    occurrence = (
        Occurrence.objects.select_related("session")
        .prefetch_related("session__speakers")
        .filter(pk=occurrence_id)
        .first()
    )
    if occurrence is None:
        raise NotFound("There is no such date.")
    if not permissions.can_edit_retrospective(actor=viewer, session=occurrence.session):
        raise Forbidden("Only the session's speakers and enablers keep its retrospective.")
    retro = Retrospective.objects.filter(occurrence=occurrence).select_related("updated_by").first()
    versions = (
        list(RetrospectiveVersion.objects.filter(retrospective=retro).select_related("saved_by"))
        if retro
        else []
    )
    return RetrospectiveEditing(occurrence=occurrence, retrospective=retro, versions=versions)


def _actions_with_context() -> Any:
    return RetrospectiveAction.objects.select_related(
        "owner", "owner__org_unit", "retrospective__occurrence__session"
    )


def _soonest_due_first(actions: Any) -> Any:
    # Undated actions after the dated ones, oldest first: what is late or near comes first.
    return actions.order_by(
        F("due_on").asc(nulls_last=True), "retrospective__occurrence__start", "created_at", "pk"
    )


@dataclass
class OpenActions:
    rows: list[RetrospectiveAction]
    total: int


def open_actions(*, viewer: Person, limit: int = 500) -> OpenActions:
    """Every open action across the programme, soonest due first (undated last), with owner,
    session and date joined: the list enablers chase. ``total`` counts them all when more
    than ``limit`` exist."""
    if not permissions.can_view_open_actions(actor=viewer):
        raise Forbidden("The list of every open action is for enablers.")
    actions = _actions_with_context().filter(done=False)
    rows = list(_soonest_due_first(actions)[:limit])
    total = len(rows) if len(rows) < limit else actions.count()
    return OpenActions(rows=rows, total=total)


def open_actions_count(*, viewer: Person) -> int:
    """How many actions across the programme are open (the enabler's home page)."""
    if not permissions.can_view_open_actions(actor=viewer):
        raise Forbidden("The list of every open action is for enablers.")
    return RetrospectiveAction.objects.filter(done=False).count()


def open_actions_owned_by(*, person: Person, limit: int = 50) -> list[RetrospectiveAction]:
    """The open actions this person owns (their to-dos on the home page and in the API)."""
    return list(
        _soonest_due_first(_actions_with_context().filter(owner=person, done=False))[:limit]
    )


def retrospective_action_get(*, id: int) -> RetrospectiveAction:
    """One action of a retrospective with its owner and session, or NotFound. Who may mark it
    done is `retrospective_action_set_done`'s question (its owner, the speakers, enablers)."""
    action = (
        RetrospectiveAction.objects.select_related("owner", "retrospective__occurrence__session")
        .filter(pk=id)
        .first()
    )
    if action is None:
        raise NotFound(f"There is no action with id {id}.")
    return action
