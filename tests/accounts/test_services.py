"""People and API tokens: creation, profile updates, refusals that write nothing."""

from __future__ import annotations

import pytest

from knowflow.accounts.models import ApiToken, Person, User
from knowflow.accounts.services import (
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
    person_create,
    person_update_profile,
)
from knowflow.errors import DomainError, Forbidden
from tests.factories import make_person

pytestmark = pytest.mark.django_db


def test_person_create_stores_zone_and_default_hours() -> None:
    person = person_create(
        display_name="Asha Rao",
        username="asha",
        password="x-Y-z-123456",
        timezone_name="Asia/Kolkata",
    )

    person.refresh_from_db()
    assert person.timezone == "Asia/Kolkata"
    assert person.working_hours == [["09:00", "17:00"]] * 5 + [None, None]
    assert person.slug == "asha-rao"
    assert person.user.username == "asha"


def test_person_create_unknown_time_zone_is_refused_and_writes_nothing() -> None:
    with pytest.raises(DomainError) as error:
        person_create(
            display_name="Nobody",
            username="nobody",
            password="pw-123456789",
            timezone_name="Mars/Olympus",
        )

    assert error.value.message == "'Mars/Olympus' is not a known time zone (e.g. Europe/Berlin)."
    assert error.value.field == "timezone"
    assert Person.objects.count() == 0
    assert User.objects.count() == 0


def test_person_create_bad_working_hours_is_refused_and_writes_nothing() -> None:
    with pytest.raises(DomainError) as error:
        person_create(display_name="Nobody", username="nobody", working_hours=[["09:00", "17:00"]])

    assert error.value.field == "working_hours"
    assert Person.objects.count() == 0
    assert User.objects.count() == 0


def test_person_create_taken_username_is_refused() -> None:
    make_person(username="taken")

    with pytest.raises(DomainError) as error:
        person_create(display_name="Second", username="taken")

    assert error.value.message == "The username 'taken' is taken."
    assert Person.objects.count() == 1


def test_person_update_profile_unknown_time_zone_leaves_the_row_unchanged() -> None:
    person = make_person(tz="Europe/Berlin", name="Ben Berliner")

    with pytest.raises(DomainError) as error:
        person_update_profile(
            person=person, actor=person, display_name="Changed", timezone_name="Europe/Atlantis"
        )

    assert error.value.field == "timezone"
    row = Person.objects.get(pk=person.pk)
    assert (row.display_name, row.timezone) == ("Ben Berliner", "Europe/Berlin")


def test_person_update_profile_by_someone_else_is_refused() -> None:
    person, other = make_person(name="Owner"), make_person()

    with pytest.raises(Forbidden) as error:
        person_update_profile(person=person, actor=other, display_name="Hijacked")

    assert error.value.message == "You can only edit your own profile."
    assert Person.objects.get(pk=person.pk).display_name == "Owner"


def test_person_update_profile_role_change_needs_an_admin() -> None:
    member = make_person()

    with pytest.raises(Forbidden):
        person_update_profile(person=member, actor=member, role=Person.Role.ENABLER)
    assert Person.objects.get(pk=member.pk).role == Person.Role.MEMBER

    admin = make_person(role=Person.Role.ADMIN)
    person_update_profile(person=member, actor=admin, role=Person.Role.ENABLER)
    assert Person.objects.get(pk=member.pk).role == Person.Role.ENABLER


def test_api_token_create_then_authenticate_returns_the_person() -> None:
    person = make_person()

    token, secret = api_token_create(person=person, name="laptop")

    assert secret.startswith("kf_")
    assert token.prefix == secret[:10]
    assert secret not in token.key_hash  # only a hash is stored
    assert api_token_authenticate(secret=secret) == person
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_api_token_create_without_a_name_is_refused() -> None:
    with pytest.raises(DomainError) as error:
        api_token_create(person=make_person(), name="   ")

    assert error.value.field == "name"
    assert ApiToken.objects.count() == 0


def test_api_token_authenticate_unknown_secret_is_none() -> None:
    person = make_person()
    api_token_create(person=person, name="laptop")

    assert api_token_authenticate(secret="kf_not-a-real-token") is None
    assert api_token_authenticate(secret="no-prefix") is None


def test_api_token_revoke_stops_authentication() -> None:
    person = make_person()
    token, secret = api_token_create(person=person, name="laptop")

    api_token_revoke(token=token, actor=person)

    assert api_token_authenticate(secret=secret) is None
    assert ApiToken.objects.count() == 0


def test_api_token_revoke_someone_elses_token_is_refused() -> None:
    owner, other = make_person(), make_person()
    token, secret = api_token_create(person=owner, name="laptop")

    with pytest.raises(Forbidden):
        api_token_revoke(token=token, actor=other)

    assert api_token_authenticate(secret=secret) == owner


def test_someone_called_import_gets_a_page_of_their_own() -> None:
    from knowflow.accounts.services import person_create

    person = person_create(
        display_name="Import", username="import-user", password="correct-horse-battery"
    )

    assert person.slug == "import-2"
