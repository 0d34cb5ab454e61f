"""The one error SCIM answers with (RFC 7644 §3.12): an HTTP status and a `scimType`."""

from __future__ import annotations

from knowflow.errors import DomainError


class ScimProblem(DomainError):
    """A request SCIM refuses; ``scim_type`` is RFC 7644's keyword (invalidFilter, uniqueness…)."""

    def __init__(self, status: int, scim_type: str | None, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status
        self.scim_type = scim_type
