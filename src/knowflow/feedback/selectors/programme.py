"""The programme view: results across sessions, grouped by session, circle, format or
attendance mode, summing only cells that the sessions' own results pages show."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.utils import timezone

from knowflow.accounts.models import Person
from knowflow.anonymity.partition import org_unit_visible
from knowflow.circles.models import Circle
from knowflow.errors import DomainError, Forbidden
from knowflow.events.models import Attendance, Occurrence, Session
from knowflow.feedback import permissions
from knowflow.feedback.models import (
    TALLY_COLUMNS,
    Kind,
    ResponseTally,
    SessionTally,
    Standard,
)
from knowflow.feedback.selectors.anonymity import (
    NO_FILTERS,
    ONE_CUT,
    SegmentFilters,
    cut_of,
    min_group,
    org_tree_load,
)


@dataclass(frozen=True)
class ProgrammeFilters:
    kind: str = Kind.AFTER_SESSION
    group_by: str = "session"  # session | circle | format | mode
    since: datetime | None = None
    until: datetime | None = None
    circle_id: int | None = None
    format: str = ""
    segment: SegmentFilters = NO_FILTERS


GROUPS = ("session", "circle", "format", "mode")
# What each grouping is called on the page (the value stays the code, for links and the API).
GROUP_LABELS = {"session": "Session", "circle": "Circle", "format": "Format", "mode": "Attendance"}


@dataclass
class ProgrammeRow:
    key: Any
    label: str
    sessions: int
    n: int
    visible: bool
    unacceptable: int = 0
    acceptable: int = 0
    superior: int = 0
    applied_asked: int = 0
    applied_yes: int = 0
    slug: str = ""

    @property
    def judged(self) -> int:
        return self.unacceptable + self.acceptable + self.superior

    def share(self, standard: str) -> float:
        return getattr(self, standard) / self.judged if self.judged else 0.0

    @property
    def applied_share(self) -> float | None:
        return self.applied_yes / self.applied_asked if self.applied_asked else None


@dataclass
class ProgrammeView:
    filters: ProgrammeFilters
    k: int
    rows: list[ProgrammeRow]
    total: ProgrammeRow
    left_out: int  # sessions with responses whose cell is hidden, counted in no row
    groups: int = 0  # rows before the limit


TALLY_FIELDS = TALLY_COLUMNS[1:]  # what a programme row carries besides its responses


def _scoped_sessions(filters: ProgrammeFilters, now: datetime) -> Any:
    """Ids of the sessions with a date in the period: a session is in or out whole, so that
    its row here equals the total on its own results page (no date cut to subtract)."""
    since = filters.since or now - timedelta(days=365)
    until = filters.until or now
    if not (filters.circle_id or filters.format):
        return Occurrence.objects.filter(start__gte=since, start__lt=until).values("session_id")
    sessions = Session.objects.filter(occurrences__start__gte=since, occurrences__start__lt=until)
    if filters.circle_id:
        sessions = sessions.filter(circle_id=filters.circle_id)
    if filters.format:
        sessions = sessions.filter(format=filters.format)
    return sessions.values("pk")


def programme_view(*, viewer: Person, filters: ProgrammeFilters, limit: int = 200) -> ProgrammeView:
    """Results across sessions grouped by session, circle, format or attendance mode.

    Every figure is a sum of *cells* that the sessions' own results pages show: a session
    with at least k responses (no cut), or its group in the one cut (attendance mode, org
    unit or office; grouping by mode is the mode cut) when that page shows it. A sum of
    figures each of which is already visible cannot single anyone out, however the period,
    circle, format or grouping change; sessions and cells that are hidden are counted in
    `left_out` and nowhere else.

    Without an org-unit or office cut it reads `SessionTally` (a few rows per session); with
    one, `ResponseTally` of the sessions in the period (about one row per response).
    """
    if not permissions.can_view_programme(actor=viewer):
        raise Forbidden("The programme view is for enablers and leaders.")
    if filters.kind == Kind.RETROSPECTIVE or filters.kind not in Kind.values:
        # Retrospectives are the speakers' own named answers: read on a session's results page.
        raise DomainError(
            "The programme view covers the attendees' surveys (after the session, +7, +30 and "
            "+90 days); a retrospective is read on its session's results page.",
            field="kind",
        )
    k = min_group()
    group_by = filters.group_by if filters.group_by in GROUPS else "session"
    segment = filters.segment
    if group_by == "mode" and (segment.org_unit_id or segment.office_id):
        raise DomainError(ONE_CUT.format(k=k), field="filters")
    cut: tuple[str, Any] | None = cut_of(segment) or (
        ("mode", None) if group_by == "mode" else None
    )
    scope = _scoped_sessions(filters, timezone.now())
    if cut and cut[0] == "org_unit_id":
        rows, total_row, groups, with_responses = _programme_org_unit(
            filters, group_by, cut[1], k=k, scope=scope, limit=limit
        )
    else:
        rows, total_row, groups, with_responses = _programme_sql(
            filters, group_by, cut, k=k, scope=scope, limit=limit
        )
    labels, slugs = _group_labels(group_by, [row.key for row in rows])
    for row in rows:
        row.label, row.slug = labels.get(row.key, "—"), slugs.get(row.key, "")
    return ProgrammeView(
        filters=filters,
        k=k,
        rows=rows,
        total=total_row,
        left_out=with_responses - total_row.sessions,
        groups=groups,
    )


_SUMS = TALLY_COLUMNS


def _cell_sum(column: str, k: int) -> str:
    """A cell's sum of a tally column. The "applied" counts are summed only where at least k
    answered that question, as the results page shows them: the question may be optional in
    an enabler's copy, and a cell of k responses with 2 "applied" answers would otherwise add
    those two people's answers to a total that another period does not include."""
    if column in ("applied_asked", "applied_yes"):
        return (
            f"CASE WHEN SUM(t.applied_asked) >= {int(k)} THEN SUM(t.{column}) ELSE 0 END "
            f"AS {column}"
        )
    return f"SUM(t.{column}) AS {column}"


def _programme_sql(
    filters: ProgrammeFilters,
    group_by: str,
    cut: tuple[str, Any] | None,
    *,
    k: int,
    scope: Any,
    limit: int,
) -> tuple[list[ProgrammeRow], ProgrammeRow, int, int]:
    """No cut, or a mode or office cut: one SQL statement, so that the cost is one pass over
    a few rows per session, whatever the number of responses.

    `cell`: each session's responses split by the cut (one cell per session without one).
    `shown`: the visible cells, checked as `visible_cells` checks a results page's split
    (as every visible cell holds at least k, at most one more is hidden: the smallest
    visible one, when the hidden cells add up to between 1 and k-1; ties to the lower key),
    and only the chosen value's. `grouped`: the groups. The result: the first `limit` groups
    by their share of unacceptable answers, each row carrying the totals over all groups
    (window sums, taken before the limit) and the number of sessions with responses.
    """
    scope_sql, scope_params = scope.query.sql_with_params()
    dimension = cut[0] if cut else None
    tally, session_table = SessionTally._meta.db_table, Session._meta.db_table
    if dimension == "office_id":
        occurrence_table = Occurrence._meta.db_table
        source = (
            f"FROM {ResponseTally._meta.db_table} t JOIN {occurrence_table} o "
            f"ON o.id = t.occurrence_id WHERE t.kind = %s AND o.session_id IN ({scope_sql})"
        )
        session_col, cell_col = "o.session_id", "t.office_id"
    else:
        source = f"FROM {tally} t WHERE t.kind = %s AND t.session_id IN ({scope_sql})"
        session_col, cell_col = "t.session_id", "t.mode" if dimension == "mode" else "''"
    chosen = cut[1] if cut else None
    group_col = {"session": "session_id", "circle": "s.circle_id", "format": "s.format"}.get(
        group_by, "cell"
    )
    join = f"JOIN {session_table} s ON s.id = shown.session_id" if "s." in group_col else ""
    if dimension is None:
        shown = "SELECT * FROM cell WHERE responses >= %s"
        shown_params: list[Any] = [k]
    else:
        # Per session: the hidden responses and the smallest visible cell, which is hidden
        # too when they are between 1 and k-1 (ties to the lower key, None first).
        shown = f"""
            SELECT cell.* FROM cell JOIN (
                SELECT session_id,
                       SUM(CASE WHEN responses < %s THEN responses ELSE 0 END) AS hidden,
                       MIN(CASE WHEN responses >= %s THEN responses END) AS low
                FROM cell GROUP BY session_id
            ) split ON split.session_id = cell.session_id
            WHERE cell.responses >= %s
              AND NOT (
                  split.hidden > 0 AND split.hidden < %s AND cell.responses = split.low
                  AND NOT EXISTS (
                      SELECT 1 FROM cell other
                      WHERE other.session_id = cell.session_id AND other.responses = split.low
                        AND ((other.cell IS NULL AND cell.cell IS NOT NULL)
                             OR other.cell < cell.cell)
                  )
              )
              {"AND cell.cell = %s" if chosen is not None else ""}
        """
        shown_params = [k, k, k, k, *([chosen] if chosen is not None else [])]
    # A session is in one group, except when grouping by mode: then count them once.
    all_sessions = (
        "(SELECT COUNT(DISTINCT session_id) FROM shown)"
        if group_col == "cell"
        else "SUM(sessions) OVER ()"
    )
    cell_sums = ", ".join(_cell_sum(f, k) for f in _SUMS)
    sql = f"""
        WITH cell AS (
            SELECT {session_col} AS session_id, {cell_col} AS cell, {cell_sums}
            {source}
            GROUP BY {session_col}{f", {cell_col}" if dimension else ""}
        ),
        shown AS ({shown}),
        grouped AS (
            SELECT {group_col} AS g, COUNT(DISTINCT shown.session_id) AS sessions,
                   {", ".join(f"SUM(shown.{f}) AS {f}" for f in _SUMS)}
            FROM shown {join}
            GROUP BY {group_col}
        )
        SELECT g, sessions, {", ".join(_SUMS)},
               COUNT(*) OVER (), {all_sessions}, {", ".join(f"SUM({f}) OVER ()" for f in _SUMS)},
               (SELECT COUNT(DISTINCT session_id) FROM cell)
        FROM grouped
        ORDER BY COALESCE(unacceptable * 1.0 / NULLIF(unacceptable + acceptable + superior, 0), 0)
                 DESC, responses DESC, g
        LIMIT %s
    """
    params = [filters.kind, *scope_params, *shown_params, limit]
    width = 2 + len(_SUMS)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        result = cursor.fetchall()
        if not result:  # nothing shown: still say how many sessions had responses
            cursor.execute(
                f"WITH cell AS (SELECT {session_col} AS session_id {source} "
                f"GROUP BY {session_col}) SELECT COUNT(*) FROM cell",
                [filters.kind, *scope_params],
            )
            return [], ProgrammeRow(None, "All", 0, 0, False), 0, int(cursor.fetchone()[0])
    # PostgreSQL sums integers to numeric (Decimal): every count back to int.
    result = [(row[0], *(int(value or 0) for value in row[1:])) for row in result]
    rows = [
        ProgrammeRow(
            key=row[0],
            label="",
            sessions=row[1],
            n=row[2],
            visible=True,
            **dict(zip(TALLY_FIELDS, row[3:width], strict=True)),
        )
        for row in result
    ]
    groups, sessions, n, *totals, with_responses = result[0][width:]
    total_row = ProgrammeRow(
        key=None,
        label="All",
        sessions=sessions,
        n=n,
        visible=True,
        **dict(zip(TALLY_FIELDS, totals, strict=True)),
    )
    return rows, total_row, groups, with_responses


def _programme_org_unit(
    filters: ProgrammeFilters,
    group_by: str,
    unit_id: int,
    *,
    k: int,
    scope: Any,
    limit: int,
) -> tuple[list[ProgrammeRow], ProgrammeRow, int, int]:
    """An org-unit cut: per session, the org tree checked as its results page checks it
    (`org_unit_visible`); only sessions where the unit shows add its subtree's sums. Reads
    the segments of `ResponseTally` (about one row per response in the period) and checks
    the tree in Python: the tree does not fit one SQL statement."""
    scope_sql, scope_params = scope.query.sql_with_params()
    sums = ", ".join(f"SUM(t.{f})" for f in _SUMS)
    sql = (
        f"SELECT o.session_id, t.org_unit_id, {sums} "
        f"FROM {ResponseTally._meta.db_table} t "
        f"JOIN {Occurrence._meta.db_table} o ON o.id = t.occurrence_id "
        f"WHERE t.kind = %s AND o.session_id IN ({scope_sql}) "
        "GROUP BY o.session_id, t.org_unit_id"
    )
    by_session: dict[int, list[tuple]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(sql, [filters.kind, *scope_params])
        for session_id, unit, *values in cursor.fetchall():
            by_session[session_id].append((unit, *(int(v or 0) for v in values)))
    tree = org_tree_load()
    subtree = {node for node, line in tree.lineage.items() if unit_id in line}
    cells: dict[int, list[int]] = {}
    for session_id, rows in by_session.items():
        own = {unit: n for unit, n, *_ in rows}
        if org_unit_visible(own, unit_id, k=k, tree=tree):
            totals = [0] * len(_SUMS)
            for unit, *values in rows:
                if unit in subtree:
                    totals = [a + b for a, b in zip(totals, values, strict=True)]
            if totals[_SUMS.index("applied_asked")] < k:  # as `_cell_sum`: below k, not added
                totals[_SUMS.index("applied_asked")] = totals[_SUMS.index("applied_yes")] = 0
            cells[session_id] = totals
    group_of: dict[int, Any] = {session_id: session_id for session_id in cells}
    if group_by != "session":
        field_name = "circle_id" if group_by == "circle" else "format"
        group_of = dict(
            Session.objects.filter(pk__in=scope).values_list("pk", field_name).order_by()
        )
    groups: dict[Any, dict[str, Any]] = {}
    for session_id, (n, *values) in cells.items():
        entry = groups.setdefault(
            group_of.get(session_id),
            {"n": 0, "sessions": 0, **{f: 0 for f in TALLY_FIELDS}},
        )
        entry["n"] += n
        entry["sessions"] += 1
        for f, value in zip(TALLY_FIELDS, values, strict=True):
            entry[f] += value
    out = [
        ProgrammeRow(
            key=group,
            label="",
            sessions=entry["sessions"],
            n=entry["n"],
            visible=True,
            **{f: entry[f] for f in TALLY_FIELDS},
        )
        for group, entry in groups.items()
    ]
    total_row = ProgrammeRow(
        key=None,
        label="All",
        sessions=len(cells),
        n=sum(row.n for row in out),
        visible=bool(out),
        **{f: sum(getattr(row, f) for row in out) for f in TALLY_FIELDS},
    )
    out.sort(key=lambda r: (-r.share(Standard.UNACCEPTABLE), -r.n, r.key is not None, r.key))
    return out[:limit], total_row, len(out), len(by_session)


def _group_labels(group_by: str, keys: list[Any]) -> tuple[dict[Any, str], dict[Any, str]]:
    if group_by == "session":
        rows = Session.objects.filter(pk__in=keys).values_list("pk", "title", "slug")
        return {pk: title for pk, title, _ in rows}, {pk: slug for pk, _, slug in rows}
    if group_by == "circle":
        names: dict[int | None, str] = dict(
            Circle.objects.filter(pk__in=[k for k in keys if k]).values_list("pk", "name")
        )
        names[None] = "No circle"
        return names, {}
    if group_by == "format":
        return dict(Session.Format.choices), {}
    return {**dict(Attendance.Mode.choices)}, {}
