"""The organisation's whole data as one file, and back: `knowflow export` / `knowflow import`.

`scope` decides what the file holds (every model of every Knowflow app, derived from the app
registry; credentials only on request), `archive` its shape (a deterministic zip of
``data.json`` and the uploaded files), `exporting` and `importing` the two directions.
"""

from knowflow.integrations.org_data.exporting import ExportSummary, organisation_export
from knowflow.integrations.org_data.importing import (
    ImportRefused,
    ImportSummary,
    organisation_import,
)

__all__ = [
    "ExportSummary",
    "ImportRefused",
    "ImportSummary",
    "organisation_export",
    "organisation_import",
]
