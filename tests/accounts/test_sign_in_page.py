"""The sign-in page with and without a company provider, and with password sign-in off. No
provider process here: what the page offers, and what is refused before any network."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory

from knowflow.accounts.checks import sign_in_settings_problems
from knowflow.accounts.models import Person
from knowflow.accounts.oidc import CANCELLED, UNREACHABLE
from knowflow.l10n import viewer_locale
from tests.conftest import signed_in
from tests.factories import PASSWORD, make_person
from tests.smtp import free_port

pytestmark = pytest.mark.django_db

BUTTON = (
    '<a class="button" id="sign-in-provider" data-browser-zone href="/accounts/oidc/start/">'
    "Sign in with Contoso</a>"
)


@pytest.fixture
def provider_configured(settings: object) -> None:
    # A port nothing listens on: any attempt to reach the provider fails at once.
    settings.KNOWFLOW_OIDC_ISSUER = f"http://127.0.0.1:{free_port()}/realms/contoso"
    settings.KNOWFLOW_OIDC_CLIENT_ID = "knowflow"
    settings.KNOWFLOW_OIDC_CLIENT_SECRET = "not-a-real-secret"
    settings.KNOWFLOW_OIDC_PROVIDER_NAME = "Contoso"


def test_without_a_provider_the_page_has_only_the_password_form() -> None:
    page = Client().get("/accounts/login/").content.decode()
    admin_page = Client().get("/admin/login/").content.decode()

    assert "Sign in with" not in page
    assert 'name="password"' in page
    assert '<input type="password" name="password"' in admin_page
    assert Client().get("/accounts/oidc/start/").status_code == 404
    assert Client().get("/accounts/oidc/callback/?code=a&state=b").status_code == 404


def test_with_a_provider_the_page_offers_its_button_and_the_password_form(
    provider_configured: None,
) -> None:
    page = Client().get("/accounts/login/?next=/circles/").content.decode()

    assert BUTTON.replace("start/", "start/?next=/circles/") in page
    assert 'name="password"' in page
    # The button comes first, so the focus does not start past it in the password form.
    assert "autofocus" not in page


def test_an_unreachable_provider_is_a_message_on_the_sign_in_page(
    provider_configured: None,
) -> None:
    response = Client().get("/accounts/oidc/start/", follow=True)

    assert response.redirect_chain == [("/accounts/login/", 302)]
    assert [str(m) for m in response.context["messages"]] == [UNREACHABLE]


def test_password_sign_in_off_shows_only_the_button_and_refuses_passwords(
    provider_configured: None, settings: object
) -> None:
    settings.KNOWFLOW_PASSWORD_SIGN_IN = False
    person = make_person(username="lena")
    client = Client()

    page = client.get("/accounts/login/").content.decode()
    refused = client.post("/accounts/login/", {"username": "lena", "password": PASSWORD})
    admin = client.post("/admin/login/", {"username": "lena", "password": PASSWORD})

    assert BUTTON in page
    assert 'name="password"' not in page
    assert refused.status_code == 403
    assert [str(m) for m in refused.context["messages"]] == [
        "Password sign-in is turned off here. Sign in with Contoso instead."
    ]
    assert admin.wsgi_request.user.is_authenticated is False
    assert client.get("/admin/login/?next=/admin/")["Location"] == (
        "/accounts/login/?next=%2Fadmin%2F"
    )
    assert client.get("/accounts/login/").wsgi_request.user.is_authenticated is False
    person.user.refresh_from_db()
    assert person.user.last_login is None


def test_a_persons_own_locale_formats_their_numbers() -> None:
    person = make_person()
    Person.objects.filter(pk=person.pk).update(locale="de_CH")
    person.refresh_from_db()
    request = RequestFactory().get("/", HTTP_ACCEPT_LANGUAGE="en-GB")
    request.viewer = person

    assert str(viewer_locale(request)) == "de_CH"


def test_a_setup_where_nobody_could_sign_in_stops_the_start(settings: object) -> None:
    settings.KNOWFLOW_PASSWORD_SIGN_IN = False
    settings.KNOWFLOW_OIDC_ISSUER = "https://login.example.org"
    settings.KNOWFLOW_OIDC_CLIENT_ID = ""

    assert sign_in_settings_problems() == [
        "KNOWFLOW_OIDC_ISSUER is set but KNOWFLOW_OIDC_CLIENT_ID or KNOWFLOW_OIDC_CLIENT_SECRET "
        "is not: the provider would refuse every sign-in.",
        "KNOWFLOW_PASSWORD_SIGN_IN is off but no provider is set up (KNOWFLOW_OIDC_ISSUER, "
        "KNOWFLOW_OIDC_CLIENT_ID): nobody could sign in.",
    ]


def test_the_default_setup_has_no_sign_in_problem() -> None:
    assert sign_in_settings_problems() == []


def test_the_profile_sets_and_refuses_a_number_format() -> None:
    person = make_person(tz="Europe/Paris")
    client = signed_in(person)
    form = {
        "display_name": person.display_name,
        "timezone": "Europe/Paris",
        "hours_0": "09:00-17:00",
    }

    saved = client.post("/accounts/profile/", {**form, "locale": "de-CH"}, follow=True)
    refused = client.post("/accounts/profile/", {**form, "locale": "xx-Nowhere"})

    person.refresh_from_db()
    assert [str(m) for m in saved.context["messages"]] == ["Profile saved."]
    assert person.locale == "de_CH"
    assert refused.context["form"].errors["locale"] == [
        "'xx-Nowhere' is not a locale Knowflow knows (e.g. de-CH, en-GB)."
    ]


def test_a_sign_in_cancelled_at_the_provider_is_a_message_and_signs_nobody_in(
    provider_configured: None, settings: object
) -> None:
    issuer = settings.KNOWFLOW_OIDC_ISSUER
    # The provider's discovery document, as if fetched a moment ago: nothing is contacted.
    cache.set(
        "knowflow.oidc.discovery:" + hashlib.sha256(issuer.encode()).hexdigest(),
        {
            "issuer": issuer + "/",
            "authorization_endpoint": f"{issuer}/auth",
            "token_endpoint": f"{issuer}/token",
            "jwks_uri": f"{issuer}/certs",
        },
    )
    client = Client()
    start = client.get("/accounts/oidc/start/")
    query = parse_qs(urlsplit(start["Location"]).query)

    back = client.get(
        "/accounts/oidc/callback/",
        {"error": "access_denied", "state": query["state"][0]},
        follow=True,
    )

    assert start["Location"].startswith(f"{issuer}/auth?")
    assert (query["client_id"], query["code_challenge_method"]) == (["knowflow"], ["S256"])
    assert query["scope"] == ["openid email profile"]
    assert [str(m) for m in back.context["messages"]] == [CANCELLED]
    assert back.wsgi_request.user.is_authenticated is False
