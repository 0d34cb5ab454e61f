"""Web processes are stateless for real: a file uploaded through one machine downloads from
another, because both keep files in the store KNOWFLOW_STORAGE_URL names (S3-compatible
object storage here: moto in server mode on loopback), not on their own disk.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import boto3
import pytest
import requests
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from knowflow.accounts.services import api_token_create
from knowflow.config.settings import _file_storage
from knowflow.library.models import Resource
from tests.factories import make_person
from tests.library.servers import knowflow_web, moto_s3, web_environment

BUCKET = "knowflow-files"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture
def object_store(tmp_path: Path) -> Iterator[str]:
    """An empty bucket in a moto server; its endpoint URL."""
    with ExitStack() as stack:
        try:
            endpoint = stack.enter_context(moto_s3(tmp_path / "moto.log"))
        except RuntimeError as error:
            pytest.skip(f"moto's S3 server could not start: {error}")
        boto3.client(
            "s3", endpoint_url=endpoint, region_name="us-east-1", **_lower(CREDENTIALS)
        ).create_bucket(Bucket=BUCKET)
        yield endpoint


def _lower(credentials: dict[str, str]) -> dict[str, str]:
    return {key.lower(): value for key, value in credentials.items()}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_file_uploaded_through_one_web_process_downloads_through_another(
    tmp_path: Path, object_store: str
) -> None:
    author, reader = make_person(), make_person()
    _, secret = api_token_create(person=author, name="laptop")
    signed_in = Client()
    signed_in.force_login(reader.user)  # a session row in the shared database
    cookie = {"sessionid": signed_in.cookies["sessionid"].value}
    data = b"%PDF-1.7\n" + os.urandom(200_000) + b"\n%%EOF\n"
    storage = {
        "KNOWFLOW_STORAGE_URL": f"s3://{BUCKET}/knowflow?endpoint_url={object_store}&region=us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        **CREDENTIALS,
    }

    with ExitStack() as machines:
        one = machines.enter_context(knowflow_web(web_environment(tmp_path / "one", **storage)))
        two = machines.enter_context(knowflow_web(web_environment(tmp_path / "two", **storage)))

        uploaded = requests.post(
            f"{one}/api/v1/library/uploads",
            params={"kind": "slides", "title": "Observability in practice"},
            files={"file": ("observability.pdf", data, "application/pdf")},
            headers={"Authorization": f"Bearer {secret}"},
            timeout=20,
        )
        file_url = uploaded.json()["file_url"]
        downloaded = requests.get(f"{two}{file_url}", cookies=cookie, timeout=20)
        anonymous = requests.get(f"{two}{file_url}", allow_redirects=False, timeout=20)

    assert (uploaded.status_code, uploaded.json()["file_size"]) == (201, len(data))
    assert downloaded.status_code == 200
    assert downloaded.content == data
    assert {
        name: downloaded.headers[name]
        for name in (
            "Content-Type",
            "Content-Length",
            "Content-Disposition",
            "X-Content-Type-Options",
            "Content-Security-Policy",
        )
    } == {
        "Content-Type": "application/pdf",
        "Content-Length": str(len(data)),
        "Content-Disposition": 'inline; filename="observability.pdf"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; "
        "style-src 'unsafe-inline'; sandbox",
    }
    # Someone not signed in gets the sign-in page, not a byte of the file.
    assert (anonymous.status_code, anonymous.headers["Location"], anonymous.content) == (
        302,
        f"/accounts/login/?next={file_url}",
        b"",
    )
    # The file is in the bucket, and on neither machine's disk.
    stored = Resource.objects.get().file.name
    s3 = boto3.client(
        "s3", endpoint_url=object_store, region_name="us-east-1", **_lower(CREDENTIALS)
    )
    assert s3.get_object(Bucket=BUCKET, Key=f"knowflow/{stored}")["Body"].read() == data
    assert [p for p in tmp_path.rglob("*.pdf")] == []


def test_storage_url_names_the_store() -> None:
    assert _file_storage("") == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert _file_storage("file:///mnt/knowflow%20files") == {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": "/mnt/knowflow files"},
    }
    assert _file_storage(
        "s3://kf-files/uploads/?endpoint_url=https://s3.example.org&region=eu-west-1&addressing_style=path"
    ) == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": "kf-files",
            "location": "uploads",
            "endpoint_url": "https://s3.example.org",
            "region_name": "eu-west-1",
            "addressing_style": "path",
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://files.example.org/", "KNOWFLOW_STORAGE_URL: unknown scheme 'ftp' (file, s3)."),
        (
            "s3://key:secret@kf",
            "KNOWFLOW_STORAGE_URL: s3://BUCKET/PREFIX?endpoint_url=…&region=…&addressing_style=…"
            " (credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, not in the URL).",
        ),
        (
            "s3://kf?bucket=other",
            "KNOWFLOW_STORAGE_URL: s3://BUCKET/PREFIX?endpoint_url=…&region=…&addressing_style=…"
            " (credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, not in the URL).",
        ),
        (
            "file://?x=1",
            "KNOWFLOW_STORAGE_URL: a file URL is a directory, e.g. file:///mnt/knowflow.",
        ),
        (
            "s3://Bucket/pre",
            "KNOWFLOW_STORAGE_URL: 'Bucket' is not a bucket name: 3 to 63 lower-case letters, "
            "digits, dots and hyphens, starting and ending with a letter or digit.",
        ),
        (
            "s3://bucket:9000/p",
            "KNOWFLOW_STORAGE_URL: a bucket has no port: give the server's address as "
            "endpoint_url=….",
        ),
        (
            "file://otherhost/mnt/kf",
            "KNOWFLOW_STORAGE_URL: a file URL names a directory on this machine "
            "(file:///mnt/knowflow), not on another host: mount a shared disk and name its "
            "directory.",
        ),
        (
            "file:relative/dir",
            "KNOWFLOW_STORAGE_URL: the directory must be an absolute path, e.g. "
            "file:///mnt/knowflow (a relative one would depend on each process's working "
            "directory).",
        ),
        *(
            (
                f"s3://kf-files/p?endpoint_url={endpoint}",
                "KNOWFLOW_STORAGE_URL: endpoint_url is the object store's http(s) address, "
                "e.g. https://s3.example.org:9000, with no credentials in it (those go in "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY).",
            )
            for endpoint in (
                "http://x:y@10.0.0.1:9000",
                "ftp://x",
                "http://10.0.0.1:port",
                "s3.example.org",
            )
        ),
        (
            "s3://kf-files/p?addressing_style=weird",
            "KNOWFLOW_STORAGE_URL: addressing_style is path, virtual or auto.",
        ),
        (
            "s3://kf-files/p?region=eu-west-1&region=us-east-1",
            "KNOWFLOW_STORAGE_URL: each setting after '?' is given once, with a value.",
        ),
        *(
            (
                url,
                "KNOWFLOW_STORAGE_URL: the path may not contain '.' or '..' segments "
                "(decoded or not).",
            )
            for url in (
                "file:///mnt/kf/%2e%2e/etc",
                "file:///mnt/kf/../etc",
                "s3://kf-files/a/%2E%2E/b",
            )
        ),
    ],
)
def test_storage_url_refused_with_what_it_should_look_like(url: str, message: str) -> None:
    with pytest.raises(ImproperlyConfigured) as refused:
        _file_storage(url)

    assert str(refused.value) == message
    # Nothing that could be a secret is repeated back (into a log or a deployment's output).
    assert ("y@" not in str(refused.value), "secret" not in str(refused.value)) == (True, True)
