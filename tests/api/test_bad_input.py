"""Out-of-range input, as an attacker sends it, gets a 4xx that names the field and changes
nothing: huge ids, offsets and dates, oversized JSON bodies, a huge ?tz=. Pages too."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client, RequestFactory

from knowflow.accounts.models import Person
from knowflow.accounts.services import api_token_create
from knowflow.api.main import api
from knowflow.events.models import Occurrence
from knowflow.topics.models import Topic
from knowflow.web.errors import ErrorPageMiddleware
from tests.conftest import signed_in
from tests.factories import make_occurrence, make_person, make_session

pytestmark = pytest.mark.django_db
HUGE = 10**20


@pytest.fixture
def enabler() -> Person:
    return make_person(role=Person.Role.ENABLER)


@pytest.fixture
def client(enabler: Person) -> Client:
    _, secret = api_token_create(person=enabler, name="tests")
    return Client(headers={"Authorization": f"Bearer {secret}"})


def test_a_huge_id_in_the_path_is_a_422_naming_it(client: Client) -> None:
    response = client.get(f"/api/v1/topics/{HUGE}")

    assert response.status_code == 422
    assert (response.json()["field"], response.json()["detail"]) == (
        "topic_id",
        "topic_id: Input should be less than or equal to 9223372036854775807",
    )


def test_a_huge_offset_is_a_422_naming_it(client: Client) -> None:
    response = client.get(f"/api/v1/sessions/?offset={HUGE}")

    assert (response.status_code, response.json()["field"]) == (422, "offset")
    assert response.json()["detail"] == "offset: Input should be less than or equal to 1000000000"


def test_a_dashboard_from_year_1_to_9999_is_a_422_naming_the_start(client: Client) -> None:
    response = client.get("/api/v1/insights/dashboard?start=0001-01-01&end=9999-12-31")

    assert (response.status_code, response.json()["field"]) == (422, "start")
    assert response.json()["detail"] == (
        "start: Input should be greater than or equal to 1900-01-01; "
        "end: Input should be less than or equal to 2999-12-31"
    )


def test_a_huge_id_in_a_json_body_is_a_422_and_creates_nothing(client: Client) -> None:
    response = client.post(
        "/api/v1/topics/",
        data={"name": "Rust", "parent_id": HUGE},
        content_type="application/json",
    )

    assert (response.status_code, response.json()["field"]) == (422, "parent_id")
    assert Topic.objects.count() == 0


def test_a_huge_capacity_is_a_422_and_changes_nothing(client: Client, enabler: Person) -> None:
    occurrence = make_occurrence(session=make_session(speakers=[enabler]), capacity=10)

    response = client.patch(
        f"/api/v1/occurrences/{occurrence.pk}",
        data={"capacity": HUGE},
        content_type="application/json",
    )

    assert response.json() == {
        "detail": "capacity: Input should be less than or equal to 1000000",
        "field": "capacity",
        "errors": [
            {"field": "capacity", "message": "Input should be less than or equal to 1000000"}
        ],
    }
    assert Occurrence.objects.get().capacity == 10


def test_a_json_body_over_the_limit_is_a_413_with_a_message(client: Client) -> None:
    body = json.dumps({"name": "Big", "description": "x" * 3_000_000})

    response = client.post("/api/v1/topics/", data=body, content_type="application/json")

    assert (response.status_code, response.json()) == (
        413,
        {"detail": "The request body is larger than 2.5 MB.", "field": None},
    )
    assert Topic.objects.count() == 0


def test_a_huge_tz_is_a_400_naming_it_in_the_api_and_on_pages(
    client: Client, enabler: Person
) -> None:
    tz = "A" * 3000

    api_response = client.get(f"/api/v1/sessions/?tz={tz}")
    page = signed_in(enabler).get(f"/sessions/?tz={tz}")

    message = "The time zone (tz) must be an IANA zone name such as Europe/Berlin."
    assert (api_response.status_code, api_response.json()) == (
        400,
        {"detail": message, "field": "tz"},
    )
    assert page.status_code == 400
    assert message in page.content.decode()


@pytest.mark.parametrize("url", ["/sessions/", "/library/"])
def test_a_huge_page_number_on_a_list_page_is_a_400_naming_it(enabler: Person, url: str) -> None:
    response = signed_in(enabler).get(f"{url}?page={HUGE}")

    assert response.status_code == 400
    assert "The page number (page) must be between 1 and 1000." in response.content.decode()


def test_an_overflow_behind_every_bound_is_a_400_page_not_a_server_error(
    enabler: Person,
) -> None:
    request = RequestFactory().get("/sessions/")
    request.user, request.viewer = enabler.user, enabler

    response = ErrorPageMiddleware(lambda r: None).process_exception(
        request, OverflowError("date value out of range")
    )

    assert response.status_code == 400
    assert ErrorPageMiddleware.OUT_OF_RANGE in response.content.decode()


def test_the_document_declares_the_error_statuses_of_each_operation() -> None:
    paths = api.get_openapi_schema()["paths"]

    def statuses(path: str, method: str) -> list[str]:
        return sorted(str(code) for code in paths[path][method]["responses"])

    assert statuses("/api/v1/occurrences/{occurrence_id}", "patch") == [
        "200", "400", "401", "403", "404", "409", "413", "422", "429",
    ]  # fmt: skip
    assert statuses("/api/v1/topics/", "get") == ["200", "400", "401", "403", "404", "429"]


def test_a_huge_money_amount_is_a_422_naming_it_and_saves_nothing(client: Client) -> None:
    response = client.post(
        "/api/v1/insights/hourly-costs",
        data={"amount": "1" + "0" * 20},
        content_type="application/json",
    )

    assert (response.status_code, response.json()["field"]) == (422, "amount")
    assert response.json()["detail"] == (
        "amount: Give a number with at most 8 digits before the point and 2 after "
        "it, without sign or spaces."
    )


def test_a_huge_capacity_on_the_date_form_is_a_message_at_the_field(enabler: Person) -> None:
    occurrence = make_occurrence(session=make_session(speakers=[enabler]), capacity=10)

    response = signed_in(enabler).post(
        f"/sessions/occurrences/{occurrence.pk}/edit/",
        {
            "start": "2030-06-03T10:00",
            "end": "2030-06-03T11:00",
            "zone": "UTC",
            "room": "",
            "online_url": occurrence.online_url,
            "capacity": str(HUGE),
        },
    )

    assert response.status_code == 200
    assert re.findall(
        r'<ul class="errorlist"[^>]*><li>([^<]+)</li>', response.content.decode()
    ) == ["Ensure this value is less than or equal to 1000000."]
    assert Occurrence.objects.get().capacity == 10


# --- what the document says is what the API accepts (schemathesis runs every check) ---------


def _post(client: Client, url: str, body: object) -> object:
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_false_is_not_an_id_and_creates_nothing(client: Client) -> None:
    response = _post(client, "/api/v1/topics/", {"name": "Rust", "parent_id": False})

    assert (response.status_code, response.json()["field"]) == (422, "parent_id")
    assert "not true or false" in response.json()["detail"]
    assert Topic.objects.count() == 0


def test_a_body_that_is_not_an_object_is_refused(client: Client) -> None:
    # ninja reads any value by its attributes: "AAA" once made a collection titled "Aaa".
    response = _post(client, "/api/v1/library/collections", "AAA")

    assert response.status_code == 422
    assert "JSON object" in response.json()["detail"]
    assert client.get("/api/v1/library/collections").json()["count"] == 0


@pytest.mark.parametrize("until", ["0", "1700000000", "2024-1-2"])
def test_a_date_is_an_iso_date_never_a_number(client: Client, until: str) -> None:
    response = client.get(f"/api/v1/feedback/programme?until={until}")

    assert (response.status_code, response.json()["field"]) == (422, "until")
    assert "YYYY-MM-DD" in response.json()["detail"]


def test_a_date_time_filter_is_not_a_number_of_seconds(client: Client) -> None:
    response = client.get("/api/v1/occurrences/?starts_before=0.5")

    assert (response.status_code, response.json()["field"]) == (422, "starts_before")


@pytest.mark.parametrize(("amount", "stored"), [("62.50", "62.50"), (62.509, "62.50"), (0, "0.00")])
def test_an_amount_is_a_number_or_a_decimal_string(
    client: Client, amount: object, stored: str
) -> None:
    from knowflow.accounts.models import OrgUnit

    unit = OrgUnit.objects.create(name="Data", slug="data")
    response = _post(
        client, "/api/v1/insights/hourly-costs", {"amount": amount, "org_unit_id": unit.pk}
    )

    assert response.status_code == 201, response.content
    assert response.json()["amount"] == stored


def test_an_unknown_time_zone_is_a_422_listing_none_of_the_others(client: Client) -> None:
    response = _post(
        client,
        "/api/v1/planning/find-a-time",
        {
            "audience": {"people": []},
            "duration_min": 60,
            "window_start": "2030-01-07T00:00:00Z",
            "window_end": "2030-01-11T00:00:00Z",
            "tz": "Mars/Olympus",
        },
    )

    assert (response.status_code, response.json()["field"]) == (422, "tz")
    assert response.json()["detail"] == (
        "tz: 'Mars/Olympus' is not a time zone; give an IANA name like Europe/Berlin."
    )


def test_a_nul_character_in_a_json_body_is_dropped_on_every_database(client: Client) -> None:
    # PostgreSQL cannot store NUL in text: the same request failed there and passed on SQLite.
    response = client.post(
        "/api/v1/library/collections",
        data={"title": "Rust\x00 basics", "description": "a\x00b", "kind": "collection"},
        content_type="application/json",
    )

    assert response.status_code == 201
    assert (response.json()["title"], response.json()["description"]) == ("Rust basics", "ab")
