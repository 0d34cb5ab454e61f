"""The LRS is configured by environment variables only, checked when a process starts: a
value that would send statements in clear, or put the secret in the URL, stops the start with
a message that says what to write, and never repeats the secret."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from knowflow.config.settings import _xapi_endpoint


def test_unset_means_no_lrs() -> None:
    assert _xapi_endpoint("", "", "") == ""


def test_an_https_base_url_is_kept_without_its_trailing_slash() -> None:
    assert _xapi_endpoint("https://lrs.example.org/xapi/", "key", "secret") == (
        "https://lrs.example.org/xapi"
    )


def test_plain_http_is_allowed_only_to_this_machine() -> None:
    assert _xapi_endpoint("http://127.0.0.1:8080/xapi", "k", "s") == "http://127.0.0.1:8080/xapi"
    with pytest.raises(ImproperlyConfigured) as refused:
        _xapi_endpoint("http://lrs.example.org/xapi", "k", "s")
    assert str(refused.value) == (
        "KNOWFLOW_XAPI_ENDPOINT: the LRS must be reached over https "
        "(e.g. https://lrs.example.org/xapi)."
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://key:hunter2@lrs.example.org/xapi",
        "https://lrs.example.org/xapi?token=hunter2",
        "https://lrs.example.org/xapi#hunter2",
        "https:///xapi",
    ],
)
def test_credentials_query_or_fragment_in_the_url_are_refused_without_repeating_them(
    url: str,
) -> None:
    with pytest.raises(ImproperlyConfigured) as refused:
        _xapi_endpoint(url, "k", "s")
    assert "hunter2" not in str(refused.value)
    assert str(refused.value).startswith(
        "KNOWFLOW_XAPI_ENDPOINT: the LRS's base URL without credentials"
    )


def test_the_key_and_secret_come_with_the_url() -> None:
    with pytest.raises(ImproperlyConfigured) as no_secret:
        _xapi_endpoint("https://lrs.example.org/xapi", "key", "")
    with pytest.raises(ImproperlyConfigured) as no_url:
        _xapi_endpoint("", "key", "secret")
    assert str(no_secret.value) == (
        "KNOWFLOW_XAPI_ENDPOINT: set KNOWFLOW_XAPI_USERNAME and KNOWFLOW_XAPI_PASSWORD "
        "(the LRS's key and secret)."
    )
    assert str(no_url.value) == (
        "KNOWFLOW_XAPI_ENDPOINT: set it too, or unset KNOWFLOW_XAPI_USERNAME and "
        "KNOWFLOW_XAPI_PASSWORD."
    )
