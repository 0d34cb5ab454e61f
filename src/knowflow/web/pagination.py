"""The page number of a paginated page, read from ``?page=`` once for every list page."""

from __future__ import annotations

from django.http import HttpRequest

from knowflow.errors import DomainError

# No list page has anywhere near this many pages; a larger number is a typo or an attack, and
# would otherwise reach the database as an offset too large for a 64-bit integer.
MAX_PAGE_NUMBER = 1000


def page_number(request: HttpRequest) -> int:
    """``?page=`` as a number from 1: missing or not a number reads as 1; a number beyond
    :data:`MAX_PAGE_NUMBER` is refused with a ``DomainError`` on the ``page`` field."""
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        return 1
    if number > MAX_PAGE_NUMBER:
        raise DomainError(
            f"The page number (page) must be between 1 and {MAX_PAGE_NUMBER}.", field="page"
        )
    return max(number, 1)
