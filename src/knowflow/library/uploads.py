"""Checking uploaded files by what they contain, never by their name.

A file is accepted only when its bytes say it is one of the types below; the name someone
gave it does not count ("slides.pdf" holding HTML is refused). HTML and SVG are refused
outright: served from our origin, either could run a script in a colleague's browser. The
stored name is ours (random, with the extension of the detected type), and the download view
sends the detected type with ``nosniff``, so a browser never guesses its way to HTML.

The size limit holds while the request arrives, not after: ``upload_refusal`` refuses a
request whose declared length is too large (or that declares none) before reading a byte of
its body, and ``UploadSizeLimit`` stops reading a file at the first byte past the limit, so
neither memory nor a temporary file ever holds more than the limit and a worker is not tied up
receiving a file it will refuse.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.template.defaultfilters import filesizeformat
from django.utils.datastructures import MultiValueDict

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


class UploadTooLarge(UploadRefused):
    status_code = 413


class UploadLengthRequired(UploadRefused):
    status_code = 411


def size_in_words(size: int) -> str:
    """A size as people read it ("1.0 KB", "50.0 MB"), with a plain space: messages are JSON too."""
    return str(filesizeformat(size)).replace("\xa0", " ")


def _too_large(size: int | None = None) -> UploadTooLarge:
    limit = size_in_words(max_upload_bytes())
    said = f"This file is {size_in_words(size)}" if size else "This file is too large"
    return UploadTooLarge(
        f"{said}; files may be at most {limit}. Choose a smaller file (or link to it).",
        field="file",
    )


def max_request_bytes() -> int:
    """The largest upload request worth reading: the file at its limit, plus the form's other
    fields and the multipart framing around them."""
    return max_upload_bytes() + settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 64 * 1024


def request_length_refusal(request: HttpRequest) -> UploadRefused | None:
    """Refuse any request, on any URL, whose declared ``Content-Length`` is past
    ``max_request_bytes`` (or not a number), from its headers alone. Used site-wide by
    ``knowflow.web.middleware.RequestBodyLimitMiddleware``, before anything reads the body."""
    declared = request.META.get("CONTENT_LENGTH")
    if not declared:
        return None
    try:
        length = int(declared)
    except ValueError:
        return UploadRefused("The request's Content-Length is not a number.", field="file")
    if length < 0:
        return UploadRefused("The request's Content-Length is not a number.", field="file")
    return _too_large(length) if length > max_request_bytes() else None


def upload_refusal_from_headers(request: HttpRequest) -> UploadRefused | None:
    """Refuse an upload from its headers alone, before a byte of its body is read: a declared
    ``Content-Length`` past ``max_request_bytes``, or no declared length at all (a chunked
    body, which Django would silently read as empty)."""
    if not request.META.get("CONTENT_LENGTH") and (
        "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    ):
        return UploadLengthRequired(
            "Send the file with its size (a Content-Length header): uploads of unknown "
            f"length are not accepted. Files may be at most {size_in_words(max_upload_bytes())}.",
            field="file",
        )
    return request_length_refusal(request)


def upload_read_within_limit(request: HttpRequest) -> UploadRefused | None:
    """Parse the request's body with ``UploadSizeLimit`` first in line; the refusal if a file
    passed the limit (its bytes were dropped, ``request.FILES`` lacks it). Call it before
    anything touches ``request.POST`` or ``request.FILES``."""
    request.upload_handlers.insert(0, UploadSizeLimit(request))
    try:
        request.FILES  # noqa: B018 - parse now, with the limit in place, before anyone else does
    except RequestDataTooBig:
        _forget_unreadable_body(request)
        return UploadTooLarge(
            f"The form's text is larger than {size_in_words(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)}:"
            " shorten it, or upload the text as a file.",
            field=None,
        )
    except (MultiPartParserError, TooManyFieldsSent, TooManyFilesSent, BadRequest):
        _forget_unreadable_body(request)
        # Django would answer these with a bare error page (or a 500 for a malformed body).
        return UploadRefused(
            "The upload could not be read: send it as a form (multipart/form-data) "
            "with one file and its fields.",
            field="file",
        )
    return getattr(request, "upload_refused", None)


def _forget_unreadable_body(request: HttpRequest) -> None:
    """An unreadable body counts as empty from now on. Django leaves a form-encoded body that
    failed unparsed, so the next ``request.POST`` (the CSRF check, the view) would raise the
    same error again and answer with a bare 400 instead of our message."""
    request._post = QueryDict()  # noqa: SLF001 - what Django's own _mark_post_parse_error sets
    request._files = MultiValueDict()  # noqa: SLF001


def upload_refusal(request: HttpRequest) -> UploadRefused | None:
    """Both checks, in order: the headers, then the body as it arrives. Nothing is stored
    either way: storing is the services' job."""
    return upload_refusal_from_headers(request) or upload_read_within_limit(request)


class UploadSizeLimit(FileUploadHandler):
    """First of the upload handlers: counts each file's bytes as they arrive and stops the
    upload at the first byte past the limit, before the handlers after it (memory, temporary
    file) have received it."""

    def __init__(self, request: HttpRequest | None = None, *, limit: int | None = None) -> None:
        super().__init__(request)
        self.received = 0
        self.limit = max_upload_bytes() if limit is None else limit

    def new_file(self, *args: object, **kwargs: object) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.request.upload_refused = _too_large()
            # Not a connection reset: the rest of the body (bounded by the declared length,
            # already checked) is read and dropped, so the person's browser gets our answer
            # instead of a broken connection.
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the handlers after this one build the file


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
        raise _too_large(upload.size)
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise _too_large()
    if not data:
        raise UploadRefused("The file is empty.", field="file")
    return data, detect(data, name=upload.name or "")
