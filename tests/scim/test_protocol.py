"""/scim/v2/ as an identity provider sees it: status codes, bodies, and what Knowflow kept."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from knowflow.accounts.models import OrgUnit, Person
from knowflow.scim.models import ScimGroup, ScimToken, ScimUser
from knowflow.scim.services import scim_token_revoke
from tests.factories import make_person
from tests.scim.conftest import ENTERPRISE, ERROR, GROUP, USER, Scim, user_body

SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"

pytestmark = pytest.mark.django_db


def _error(response: object, status: int, scim_type: str | None) -> str:
    assert response.status_code == status, response.json_body
    assert response["Content-Type"] == "application/scim+json"
    body = response.json_body
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type
    return body["detail"]


def test_user_create_makes_a_person_found_by_get(scim: Scim) -> None:
    created = scim.post("Users", user_body("grace@example.org", displayName="Grace Hopper"))
    assert created.status_code == 201, created.json_body
    body = created.json_body
    assert body["userName"] == "grace@example.org"
    assert body["displayName"] == "Grace Hopper"
    assert body["active"] is True
    assert created["Location"] == f"http://testserver/scim/v2/Users/{body['id']}"
    person = Person.objects.get(email="grace@example.org")
    assert person.display_name == "Grace Hopper"
    fetched = scim.get(f"Users/{body['id']}")
    assert fetched.status_code == 200
    assert fetched.json_body["emails"] == [
        {"value": "grace@example.org", "type": "work", "primary": True}
    ]
    assert fetched.json_body["schemas"] == [USER]
    assert fetched.json_body["meta"]["resourceType"] == "User"


def test_user_create_links_the_unprovisioned_person_with_that_email(scim: Scim) -> None:
    existing = make_person(name="Linus Existing")
    created = scim.post("Users", user_body(existing.email.upper(), displayName="Linus T."))
    assert created.status_code == 201, created.json_body
    assert Person.objects.filter(email__iexact=existing.email).count() == 1
    existing.refresh_from_db()
    assert existing.display_name == "Linus T."
    assert existing.scim.scim_id.hex == created.json_body["id"]


def test_request_without_a_valid_token_is_refused_in_scim_format(scim: Scim) -> None:
    anonymous = Scim("")
    detail = _error(anonymous.get("Users"), 401, None)
    assert detail == "A valid SCIM bearer token is required (an admin creates one)."
    assert anonymous.get("Users")["WWW-Authenticate"] == 'Bearer realm="Knowflow SCIM"'
    assert _error(Scim("kfscim_guessed").get("Users"), 401, None) == detail
    assert scim.get("Users").status_code == 200
    admin = Person.objects.get(display_name="Ada Admin")
    scim_token_revoke(token=ScimToken.objects.get(), actor=admin)
    assert _error(scim.get("Users"), 401, None) == detail


def test_token_use_is_recorded(scim: Scim) -> None:
    assert ScimToken.objects.get().last_used_at is None
    scim.get("ServiceProviderConfig")
    assert ScimToken.objects.get().last_used_at is not None


def test_duplicate_user_name_is_a_uniqueness_conflict(scim: Scim) -> None:
    assert scim.post("Users", user_body("ada@example.org")).status_code == 201
    body = user_body("ADA@example.org")
    body["emails"] = [{"value": "other@example.org", "primary": True}]
    detail = _error(scim.post("Users", body), 409, "uniqueness")
    assert detail == "Another user already has the userName 'ADA@example.org'."
    assert ScimUser.objects.count() == 1


def test_email_of_another_provisioned_person_is_a_conflict(scim: Scim) -> None:
    assert scim.post("Users", user_body("ada@example.org")).status_code == 201
    body = user_body("ada2")
    body["emails"] = [{"value": "ada@example.org", "primary": True}]
    detail = _error(scim.post("Users", body), 409, "uniqueness")
    assert detail == "Another user already has the email address ada@example.org."


@pytest.mark.parametrize(
    ("extra", "detail"),
    [
        (
            {"timezone": "Mars/Olympus"},
            "'Mars/Olympus' is not a known time zone (e.g. Europe/Berlin).",
        ),
        ({"locale": "xx-NOPE"}, "'xx-NOPE' is not a known locale (e.g. en-GB, de-CH)."),
        ({"userName": "  "}, "userName is required."),
    ],
)
def test_bad_values_are_refused_and_nothing_is_created(
    scim: Scim, extra: dict, detail: str
) -> None:
    people = Person.objects.count()
    assert (
        _error(scim.post("Users", user_body("x@example.org", **extra)), 400, "invalidValue")
        == detail
    )
    assert Person.objects.count() == people
    assert ScimUser.objects.count() == 0


def test_body_that_is_not_json_is_invalid_syntax(scim: Scim) -> None:
    response = scim.client.post(
        "/scim/v2/Users",
        data=b"{not json",
        content_type="application/scim+json",
        HTTP_AUTHORIZATION=f"Bearer {scim.secret}",
    )
    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidSyntax"


def test_unknown_endpoint_and_id_are_scim_404s(scim: Scim) -> None:
    assert _error(scim.get("Nope"), 404, None) == "There is no SCIM endpoint /Nope."
    assert _error(scim.get("Users/not-an-id"), 404, None) == "There is no user with id not-an-id."
    assert _error(scim.get("Groups/" + "0" * 32), 404, None).startswith("There is no group with id")


def _users(scim: Scim) -> dict[str, str]:
    ids = {}
    for name, display, external in [
        ("alice@corp.example", "Alice Adams", "E-1"),
        ("bob@corp.example", "Bob Brown", "E-2"),
        ("carol@other.example", "Carol Clark", "E-3"),
    ]:
        response = scim.post("Users", user_body(name, displayName=display, externalId=external))
        assert response.status_code == 201, response.json_body
        ids[name] = response.json_body["id"]
    return ids


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ('userName eq "ALICE@corp.example"', ["alice@corp.example"]),
        ('userName co "corp"', ["alice@corp.example", "bob@corp.example"]),
        ('userName sw "b"', ["bob@corp.example"]),
        ('emails.value ew "other.example"', ["carol@other.example"]),
        ('emails[value eq "bob@corp.example"]', ["bob@corp.example"]),
        ('externalId eq "E-3"', ["carol@other.example"]),
        ('externalId eq "e-3"', []),
        ('displayName co "ar" and userName sw "c"', ["carol@other.example"]),
        (
            'displayName eq "Alice Adams" or externalId eq "E-2"',
            ["alice@corp.example", "bob@corp.example"],
        ),
        ("externalId pr", ["alice@corp.example", "bob@corp.example", "carol@other.example"]),
        ('not (userName co "corp")', ["carol@other.example"]),
        (
            'userName ne "bob@corp.example" and active eq true',
            ["alice@corp.example", "carol@other.example"],
        ),
    ],
)
def test_user_filters(scim: Scim, filter_text: str, expected: list[str]) -> None:
    _users(scim)
    response = scim.get("Users", filter=filter_text)
    assert response.status_code == 200, response.json_body
    body = response.json_body
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert [u["userName"] for u in body.get("Resources", [])] == expected
    assert body["totalResults"] == len(expected)


@pytest.mark.parametrize(
    ("filter_text", "detail"),
    [
        ("userName eq", "The filter is not valid SCIM: invalid syntax at column 10."),
        (
            'nickName eq "x"',
            "Filtering on 'nickName' is not supported; filter on active, department, displayName",
        ),
        ('active eq "yes"', "'active' compares only with eq or ne and true or false."),
    ],
)
def test_bad_filter_is_invalid_filter(scim: Scim, filter_text: str, detail: str) -> None:
    found = _error(scim.get("Users", filter=filter_text), 400, "invalidFilter")
    assert found.startswith(detail.split(";")[0])


def test_a_filter_of_thousands_of_comparisons_is_refused_not_a_500(scim: Scim) -> None:
    _users(scim)
    huge = " or ".join(['userName eq "alice@corp.example"'] * 3000)
    detail = "The filter has more than 100 comparisons: split it into several requests."
    assert _error(scim.get("Users", filter=huge), 400, "invalidFilter") == detail
    assert _error(scim.get("Groups", filter=huge), 400, "invalidFilter") == detail
    searched = scim.post(".search", {"schemas": [SEARCH], "filter": huge})
    assert _error(searched, 400, "invalidFilter") == detail
    hundred = " or ".join(['userName eq "alice@corp.example"'] * 100)
    assert scim.get("Users", filter=hundred).json_body["totalResults"] == 1


def test_paging_with_start_index_and_count(scim: Scim) -> None:
    ids = _users(scim)
    page = scim.get("Users", startIndex="2", count="1").json_body
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (3, 2, 1)
    assert [u["id"] for u in page["Resources"]] == [ids["bob@corp.example"]]
    only_total = scim.get("Users", count="0").json_body
    assert (only_total["totalResults"], only_total.get("Resources")) == (3, [])
    assert (
        _error(scim.get("Users", count="many"), 400, "invalidValue")
        == "count must be a whole number."
    )


def test_paging_past_the_end_with_a_huge_start_index_reads_an_empty_page(scim: Scim) -> None:
    _users(scim)
    scim.post("Groups", {"schemas": [GROUP], "displayName": "Platform"})
    huge = str(10**25)
    users = scim.get("Users", startIndex=huge)
    assert users.status_code == 200, users.json_body
    assert (users.json_body["totalResults"], users.json_body.get("Resources")) == (3, [])
    groups = scim.get("Groups", startIndex=huge)
    assert groups.status_code == 200, groups.json_body
    assert (groups.json_body["totalResults"], groups.json_body.get("Resources")) == (1, [])
    searched = scim.post(".search", {"schemas": [SEARCH], "startIndex": 10**25})
    assert searched.status_code == 200, searched.json_body
    assert (searched.json_body["totalResults"], searched.json_body.get("Resources")) == (4, [])


def test_listing_takes_the_same_queries_for_ten_or_forty_users(scim: Scim) -> None:
    for n in range(40):
        scim.post("Users", user_body(f"p{n}@example.org"))
    counts = []
    for count in ("10", "40"):
        with CaptureQueriesContext(connection) as queries:
            assert len(scim.get("Users", count=count).json_body["Resources"]) == int(count)
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_put_replaces_and_patch_with_and_without_path(scim: Scim) -> None:
    user_id = scim.post("Users", user_body("dan@example.org")).json_body["id"]
    put = scim.put(
        f"Users/{user_id}",
        user_body("dan@example.org", displayName="Dan Day", timezone="Asia/Kolkata"),
    )
    assert put.status_code == 200, put.json_body
    assert (put.json_body["displayName"], put.json_body["timezone"]) == ("Dan Day", "Asia/Kolkata")
    patched = scim.patch(
        f"Users/{user_id}",
        {"op": "replace", "value": {"displayName": "Daniel Day", "locale": "de-CH"}},
        {"op": "replace", "path": "timezone", "value": "Europe/Zurich"},
    )
    assert patched.status_code == 200, patched.json_body
    person = Person.objects.get(email="dan@example.org")
    assert (person.display_name, person.timezone) == ("Daniel Day", "Europe/Zurich")
    assert person.languages == ["de"]
    assert patched.json_body["locale"] == "de-CH"
    removed = scim.patch(f"Users/{user_id}", {"op": "remove", "path": "locale"})
    assert "locale" not in removed.json_body
    refused = scim.patch(
        f"Users/{user_id}", {"op": "replace", "path": "timezone", "value": "Nowhere"}
    )
    assert (
        _error(refused, 400, "invalidValue")
        == "'Nowhere' is not a known time zone (e.g. Europe/Berlin)."
    )
    person.refresh_from_db()
    assert person.timezone == "Europe/Zurich"


def test_department_is_the_org_unit_created_as_a_team_if_missing(scim: Scim) -> None:
    body = user_body("eve@example.org")
    body["schemas"] = [USER, ENTERPRISE]
    body[ENTERPRISE] = {"department": "Platform Engineering"}
    created = scim.post("Users", body)
    assert created.status_code == 201, created.json_body
    unit = OrgUnit.objects.get(name="Platform Engineering")
    assert unit.kind == OrgUnit.Kind.TEAM
    assert Person.objects.get(email="eve@example.org").org_unit == unit
    assert created.json_body[ENTERPRISE] == {"department": "Platform Engineering"}
    again = user_body("fay@example.org")
    again[ENTERPRISE] = {"department": "platform engineering"}
    scim.post("Users", again)
    assert OrgUnit.objects.filter(name__iexact="platform engineering").count() == 1


def test_without_department_a_person_takes_the_managers_org_unit(scim: Scim) -> None:
    boss = user_body("boss@example.org")
    boss[ENTERPRISE] = {"department": "Data"}
    boss_id = scim.post("Users", boss).json_body["id"]
    report = user_body("report@example.org")
    report[ENTERPRISE] = {"manager": {"value": boss_id}}
    created = scim.post("Users", report)
    assert created.status_code == 201, created.json_body
    assert Person.objects.get(email="report@example.org").org_unit.name == "Data"
    manager = created.json_body[ENTERPRISE]["manager"]
    assert manager["value"] == boss_id
    found = scim.get("Users", filter=f'manager.value eq "{boss_id}"').json_body
    assert [u["userName"] for u in found["Resources"]] == ["report@example.org"]


def test_groups_members_add_remove_and_filter(scim: Scim) -> None:
    ids = _users(scim)
    alice, bob = ids["alice@corp.example"], ids["bob@corp.example"]
    created = scim.post(
        "Groups",
        {"schemas": [GROUP], "displayName": "Learning team", "members": [{"value": alice}]},
    )
    assert created.status_code == 201, created.json_body
    group_id = created.json_body["id"]
    added = scim.patch(
        f"Groups/{group_id}", {"op": "add", "path": "members", "value": [{"value": bob}]}
    )
    assert added.status_code == 200, added.json_body
    assert sorted(m["value"] for m in added.json_body["members"]) == sorted([alice, bob])
    removed = scim.patch(
        f"Groups/{group_id}", {"op": "remove", "path": f'members[value eq "{alice}"]'}
    )
    assert [m["value"] for m in removed.json_body["members"]] == [bob]
    found = scim.get("Groups", filter=f'members eq "{bob}"').json_body
    assert [g["displayName"] for g in found["Resources"]] == ["Learning team"]
    user = scim.get(f"Users/{bob}").json_body
    assert [g["display"] for g in user["groups"]] == ["Learning team"]
    unknown = scim.patch(
        f"Groups/{group_id}", {"op": "add", "path": "members", "value": [{"value": "0" * 32}]}
    )
    assert (
        _error(unknown, 400, "invalidValue")
        == f"There is no user with id {'0' * 32} to add to the group."
    )
    assert list(ScimGroup.objects.get().members.values_list("user_name", flat=True)) == [
        "bob@corp.example"
    ]
    duplicate = scim.post("Groups", {"schemas": [GROUP], "displayName": "LEARNING team"})
    assert (
        _error(duplicate, 409, "uniqueness") == "Another group is already called 'LEARNING team'."
    )
    assert scim.delete(f"Groups/{group_id}").status_code == 204
    assert scim.get(f"Groups/{group_id}").status_code == 404


def test_discovery_endpoints(scim: Scim) -> None:
    config = scim.get("ServiceProviderConfig").json_body
    assert (config["patch"]["supported"], config["filter"]["supported"]) == (True, True)
    assert config["filter"]["maxResults"] == 1000
    types = scim.get("ResourceTypes").json_body
    assert sorted(t["name"] for t in types["Resources"]) == ["Group", "User"]
    user = scim.get(f"Schemas/{USER}").json_body
    assert [a["name"] for a in user["attributes"]] == [
        "userName",
        "name",
        "displayName",
        "locale",
        "timezone",
        "active",
        "emails",
        "groups",
    ]
    enterprise = scim.get(f"Schemas/{ENTERPRISE}").json_body
    assert [a["name"] for a in enterprise["attributes"]] == ["department", "manager"]


def test_search_requests_and_attribute_selection(scim: Scim) -> None:
    ids = _users(scim)
    scim.post("Groups", {"schemas": [GROUP], "displayName": "Alice fans"})
    search = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": 'displayName sw "Alice"',
        "attributes": ["displayName"],
    }
    users = scim.post("Users/.search", search).json_body
    assert users["totalResults"] == 1
    assert users["Resources"] == [
        {
            "schemas": [USER],
            "id": ids["alice@corp.example"],
            "displayName": "Alice Adams",
        }
    ]
    both = scim.post(".search", {**search, "attributes": None}).json_body
    assert sorted(r["displayName"] for r in both["Resources"]) == ["Alice Adams", "Alice fans"]
    bad = scim.post(".search", {**search, "filter": "displayName zz"})
    assert _error(bad, 400, "invalidFilter") == "filter: invalid syntax at column 13"
    only = scim.get(
        "Users", excludedAttributes="emails,groups", filter='userName eq "bob@corp.example"'
    )
    assert "emails" not in only.json_body["Resources"][0]
    assert only.json_body["Resources"][0]["userName"] == "bob@corp.example"
