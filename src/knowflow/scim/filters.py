"""SCIM filters (RFC 7644 §3.4.2.2) as Django queries.

scim2-models parses the filter into a tree; this module walks it (`FilterVisitor`) and maps
each attribute an identity provider filters on to the column that holds it. An attribute we
do not map, or an operator its type cannot take, is an `invalidFilter` error naming it: a
filter that silently matched everything could make a provider think a user exists.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from scim2_models import ScimFilter
from scim2_models.exceptions import SCIMException
from scim2_models.path import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterVisitor,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)

from knowflow.scim.errors import ScimProblem

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"


@dataclass(frozen=True)
class Column:
    """Where an attribute lives, and how it compares."""

    lookup: str
    kind: str = "string"  # "string", "boolean", "uuid", "datetime", "active"
    case_exact: bool = False


USER_COLUMNS: Mapping[str, Column] = {
    "id": Column("scim_id", kind="uuid", case_exact=True),
    "externalid": Column("external_id", case_exact=True),
    "username": Column("user_name"),
    "displayname": Column("person__display_name"),
    "emails": Column("person__email"),
    "emails.value": Column("person__email"),
    "timezone": Column("person__timezone", case_exact=True),
    "active": Column("person__deactivated_at", kind="active"),
    "meta.created": Column("created_at", kind="datetime"),
    "meta.lastmodified": Column("updated_at", kind="datetime"),
    "department": Column("person__org_unit__name"),
    "manager": Column("manager_scim_id", case_exact=True),
    "manager.value": Column("manager_scim_id", case_exact=True),
}

GROUP_COLUMNS: Mapping[str, Column] = {
    "id": Column("scim_id", kind="uuid", case_exact=True),
    "externalid": Column("external_id", case_exact=True),
    "displayname": Column("display_name"),
    "members": Column("members__scim_id", kind="uuid", case_exact=True),
    "members.value": Column("members__scim_id", kind="uuid", case_exact=True),
    "meta.created": Column("created_at", kind="datetime"),
    "meta.lastmodified": Column("updated_at", kind="datetime"),
}

_STRING_LOOKUPS = {
    CompareOperator.eq: "exact",
    CompareOperator.co: "contains",
    CompareOperator.sw: "startswith",
    CompareOperator.ew: "endswith",
    CompareOperator.gt: "gt",
    CompareOperator.ge: "gte",
    CompareOperator.lt: "lt",
    CompareOperator.le: "lte",
}


def _invalid(detail: str) -> ScimProblem:
    return ScimProblem(400, "invalidFilter", detail)


# Identity providers filter on one or two attributes. A filter of thousands of "or"s parses
# (scim2-models limits only the nesting) but makes a query deeper than SQLite takes (a 500)
# and a long scan on PostgreSQL: refused before a query is built.
MAX_FILTER_TERMS = 100


def _term_count(node: object) -> int:
    """The comparisons in a parsed filter (its nesting is at most 32 deep: no deep recursion)."""
    if isinstance(node, LogicalExpr):
        return sum(_term_count(term) for term in node.terms)
    if isinstance(node, Not):
        return _term_count(node.expr)
    if isinstance(node, ValuePath):
        return _term_count(node.val_filter)
    return 1


class _ToQuery(FilterVisitor[Q]):
    def __init__(
        self, columns: Mapping[str, Column], schemas: tuple[str, ...], lenient: bool
    ) -> None:
        self.columns = columns
        self.lenient = lenient
        self.schemas = tuple(s.lower() for s in schemas)
        self.prefix = ""  # the multi-valued attribute a value path ("emails[...]") selects in

    def _column(self, attr_path: AttrPath) -> Column:
        if attr_path.uri and attr_path.uri.lower() not in self.schemas:
            if self.lenient:
                raise _Unknown
            raise _invalid(f"The filter names an unknown schema: {attr_path.uri}.")
        name = attr_path.attr.lower()
        if attr_path.sub_attr:
            name = f"{name}.{attr_path.sub_attr.lower()}"
        if self.prefix:
            name = f"{self.prefix}.{name}"
        column = self.columns.get(name)
        if column is None and self.lenient:
            raise _Unknown
        if column is None:
            raise _invalid(
                f"Filtering on '{attr_path}' is not supported; filter on "
                + ", ".join(sorted({key.split(".")[0] for key in self.columns}))
                + "."
            )
        return column

    def visit_logical_expr(self, node: LogicalExpr) -> Q:
        terms = [self.visit(term) for term in node.terms]
        query = terms[0]
        for term in terms[1:]:
            query = query & term if node.op == LogicalOperator.and_ else query | term
        return query

    def visit_not(self, node: Not) -> Q:
        return ~self.visit(node.expr)

    def visit_value_path(self, node: ValuePath) -> Q:
        if self.prefix:
            raise _invalid("A value filter cannot sit inside another one.")
        self.prefix = node.attr_path.attr.lower()
        try:
            return self.visit(node.val_filter)
        finally:
            self.prefix = ""

    def visit_present(self, node: Present) -> Q:
        column = self._column(node.attr_path)
        if column.kind == "active":
            return Q()  # every user has an active state
        present = Q(**{f"{column.lookup}__isnull": False})
        if column.kind == "string":
            present &= ~Q(**{column.lookup: ""})
        return present

    def visit_comparison(self, node: Comparison) -> Q:
        column = self._column(node.attr_path)
        op, value = node.op, node.value
        if op == CompareOperator.ne:
            return ~self.visit_comparison(
                Comparison(attr_path=node.attr_path, op=CompareOperator.eq, value=value)
            )
        if column.kind == "active":
            if not isinstance(value, bool) or op != CompareOperator.eq:
                raise _invalid("'active' compares only with eq or ne and true or false.")
            return Q(**{f"{column.lookup}__isnull": value})
        if column.kind == "datetime":
            return self._datetime(column, op, value)
        if not isinstance(value, str):
            raise _invalid(f"'{node.attr_path}' compares with a string in double quotes.")
        if column.kind == "uuid":
            if op != CompareOperator.eq:
                raise _invalid(f"'{node.attr_path}' compares only with eq or ne.")
            try:
                return Q(**{column.lookup: uuid.UUID(value)})
            except ValueError:
                return Q(pk__in=[])  # not an id we ever gave: matches nothing
        lookup = _STRING_LOOKUPS[op]
        if not column.case_exact and lookup in {"exact", "contains", "startswith", "endswith"}:
            lookup = "i" + lookup
        return Q(**{f"{column.lookup}__{lookup}": value})

    def _datetime(self, column: Column, op: CompareOperator, value: object) -> Q:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError as error:
            raise _invalid(
                f"'{value}' is not a date and time (e.g. 2026-01-31T09:00:00Z)."
            ) from error
        if moment.tzinfo is None:
            raise _invalid(f"'{value}' needs a time zone (e.g. 2026-01-31T09:00:00Z).")
        if op in {CompareOperator.co, CompareOperator.sw, CompareOperator.ew}:
            raise _invalid(f"A date compares with eq, gt, ge, lt or le, not {op.value}.")
        return Q(**{f"{column.lookup}__{_STRING_LOOKUPS[op]}": moment})


class _Unknown(Exception):
    """An attribute this resource type does not have, in a search over several types."""


def filter_query(
    *, text: str, columns: Mapping[str, Column], schemas: tuple[str, ...], lenient: bool = False
) -> Q:
    """The query a SCIM filter means over ``columns``; ScimProblem(400 invalidFilter) when
    the filter is not SCIM syntax or names what we cannot filter on.

    ``lenient`` is for a search over every resource type (POST /.search): there an attribute
    one type lacks makes the filter match none of that type (RFC 7644 §3.4.2.1)."""
    try:
        tree = ScimFilter(text).ast
    except SCIMException as error:
        raise _invalid(f"The filter is not valid SCIM: {error.detail}.") from error
    except ValueError as error:
        raise _invalid(f"The filter is not valid SCIM: {error}.") from error
    if _term_count(tree) > MAX_FILTER_TERMS:
        raise _invalid(
            f"The filter has more than {MAX_FILTER_TERMS} comparisons: split it into several "
            "requests."
        )
    try:
        return _ToQuery(columns, schemas, lenient).visit(tree)
    except _Unknown:
        return Q(pk__in=[])
