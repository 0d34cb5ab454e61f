"""The directory written as a people file: the same columns ``reading`` understands, so an
admin can start from what Knowflow holds, edit it in a spreadsheet and import it back (which
changes only what they edited).

Every cell goes through ``knowflow.csvsafe``: a name such as ``=HYPERLINK(…)`` is written with
a leading apostrophe, which ``reading`` removes again on the way back in.
"""

from __future__ import annotations

from typing import Any

from knowflow import csvsafe
from knowflow.accounts.models import Person
from knowflow.accounts.people_file.reading import COLUMN_TITLES

EXPORTED = ("email", "name", "department", "office", "timezone", "role", "languages", "active")


def people_file_write(stream: Any) -> int:
    """Write every person with an email (deactivated ones with active ``no``) to ``stream``;
    return how many. Reads in chunks, so the directory is never held whole."""
    writer = csvsafe.writer(stream)
    writer.writerow([COLUMN_TITLES[column] for column in EXPORTED])
    count = 0
    people = (
        Person.objects.exclude(email="")
        .select_related("org_unit", "office")
        .order_by("email", "id")
        .iterator(chunk_size=2000)
    )
    for person in people:
        writer.writerow(
            [
                person.email,
                person.display_name,
                person.org_unit.name if person.org_unit else "",
                person.office.name if person.office else "",
                person.timezone,
                person.role,
                ", ".join(person.languages),
                "no" if person.deactivated_at else "yes",
            ]
        )
        count += 1
    return count
