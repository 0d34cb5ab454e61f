"""Uploads: types by content, HTML/SVG refused, size limit, nothing written on refusal,
and downloads with safe headers."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from knowflow.errors import DomainError
from knowflow.library import services
from knowflow.library.models import Resource
from knowflow.library.uploads import detect
from tests.conftest import signed_in
from tests.factories import make_person

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _upload(person, name: str, data: bytes, kind: str = "slides") -> Resource:
    return services.resource_create(
        actor=person,
        kind=kind,
        title="Deck",
        upload=SimpleUploadedFile(name, data, content_type="application/pdf"),
    )


@pytest.mark.parametrize(
    ("data", "name", "content_type"),
    [
        (PDF_BYTES, "x.bin", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "x", "image/png"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "x", "image/jpeg"),
        (b"GIF89a" + b"\x00" * 20, "x", "image/gif"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "x", "image/webp"),
        (
            _zip(
                {
                    "[Content_Types].xml": b'<Types><Override ContentType="application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/></Types>'
                }
            ),
            "deck.pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        (
            _zip({"mimetype": b"application/vnd.oasis.opendocument.text"}),
            "x.odt",
            "application/vnd.oasis.opendocument.text",
        ),
        (
            b"# Notes\n\nPlain *Markdown* with a < sign.",
            "notes.md",
            "text/plain; charset=utf-8",
        ),
    ],
)
def test_detect_accepts_types_by_content(data, name, content_type):
    assert detect(data, name=name).content_type == content_type


def test_upload_pdf_is_stored_under_media_root_with_its_detected_type():
    person = make_person()

    resource = _upload(person, "talk.pdf", PDF_BYTES)

    assert (resource.file_type, resource.file_name, resource.file_size) == (
        "application/pdf",
        "talk.pdf",
        len(PDF_BYTES),
    )
    assert Path(resource.file.path).read_bytes() == PDF_BYTES
    assert Path(resource.file.path).is_relative_to(Path(settings.MEDIA_ROOT))
    assert resource.file.name.endswith(".pdf") and "talk" not in resource.file.name


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "slides.pdf",
            b"<!DOCTYPE html><html><script>alert(1)</script></html>",
            "HTML and SVG files are not accepted",
        ),
        (
            "slides.svg",
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "HTML and SVG files are not accepted",
        ),
        ("slides.pdf", b'<svg onload="alert(1)"/>', "HTML and SVG files are not accepted"),
        (
            "slides.exe",
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff",
            "is not a type we accept",
        ),
        (
            "slides.zip",
            _zip({"evil.html": b"<script></script>"}),
            "not an Office or OpenDocument file",
        ),
    ],
)
def test_upload_refused_by_content_writes_nothing(name, data, message):
    person = make_person()
    before = _stored_files()

    with pytest.raises(DomainError, match=message):
        _upload(person, name, data)

    assert Resource.objects.count() == 0
    assert _stored_files() == before


def test_upload_over_the_size_limit_is_refused_and_writes_nothing(settings):
    settings.KNOWFLOW_MAX_UPLOAD_BYTES = 1024
    person = make_person()
    before = _stored_files()

    with pytest.raises(DomainError) as refused:
        _upload(person, "big.pdf", PDF_BYTES + b"0" * 2000)

    assert refused.value.message == (
        "This file is 2.0 KB; files may be at most 1.0 KB. Choose a smaller file (or link to it)."
    )
    assert (Resource.objects.count(), _stored_files()) == (0, before)


def test_download_pdf_inline_with_exact_type_and_nosniff():
    person = make_person()
    resource = _upload(person, "talk.pdf", PDF_BYTES)

    response = signed_in(person).get(f"/library/{resource.slug}/file/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="talk.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_download_text_is_an_attachment_never_html():
    person = make_person()
    resource = _upload(person, "notes.md", b"# Notes\n", kind="document")

    response = signed_in(person).get(f"/library/{resource.slug}/file/")

    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="notes.md"'


def test_upload_page_shows_the_refusal_on_the_form():
    person = make_person()
    client = signed_in(person)

    response = client.post(
        "/library/add/",
        {
            "kind": "slides",
            "title": "Deck",
            "language": "en",
            "file": SimpleUploadedFile("deck.pdf", b"<html><script>x</script>"),
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "HTML and SVG files are not accepted: they could run scripts in a browser. Upload a PDF or an image instead."
    ]
    assert Resource.objects.count() == 0
