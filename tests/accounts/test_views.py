"""Pages: sign in, the profile, the people directory and a person's page."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from knowflow.accounts.models import ApiToken, Person
from knowflow.accounts.services import api_token_create
from knowflow.circles.models import Membership
from tests.conftest import signed_in
from tests.factories import (
    PASSWORD,
    make_circle,
    make_office,
    make_person,
    make_session,
    make_topic,
    org_unit,
)

pytestmark = pytest.mark.django_db


def profile_post(person: Person, **changes: str) -> dict[str, str]:
    data = {
        "display_name": person.display_name,
        "timezone": person.timezone,
        "office": "",
        "org_unit": "",
        "languages": "",
        "bio": "",
    }
    data.update({f"hours_{i}": text for i, text in enumerate(person.hours.to_text())})
    data.update(changes)
    return data


def listed_names(html: str) -> list[str]:
    return re.findall(
        r'<li class="row"><a href="/accounts/people/[^"]+/"><strong>([^<]+)</strong>', html
    )


def test_login_with_username_and_password_lands_on_home() -> None:
    person = make_person(name="Lena Login", username="lena")
    client = Client()

    response = client.post(
        "/accounts/login/", {"username": "lena", "password": PASSWORD}, follow=True
    )

    assert response.redirect_chain == [("/", 302)]
    assert "<h1>For you, Lena Login</h1>" in response.content.decode()
    assert response.wsgi_request.user == person.user


def test_login_with_wrong_password_shows_an_error() -> None:
    make_person(username="lena")

    response = Client().post("/accounts/login/", {"username": "lena", "password": "wrong"})

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert response.wsgi_request.user.is_authenticated is False


def test_profile_edit_saves_zone_hours_office_and_skills() -> None:
    person = make_person(tz="UTC")
    office, skill = make_office("Pune", tz="Asia/Kolkata"), make_topic("Kotlin")
    client = signed_in(person)

    response = client.post(
        "/accounts/profile/",
        profile_post(
            person,
            display_name="Priya Patel",
            timezone="Asia/Kolkata",
            office=str(office.pk),
            languages="en, hi",
            skills="kotlin",
            hours_0="22:00-06:00",
            hours_4="",
        ),
        follow=True,
    )

    assert response.redirect_chain == [("/accounts/profile/", 302)]
    assert '<li class="success">Profile saved.</li>' in response.content.decode()
    person.refresh_from_db()
    assert person.display_name == "Priya Patel"
    assert person.timezone == "Asia/Kolkata"
    assert person.office == office
    assert person.languages == ["en", "hi"]
    assert list(person.skills.all()) == [skill]
    assert person.working_hours == [["22:00", "06:00"]] + [["09:00", "17:00"]] * 3 + [
        None,
        None,
        None,
    ]


def test_profile_edit_clearing_office_and_org_unit_removes_them() -> None:
    office, unit = make_office("Berlin"), org_unit("Platform")
    person = make_person(office=office, org_unit=unit)
    client = signed_in(person)

    response = client.post("/accounts/profile/", profile_post(person, office="", org_unit=""))

    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.office, person.org_unit) == (None, None)


def test_profile_edit_unknown_time_zone_shows_a_form_error_and_saves_nothing() -> None:
    person = make_person(tz="Europe/Berlin", name="Ben")
    client = signed_in(person)

    response = client.post(
        "/accounts/profile/", profile_post(person, display_name="Changed", timezone="Mars/Olympus")
    )

    assert response.status_code == 200
    assert (
        "Select a valid choice. Mars/Olympus is not one of the available choices."
        in response.content.decode()
    )
    person.refresh_from_db()
    assert (person.display_name, person.timezone) == ("Ben", "Europe/Berlin")


def test_profile_edit_bad_hours_shows_a_form_error_and_saves_nothing() -> None:
    person = make_person(name="Ben")
    client = signed_in(person)

    response = client.post(
        "/accounts/profile/", profile_post(person, display_name="Changed", hours_1="9 till late")
    )

    assert response.status_code == 200
    assert (
        '<ul class="errorlist nonfield"><li>Tuesday: write hours as 09:00-17:00.</li></ul>'
        in response.content.decode()
    )
    person.refresh_from_db()
    assert person.display_name == "Ben"
    assert person.working_hours == [["09:00", "17:00"]] * 5 + [None, None]


def test_profile_token_create_shows_the_secret_once_and_revoke_removes_it() -> None:
    person = make_person()
    client = signed_in(person)

    first = client.post("/accounts/profile/tokens/", {"name": "laptop"}, follow=True)
    secret = re.search(r"<code>(kf_[^<]+)</code>", first.content.decode()).group(1)
    second = client.get("/accounts/profile/")

    token = ApiToken.objects.get(person=person)
    assert token.name == "laptop"
    assert secret not in second.content.decode()
    client.post(f"/accounts/profile/tokens/{token.pk}/revoke/")
    assert ApiToken.objects.count() == 0


def test_revoking_someone_elses_token_is_not_found_and_keeps_it() -> None:
    owner, other = make_person(name="Ada"), make_person(name="Ben")
    token, _ = api_token_create(person=owner, name="laptop")

    response = signed_in(other).post(f"/accounts/profile/tokens/{token.pk}/revoke/")

    assert response.status_code == 404
    assert "<h1>Not found</h1><p>There is no such token among yours.</p>" in (
        response.content.decode()
    )
    assert list(ApiToken.objects.values_list("person_id", "name")) == [(owner.pk, "laptop")]


@pytest.fixture
def organisation() -> dict[str, object]:
    company = org_unit("Acme", kind="company")
    engineering = org_unit("Engineering", parent=company, kind="division")
    platform = org_unit("Platform Team", parent=engineering)
    sales = org_unit("Sales", parent=company, kind="division")
    berlin, pune = make_office("Berlin"), make_office("Pune", tz="Asia/Kolkata")
    rust = make_topic("Rust")
    people = {
        "ada": make_person(
            name="Ada Engineer",
            org_unit=engineering,
            office=berlin,
            tz="Europe/Berlin",
            skills=[rust],
        ),
        "bo": make_person(name="Bo Platform", org_unit=platform, office=pune, tz="Asia/Kolkata"),
        "cy": make_person(name="Cy Sales", org_unit=sales, office=berlin, tz="America/New_York"),
    }
    return {"people": people, "rust": rust, "viewer": make_person(name="Viewer Vee", tz="UTC")}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Ada Engineer", "Bo Platform", "Cy Sales", "Viewer Vee"]),
        ("?q=platform", ["Bo Platform"]),
        ("?q=rust", ["Ada Engineer"]),
        ("?org_unit=engineering", ["Ada Engineer", "Bo Platform"]),
        ("?org_unit=acme", ["Ada Engineer", "Bo Platform", "Cy Sales"]),
        ("?org_unit=no-such-unit", []),
        ("?office=office-berlin", []),
        ("?timezone=Asia/Kolkata", ["Bo Platform"]),
        ("?skill={rust}", ["Ada Engineer"]),
        ("?org_unit=acme&timezone=America/New_York", ["Cy Sales"]),
    ],
)
def test_directory_filters(organisation: dict, query: str, expected: list[str]) -> None:
    client = signed_in(organisation["viewer"])

    response = client.get(f"/accounts/people/{query.format(rust=organisation['rust'].slug)}")

    assert response.status_code == 200
    assert listed_names(response.content.decode()) == expected


def test_directory_filters_by_office_slug(organisation: dict) -> None:
    berlin = organisation["people"]["ada"].office
    client = signed_in(organisation["viewer"])

    response = client.get(f"/accounts/people/?office={berlin.slug}")

    assert listed_names(response.content.decode()) == ["Ada Engineer", "Cy Sales"]
    assert '<p class="meta">2 people</p>' in response.content.decode()


def test_person_page_shows_profile_hours_circles_and_sessions() -> None:
    rust = make_topic("Rust")
    person = make_person(
        name="Kiran Kumar", tz="Asia/Kolkata", skills=[rust], languages=["en", "hi"]
    )
    circle = make_circle(name="Rustaceans")
    Membership.objects.create(circle=circle, person=person, role=Membership.Role.CHAMPION)
    make_session(speakers=[person], title="Ownership without tears")
    client = signed_in(make_person())

    response = client.get(f"/accounts/people/{person.slug}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Kiran Kumar</h1>" in html
    assert "<h2>Working hours (Asia/Kolkata)</h2>" in html
    assert "<li>Monday: 09:00-17:00</li>" in html
    assert "<li>Saturday: off</li>" in html
    assert "speaks English, Hindi" in html
    assert f'<a class="tag" href="/accounts/people/?skill={rust.slug}">Rust</a>' in html
    assert (
        f'<a href="/circles/{circle.slug}/">Rustaceans</a> <span class="meta">Champion</span>'
        in html
    )
    assert ">Ownership without tears</a>" in html


def test_person_page_unknown_slug_is_404_with_a_message() -> None:
    client = signed_in(make_person())

    response = client.get("/accounts/people/nobody-here/")

    assert response.status_code == 404
    assert "<p>There is no such person.</p>" in response.content.decode()
