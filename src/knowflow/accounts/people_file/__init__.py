"""The people file: keeping the directory in step with an HR system's CSV, for companies
without SCIM.

``reading`` checks the lines (no database), ``planning`` computes the diff against the
directory (a dry run is just the plan), ``applying`` writes it in bulk, ``exporting`` writes the
directory back in the same columns. The command (``knowflow import people``) and the page
(``/accounts/people/import/``) are thin over these.
"""

from knowflow.accounts.people_file.applying import people_file_apply
from knowflow.accounts.people_file.exporting import people_file_write
from knowflow.accounts.people_file.planning import (
    FieldChange,
    PeoplePlan,
    PersonPlan,
    people_file_plan,
)
from knowflow.accounts.people_file.reading import (
    COLUMN_TITLES,
    LineError,
    PeopleFileContent,
    PeopleFileRow,
    PeopleFileUnreadable,
    people_file_read,
)

__all__ = [
    "COLUMN_TITLES",
    "FieldChange",
    "LineError",
    "PeopleFileContent",
    "PeopleFileRow",
    "PeopleFileUnreadable",
    "PeoplePlan",
    "PersonPlan",
    "people_file_apply",
    "people_file_plan",
    "people_file_read",
    "people_file_write",
]
