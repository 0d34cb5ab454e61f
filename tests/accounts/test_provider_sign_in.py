"""person_sign_in_with_provider without a provider process: the rules that decide who a
company account is in Knowflow, and what it may change (the flow itself: test_oidc.py)."""

from __future__ import annotations

import pytest

from knowflow.accounts.models import Person, ProviderIdentity, User
from knowflow.accounts.services import ProviderAccount, person_sign_in_with_provider
from knowflow.errors import Conflict, DomainError
from tests.factories import make_office, make_person

pytestmark = pytest.mark.django_db

ISSUER = "https://login.example.org/realm"


def account(**claims: object) -> ProviderAccount:
    return ProviderAccount(
        **{"issuer": ISSUER, "subject": "s-1", "email": "x@example.org"} | claims
    )


def counts() -> tuple[int, int, int]:
    return Person.objects.count(), User.objects.count(), ProviderIdentity.objects.count()


def test_an_email_the_provider_has_not_confirmed_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        person_sign_in_with_provider(account=account(email_verified=False))

    assert refused.value.message == (
        "Your company account has not confirmed that x@example.org is yours, so Knowflow cannot "
        "sign you in with it. Confirm the address with your company's sign-in service."
    )
    assert counts() == (0, 0, 0)


def test_an_email_two_people_share_is_refused() -> None:
    first, second = make_person(), make_person()
    Person.objects.filter(pk=second.pk).update(email=first.email.upper())
    before = counts()

    with pytest.raises(Conflict) as refused:
        person_sign_in_with_provider(account=account(email=first.email))

    assert refused.value.message == (
        f"More than one person in Knowflow has the email {first.email}, so your company account "
        "cannot be matched to one of them. Ask an admin to correct the emails."
    )
    assert counts() == before


def test_without_a_group_mapping_the_role_is_left_alone(settings: object) -> None:
    settings.KNOWFLOW_ROLE_GROUPS = ""
    enabler = make_person(role=Person.Role.ENABLER)

    person = person_sign_in_with_provider(account=account(email=enabler.email, groups=("x",)))

    assert (person.pk, person.role) == (enabler.pk, "enabler")


def test_a_linked_person_without_a_zone_gets_the_claims_zone_else_keeps_their_own() -> None:
    utc = make_person(office=make_office(tz="Europe/Berlin"))
    placed = make_person(tz="Asia/Kolkata")

    first = person_sign_in_with_provider(
        account=account(email=utc.email, subject="a", zoneinfo="America/Chicago")
    )
    second = person_sign_in_with_provider(
        account=account(email=placed.email, subject="b", zoneinfo="Not/AZone"),
        browser_timezone="Europe/Rome",
    )

    assert (first.timezone, second.timezone) == ("America/Chicago", "Asia/Kolkata")


def test_a_locale_knowflow_does_not_know_is_ignored() -> None:
    person = person_sign_in_with_provider(account=account(locale="xx-Nowhere"))

    assert person.locale == ""


def test_the_locale_claim_is_taken_once_then_the_profile_decides() -> None:
    person = person_sign_in_with_provider(account=account(locale="fr-FR"))
    Person.objects.filter(pk=person.pk).update(locale="en_GB")

    again = person_sign_in_with_provider(account=account(locale="fr-FR"))

    assert (person.locale, again.locale) == ("fr_FR", "en_GB")


def test_an_admin_can_see_and_remove_a_persons_company_link(client: object) -> None:
    admin = make_person(role=Person.Role.ADMIN)
    linked = person_sign_in_with_provider(account=account(email="desk@example.org"))
    identity = ProviderIdentity.objects.get(user=linked.user)
    client.force_login(admin.user)

    listing = client.get("/admin/accounts/provideridentity/").content.decode()
    client.post(f"/admin/accounts/provideridentity/{identity.pk}/delete/", {"post": "yes"})

    assert "s-1" in listing
    assert ProviderIdentity.objects.count() == 0
    assert Person.objects.filter(pk=linked.pk).exists()
