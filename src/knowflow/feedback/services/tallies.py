"""The tallies results are read from: per-option counts (`AnswerTally`) and per-response
standards (`ResponseTally` per occurrence and segment, `SessionTally` per session), added to
as each response is stored and rebuilt when dates move or go."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import transaction
from django.db.models import F, Sum

from knowflow.feedback.models import (
    TALLY_COLUMNS,
    AnswerTally,
    Question,
    Response,
    ResponseTally,
    SessionTally,
    Standard,
)


def _tally_answers(response: Response, rows: list[tuple[Question, str, str]]) -> None:
    """Add this response to the per-option counts of its segment (one row per value, plus the
    empty value once per answered question)."""
    wanted: dict[tuple[int, str], int] = {}
    for question, value, _text in rows:
        wanted[(question.pk, "")] = 1
        if question.is_choice and value:
            wanted[(question.pk, value)] = wanted.get((question.pk, value), 0) + 1
    segment = {
        "occurrence_id": response.occurrence_id,
        "kind": response.kind,
        "mode": response.mode,
        "org_unit_id": response.org_unit_id,
        "office_id": response.office_id,
    }
    existing: dict[tuple[int, str], int] = {}
    for pk, question_id, value in (
        AnswerTally.objects.filter(**segment, question_id__in={q for q, _ in wanted})
        .order_by("id")
        .values_list("id", "question_id", "value")
    ):
        existing.setdefault((question_id, value), pk)
    for key, pk in existing.items():
        if key in wanted:
            AnswerTally.objects.filter(pk=pk).update(count=F("count") + wanted[key])
    AnswerTally.objects.bulk_create(
        AnswerTally(**segment, question_id=question_id, value=value, count=n)
        for (question_id, value), n in wanted.items()
        if (question_id, value) not in existing
    )


def tallies_add_response(response: Response, rows: list[tuple[Question, str, str]]) -> None:
    _tally_answers(response, rows)
    counts = {s: 0 for s in Standard.values}
    applied_asked = applied_yes = 0
    for question, value, _text in rows:
        if question.is_choice and value:
            standard = question.option_map()[value]["standard"]
            counts[standard] += 1
            if question.key == "applied":
                applied_asked += 1
                applied_yes += standard != Standard.UNACCEPTABLE
    values = {
        "responses": 1,
        "unacceptable": counts[Standard.UNACCEPTABLE],
        "acceptable": counts[Standard.ACCEPTABLE],
        "superior": counts[Standard.SUPERIOR],
        "applied_asked": applied_asked,
        "applied_yes": applied_yes,
    }
    common = {"template_id": response.template_id, "kind": response.kind, "mode": response.mode}
    _add_to_tally(
        ResponseTally,
        {
            **common,
            "occurrence_id": response.occurrence_id,
            "org_unit_id": response.org_unit_id,
            "office_id": response.office_id,
        },
        values,
    )
    _add_to_tally(SessionTally, {**common, "session_id": response.occurrence.session_id}, values)


def _add_to_tally(model: type[ResponseTally | SessionTally], key: dict, values: dict) -> None:
    """Add values to the first row of this key, or write the row. Two concurrent first
    answers may both write a row; readers sum, so the totals stay right."""
    row = model.objects.filter(**key).order_by("id").values_list("id", flat=True).first()
    increments = {f: F(f) + n for f, n in values.items()}
    # The row may have gone since it was read (a rebuild replaced it): then write a new one.
    if row is None or not model.objects.filter(pk=row).update(**increments):
        model.objects.create(**key, **values)


@transaction.atomic
def feedback_tallies_rebuild(
    *,
    session_ids: Iterable[int] | None = None,
    progress: Callable[[str], None] | None = None,
) -> int:
    """Recompute `SessionTally` from `ResponseTally`: for every session (after a bulk load)
    or for some (a date deleted or moved to another session: see `feedback.signals`).
    Returns the number of rows written.

    A response submitted meanwhile is not lost: either this read sees its per-occurrence
    tally, or its own write finds its per-session row gone and writes a new one.
    """
    stale = SessionTally.objects.all()
    source = ResponseTally.objects.all()
    if session_ids is not None:
        session_ids = list(session_ids)
        stale = stale.filter(session_id__in=session_ids)
        source = source.filter(occurrence__session_id__in=session_ids)
    stale.delete()
    rows = (
        source.values("occurrence__session_id", "template_id", "kind", "mode")
        .annotate(**{f"sum_{f}": Sum(f) for f in TALLY_COLUMNS})
        .order_by()
    )
    written, batch = 0, []
    for row in rows.iterator(chunk_size=10_000):
        batch.append(
            SessionTally(
                session_id=row["occurrence__session_id"],
                template_id=row["template_id"],
                kind=row["kind"],
                mode=row["mode"],
                # The sums are annotated from a dict of names, which django-stubs' values()
                # row type cannot see.
                **{f: row[f"sum_{f}"] or 0 for f in TALLY_COLUMNS},  # type: ignore[literal-required]
            )
        )
        if len(batch) >= 10_000:
            SessionTally.objects.bulk_create(batch)
            written += len(batch)
            batch = []
            if progress:
                progress(f"{written:,} session tally rows")
    SessionTally.objects.bulk_create(batch)
    written += len(batch)
    if progress:
        progress(f"{written:,} session tally rows, done")
    return written
