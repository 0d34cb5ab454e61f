"""Sign-in with the company's OpenID Connect provider, against a real provider: django-oauth-
toolkit in OIDC mode (RS256) in its own process (tests/oidc_provider), one per module.

Knowflow is the Django test client; the browser's trips to the provider (authorize, its
sign-in page, back) are made with `requests`, and Knowflow's own calls to the provider (discovery,
token, keys, userinfo) are real HTTP from the callback."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urljoin

import pytest
import requests
from django.test import Client

from knowflow.accounts.models import Person, ProviderIdentity, User
from knowflow.accounts.oidc import NOT_VERIFIED, STATE_USED
from knowflow.accounts.services import DEACTIVATED, MISSING_EMAIL, person_deactivate
from tests.factories import make_office, make_person, make_session
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, running_provider

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

CALLBACK = "http://testserver/accounts/oidc/callback/"
ROLE_GROUPS = "admin=kf-admins;enabler=learning-team;leader=execs"


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with running_provider(CALLBACK) as running:
        yield running


@pytest.fixture
def company(provider: Provider, settings: object) -> Provider:
    """Knowflow configured for the provider, with groups mapped to roles."""
    settings.KNOWFLOW_OIDC_ISSUER = provider.issuer
    settings.KNOWFLOW_OIDC_CLIENT_ID = CLIENT_ID
    settings.KNOWFLOW_OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.KNOWFLOW_OIDC_PROVIDER_NAME = "Contoso"
    settings.KNOWFLOW_ROLE_GROUPS = ROLE_GROUPS
    return provider


def sign_in(client: Client, *, browser_tz: str = "", next_url: str = "") -> tuple[object, str]:
    """Press the button, go through the provider as a browser would, and come back: the
    callback's response and the callback URL (to replay it)."""
    start = client.get("/accounts/oidc/start/", {"browser_tz": browser_tz, "next": next_url})
    assert start.status_code == 302, start.content.decode()
    url = start["Location"]
    browser = requests.Session()
    for _ in range(10):
        answer = browser.get(url, allow_redirects=False, timeout=10)
        assert answer.status_code == 302, answer.text[:500]
        url = urljoin(url, answer.headers["Location"])
        if url.startswith(CALLBACK):
            break
    callback = url.removeprefix("http://testserver")
    return client.get(callback, follow=True), callback


def messages_of(response: object) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def counts() -> tuple[int, int, int]:
    return Person.objects.count(), User.objects.count(), ProviderIdentity.objects.count()


def signed_in_user(client: Client) -> object:
    return client.get("/accounts/login/").wsgi_request.user


def test_first_sign_in_creates_the_person_with_name_zone_locale_and_role(company: Provider) -> None:
    company.will_sign_in(
        "grace",
        {
            "email": "Grace.Hopper@Example.org",
            "email_verified": True,
            "name": "Grace Hopper",
            "zoneinfo": "America/New_York",
            "locale": "de-CH",
            "groups": ["staff", "kf-admins"],
        },
    )
    client = Client()

    response, _ = sign_in(client, browser_tz="Asia/Tokyo", next_url="/accounts/profile/")

    assert response.redirect_chain == [("/accounts/profile/", 302)]
    person = Person.objects.get(email__iexact="grace.hopper@example.org")
    assert (person.display_name, person.timezone, person.locale, person.role) == (
        "Grace Hopper",
        "America/New_York",
        "de_CH",
        "admin",
    )
    assert (person.user.is_staff, person.user.is_superuser) == (True, True)
    assert response.wsgi_request.user == person.user
    assert '<input type="text" name="display_name" value="Grace Hopper"' in (
        response.content.decode()
    )


def test_second_sign_in_links_the_same_person_and_follows_the_groups(company: Provider) -> None:
    claims = {"email": "ada@example.org", "name": "Ada Lovelace", "groups": ["kf-admins"]}
    company.will_sign_in("ada", claims)
    sign_in(Client())
    first = Person.objects.get(email="ada@example.org")
    company.will_sign_in("ada", {**claims, "name": "Ada King", "groups": ["execs"]})

    response, _ = sign_in(Client())

    person = Person.objects.get(email="ada@example.org")
    assert response.wsgi_request.user == first.user
    assert (person.pk, person.display_name, person.role) == (first.pk, "Ada Lovelace", "leader")
    assert (person.user.is_staff, person.user.is_superuser) == (False, False)
    assert counts() == (1, 1, 1)


def test_first_sign_in_links_an_existing_person_by_email_keeping_their_history(
    company: Provider,
) -> None:
    speaker = make_person(name="Lin Existing", tz="Europe/Paris", username="lin")
    session = make_session(speakers=[speaker])
    before = counts()
    company.will_sign_in("lin-at-provider", {"email": speaker.email.upper(), "name": "Lin New"})

    response, _ = sign_in(Client(), browser_tz="Asia/Tokyo")

    speaker.refresh_from_db()
    assert response.wsgi_request.user == speaker.user
    assert (speaker.display_name, speaker.timezone, speaker.role) == (
        "Lin Existing",
        "Europe/Paris",
        "member",
    )
    assert list(session.speakers.all()) == [speaker]
    assert counts() == (before[0], before[1], before[2] + 1)


def test_zone_comes_from_the_browser_then_the_office_then_utc(company: Provider) -> None:
    company.will_sign_in("kim", {"email": "kim@example.org", "name": "Kim"})
    sign_in(Client(), browser_tz="Asia/Tokyo")
    company.will_sign_in("noor", {"email": "noor@example.org", "name": "Noor"})
    sign_in(Client(), browser_tz="Mars/Olympus_Mons")
    placed = make_person(name="Placed", office=make_office(tz="Europe/Berlin"))
    company.will_sign_in("placed", {"email": placed.email})
    sign_in(Client())

    zones = dict(Person.objects.values_list("display_name", "timezone"))
    assert (zones["Kim"], zones["Noor"], zones["Placed"]) == ("Asia/Tokyo", "UTC", "Europe/Berlin")


@pytest.mark.parametrize("mode", ["wrong_key", "wrong_audience", "expired"])
def test_a_token_that_does_not_verify_is_refused_and_creates_nothing(
    company: Provider, mode: str
) -> None:
    company.will_sign_in("eve", {"email": "eve@example.org", "name": "Eve"}, mode=mode)
    before = counts()
    client = Client()

    response, _ = sign_in(client)

    assert response.redirect_chain == [("/accounts/login/", 302)]
    assert messages_of(response) == [NOT_VERIFIED]
    assert counts() == before
    assert signed_in_user(client).is_authenticated is False


def test_a_missing_email_claim_is_refused_and_creates_nothing(company: Provider) -> None:
    company.will_sign_in("nomail", {"name": "No Mail"})
    before = counts()
    client = Client()

    response, _ = sign_in(client)

    assert messages_of(response) == [MISSING_EMAIL]
    assert counts() == before
    assert signed_in_user(client).is_authenticated is False


def test_a_replayed_callback_is_refused(company: Provider) -> None:
    company.will_sign_in("ada", {"email": "ada@example.org", "name": "Ada"})
    client = Client()
    _, callback = sign_in(client)
    before = counts()

    same_browser = client.get(callback, follow=True)
    other_browser = Client()
    elsewhere = other_browser.get(callback, follow=True)

    assert messages_of(same_browser) == [STATE_USED]
    assert messages_of(elsewhere) == [STATE_USED]
    assert signed_in_user(other_browser).is_authenticated is False
    assert counts() == before


def test_an_email_already_linked_to_another_provider_account_is_refused(
    company: Provider,
) -> None:
    company.will_sign_in("first-owner", {"email": "desk@example.org", "name": "First"})
    sign_in(Client())
    before = counts()
    company.will_sign_in("new-owner", {"email": "desk@example.org", "name": "Second"})
    client = Client()

    response, _ = sign_in(client)

    assert messages_of(response) == [
        "The Knowflow account of desk@example.org is linked to another account at your "
        "company's sign-in service. Ask an admin to check who this email belongs to."
    ]
    assert counts() == before
    assert signed_in_user(client).is_authenticated is False


def test_a_deactivated_person_is_refused(company: Provider) -> None:
    gone = make_person(name="Gone")
    person_deactivate(person=gone)
    company.will_sign_in("gone", {"email": gone.email})
    client = Client()

    response, _ = sign_in(client)

    assert messages_of(response) == [DEACTIVATED]
    assert ProviderIdentity.objects.count() == 0
    assert signed_in_user(client).is_authenticated is False
