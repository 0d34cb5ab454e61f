"""The export file: one zip archive holding ``data.json`` and the uploaded files under ``files/``.

A zip rather than JSON with base64 files: uploads (slides, recordings' documents) can be large,
and a zip is streamed in and out entry by entry, stores them at their size, and is opened by
any ordinary tool. Every entry gets the same fixed date, permissions and compression, so the
same data always gives the same bytes (the zip format would otherwise stamp the time of export).
"""

from __future__ import annotations

import zipfile
from typing import IO

DATA_NAME = "data.json"
FILES_PREFIX = "files/"
FORMAT_NAME = "knowflow-organisation"
# 1: JSON only, 13 models, with credentials. 2: this zip, every model, credentials on request.
FORMAT_VERSION = 2

# The earliest date a zip can hold: a constant instead of the export's clock.
_FIXED_DATE = (1980, 1, 1, 0, 0, 0)


def entry(name: str) -> zipfile.ZipInfo:
    """A zip entry with nothing in it that depends on when or where the export ran."""
    info = zipfile.ZipInfo(name, date_time=_FIXED_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix, whatever the exporting machine
    info.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
    return info


def file_entry_name(storage_name: str) -> str:
    return FILES_PREFIX + storage_name


def is_safe_storage_name(name: str) -> bool:
    """A relative name without ``..``: an export cannot write outside the storage."""
    parts = name.replace("\\", "/").split("/")
    return bool(name) and not name.startswith(("/", "\\")) and ".." not in parts and "" not in parts


def writer(out: IO[bytes]) -> zipfile.ZipFile:
    return zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True)
