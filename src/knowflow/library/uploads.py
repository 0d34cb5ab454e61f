"""Checking uploaded files by what they contain, never by their name.

A file is accepted only when its bytes say it is one of the types below; the name someone
gave it does not count ("slides.pdf" holding HTML is refused). HTML and SVG are refused
outright: served from our origin, either could run a script in a colleague's browser. The
stored name is ours (random, with the extension of the detected type), and the download view
sends the detected type with ``nosniff``, so a browser never guesses its way to HTML.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from knowflow.errors import DomainError

DEFAULT_MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def max_upload_bytes() -> int:
    return int(getattr(settings, "KNOWFLOW_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES))


@dataclass(frozen=True)
class FileType:
    content_type: str
    extension: str
    label: str
    inline: bool = False  # shown in the browser (PDF, images); everything else downloads


PDF = FileType("application/pdf", "pdf", "PDF", inline=True)
PNG = FileType("image/png", "png", "PNG image", inline=True)
JPEG = FileType("image/jpeg", "jpg", "JPEG image", inline=True)
GIF = FileType("image/gif", "gif", "GIF image", inline=True)
WEBP = FileType("image/webp", "webp", "WebP image", inline=True)
PPTX = FileType(
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pptx",
    "PowerPoint",
)
DOCX = FileType(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", "Word"
)
XLSX = FileType(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", "Excel"
)
ODP = FileType(
    "application/vnd.oasis.opendocument.presentation", "odp", "OpenDocument presentation"
)
ODT = FileType("application/vnd.oasis.opendocument.text", "odt", "OpenDocument text")
TEXT = FileType("text/plain; charset=utf-8", "txt", "Text")
MARKDOWN = FileType("text/plain; charset=utf-8", "md", "Markdown")

ACCEPTED = (
    "PDF, PNG, JPEG, GIF, WebP, PowerPoint, Word, Excel, OpenDocument, plain text or Markdown"
)
_OOXML = {"presentationml": PPTX, "wordprocessingml": DOCX, "spreadsheetml": XLSX}
_ODF = {
    "application/vnd.oasis.opendocument.presentation": ODP,
    "application/vnd.oasis.opendocument.text": ODT,
}
# Markup a browser would render or run, wherever it appears in the first part of a text file.
_MARKUP = re.compile(
    rb"<\s*(!doctype\s+html|html|svg|script|iframe|object|embed|\?xml)\b", re.IGNORECASE
)


class UploadRefused(DomainError):
    pass


def _zip_type(data: bytes) -> FileType | None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        if "[Content_Types].xml" in names:
            with archive.open("[Content_Types].xml") as member:
                types = member.read(256 * 1024)
            for marker, file_type in _OOXML.items():
                if f"application/vnd.openxmlformats-officedocument.{marker}.".encode() in types:
                    return file_type
            return None
        if "mimetype" in names:
            with archive.open("mimetype") as member:
                mimetype = member.read(200).decode("ascii", "replace").strip()
            return _ODF.get(mimetype)
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, ValueError):
        return None
    return None


def _text_type(data: bytes, name: str) -> FileType | None:
    if b"\x00" in data:
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if _MARKUP.search(data[:65536]):
        raise UploadRefused(
            "HTML and SVG files are not accepted: they could run scripts in a browser. "
            "Upload a PDF or an image instead.",
            field="file",
        )
    return MARKDOWN if name.lower().endswith((".md", ".markdown")) else TEXT


def detect(data: bytes, *, name: str = "") -> FileType:
    """The type of a file from its bytes, or ``UploadRefused`` saying what is accepted."""
    head = data[:16]
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"PK\x03\x04"):
        found = _zip_type(data)
        if found:
            return found
        raise UploadRefused(
            f"This archive is not an Office or OpenDocument file. Accepted: {ACCEPTED}.",
            field="file",
        )
    found = _text_type(data, name)
    if found:
        return found
    raise UploadRefused(
        f"The content of “{name or 'this file'}” is not a type we accept. Accepted: {ACCEPTED}.",
        field="file",
    )


def check_upload(upload: UploadedFile) -> tuple[bytes, FileType]:
    """Read an upload (refusing it past the size limit) and detect its type."""
    limit = max_upload_bytes()
    if upload.size is not None and upload.size > limit:
        raise UploadRefused(
            f"The file is {upload.size / 1_048_576:.1f} MB; the limit is {limit / 1_048_576:.0f} MB.",
            field="file",
        )
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise UploadRefused(
            f"The file is larger than the limit of {limit / 1_048_576:.0f} MB.", field="file"
        )
    if not data:
        raise UploadRefused("The file is empty.", field="file")
    return data, detect(data, name=upload.name or "")
