"""Knowflow's people and groups as SCIM resources, and the discovery documents.

The representation is built with scim2-models' resource classes, so what we answer has the
shapes RFC 7643 gives. Knowflow's own fields win over what the provider once sent: a person
who changed their time zone on their profile is shown with the zone they chose.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    EnterpriseUser,
    ETag,
    Filter,
    Group,
    GroupMember,
    Manager,
    Meta,
    Patch,
    Reference,
    ResourceType,
    Schema,
    ServiceProviderConfig,
    Sort,
    User,
)
from scim2_models.resources.user import GroupMembership

from knowflow.scim.models import ScimGroup, ScimUser

ScimUserResource = User[EnterpriseUser]
MAX_RESULTS = 1000
DEFAULT_COUNT = 100

# The attributes Knowflow keeps; the Schemas endpoint publishes only these, so a provider
# (and scim2-tester) knows what is stored and what would be dropped.
USER_ATTRIBUTES = (
    "userName",
    "name",
    "displayName",
    "locale",
    "timezone",
    "active",
    "emails",
    "groups",
)
ENTERPRISE_ATTRIBUTES = ("department", "manager")
GROUP_ATTRIBUTES = ("displayName", "members")
# Attributes shown only while the provider manages them (ScimUser.attributes["managed"]).
MANAGED = ("displayName", "timezone", "active", "department")


def _meta(resource_type: str, location: str, created: Any, modified: Any) -> Meta:
    return Meta(
        resource_type=resource_type,
        created=created,
        last_modified=modified,
        location=location,
        version=f'W/"{int(modified.timestamp() * 1_000_000)}"',
    )


def user_resource(*, scim_user: ScimUser, base_url: str) -> ScimUserResource:
    """The SCIM User for a provisioned person (their groups prefetched as ``groups``)."""
    person = scim_user.person
    stored = scim_user.attributes or {}
    emails = [dict(e) for e in stored.get("emails") or []]
    if person.email and not any(
        (e.get("value") or "").lower() == person.email.lower() for e in emails
    ):
        emails = [{"value": person.email, "type": "work", "primary": True}]
    if not person.email:
        emails = []
    location = f"{base_url}/Users/{scim_user.scim_id.hex}"
    managed = set(stored.get("managed", MANAGED))
    active = person.deactivated_at is None
    user = ScimUserResource.model_validate(
        {
            "id": scim_user.scim_id.hex,
            "userName": scim_user.user_name,
            "displayName": person.display_name if "displayName" in managed else None,
            "name": stored.get("name") or None,
            "locale": stored.get("locale") or None,
            "timezone": person.timezone if "timezone" in managed else None,
            # Whoever deactivated them (SCIM, an admin, the people file): the state as it is.
            "active": active if "active" in managed else None,
            "emails": emails or None,
        }
    )
    user.external_id = scim_user.external_id or None
    user.meta = _meta("User", location, scim_user.created_at, scim_user.updated_at)
    user.groups = [
        GroupMembership(
            value=group.scim_id.hex,
            display=group.display_name,
            ref=Reference[Group](f"{base_url}/Groups/{group.scim_id.hex}"),
            type="direct",
        )
        for group in scim_user.groups.all()
    ] or None
    unit = person.org_unit
    department = unit.name if unit is not None and "department" in managed else None
    manager = None
    if scim_user.manager_scim_id:
        manager = Manager(
            value=scim_user.manager_scim_id,
            ref=Reference[User[Any]](f"{base_url}/Users/{scim_user.manager_scim_id}"),
        )
    if department or manager:
        user[EnterpriseUser] = EnterpriseUser(department=department, manager=manager)
    return user


USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def user_document(*, scim_user: ScimUser, base_url: str) -> dict[str, Any]:
    """`user_resource(...)` as the JSON a listing answers, written directly.

    A page of 100 users spent most of its time building and dumping scim2-models objects;
    a listing without `attributes` / `excludedAttributes` uses this instead. It must say
    exactly what the model says: `tests/scim/test_listing.py` compares the two for users
    with and without each optional part."""
    person = scim_user.person
    stored = scim_user.attributes or {}
    emails = [dict(e) for e in stored.get("emails") or []]
    if person.email and not any(
        (e.get("value") or "").lower() == person.email.lower() for e in emails
    ):
        emails = [{"value": person.email, "type": "work", "primary": True}]
    if not person.email:
        emails = []
    scim_id = scim_user.scim_id.hex
    managed = set(stored.get("managed", MANAGED))
    modified = scim_user.updated_at
    doc: dict[str, Any] = {"schemas": [USER_SCHEMA], "id": scim_id}
    if scim_user.external_id:
        doc["externalId"] = scim_user.external_id
    doc["meta"] = {
        "resourceType": "User",
        "created": _when(scim_user.created_at),
        "lastModified": _when(modified),
        "location": f"{base_url}/Users/{scim_id}",
        "version": f'W/"{int(modified.timestamp() * 1_000_000)}"',
    }
    doc["userName"] = scim_user.user_name
    if stored.get("name"):
        doc["name"] = stored["name"]
    if "displayName" in managed and person.display_name:
        doc["displayName"] = person.display_name
    if stored.get("locale"):
        doc["locale"] = stored["locale"]
    if "timezone" in managed and person.timezone:
        doc["timezone"] = person.timezone
    if "active" in managed:
        doc["active"] = person.deactivated_at is None
    if emails:
        doc["emails"] = emails
    groups = [
        {
            "value": group.scim_id.hex,
            "$ref": f"{base_url}/Groups/{group.scim_id.hex}",
            "display": group.display_name,
            "type": "direct",
        }
        for group in scim_user.groups.all()
    ]
    if groups:
        doc["groups"] = groups
    unit = person.org_unit
    enterprise: dict[str, Any] = {}
    if unit is not None and "department" in managed and unit.name:
        enterprise["department"] = unit.name
    if scim_user.manager_scim_id:
        enterprise["manager"] = {
            "value": scim_user.manager_scim_id,
            "$ref": f"{base_url}/Users/{scim_user.manager_scim_id}",
        }
    if enterprise:
        doc["schemas"].append(ENTERPRISE_SCHEMA)
        doc[ENTERPRISE_SCHEMA] = enterprise
    return doc


def group_resource(*, group: ScimGroup, base_url: str) -> Group:
    """The SCIM Group (its members prefetched with their people)."""
    location = f"{base_url}/Groups/{group.scim_id.hex}"
    resource = Group(
        id=group.scim_id.hex,
        display_name=group.display_name,
        members=[
            GroupMember(
                value=member.scim_id.hex,
                ref=Reference[User[Any] | Group](f"{base_url}/Users/{member.scim_id.hex}"),
                type="User",
            )
            for member in group.members.all()
        ]
        or None,
    )
    resource.external_id = group.external_id or None
    resource.meta = _meta("Group", location, group.created_at, group.updated_at)
    return resource


def service_provider_config(*, base_url: str) -> ServiceProviderConfig:
    return ServiceProviderConfig(
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=False),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="Bearer token",
                description="A token an admin creates on Knowflow's SCIM settings page.",
                primary=True,
            )
        ],
        meta=Meta(
            resource_type="ServiceProviderConfig", location=base_url + "/ServiceProviderConfig"
        ),
    )


# Published as canonical values (RFC 7643 §2.3.1: suggestions, not a closed set), so a client
# knows the form we validate: an IANA zone and a BCP 47 language tag Babel knows.
TIMEZONE_EXAMPLES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney"]
LOCALE_EXAMPLES = ["en-US", "en-GB", "de-DE", "fr-FR", "ja-JP"]


def _trimmed(schema: Schema, keep: tuple[str, ...], base_url: str) -> Schema:
    schema.attributes = [a for a in schema.attributes or [] if a.name in keep]
    for attribute in schema.attributes:
        if attribute.name == "timezone":
            attribute.canonical_values = TIMEZONE_EXAMPLES
        elif attribute.name == "locale":
            attribute.canonical_values = LOCALE_EXAMPLES
        elif attribute.name == "members":
            # RFC 7643 §4.2: a member is a value, its $ref and its type; its name is the
            # user's own, not something a group sets.
            attribute.sub_attributes = [
                sub for sub in attribute.sub_attributes or [] if sub.name != "display"
            ]
    schema.meta = Meta(resource_type="Schema", location=f"{base_url}/Schemas/{schema.id}")
    return schema


def schemas(*, base_url: str) -> list[Schema]:
    """The schemas we serve, each with only the attributes Knowflow keeps."""
    return [
        _trimmed(User.to_schema(), USER_ATTRIBUTES, base_url),
        _trimmed(EnterpriseUser.to_schema(), ENTERPRISE_ATTRIBUTES, base_url),
        _trimmed(Group.to_schema(), GROUP_ATTRIBUTES, base_url),
    ]


def resource_types(*, base_url: str) -> list[ResourceType]:
    found = []
    for model, name in ((ScimUserResource, "User"), (Group, "Group")):
        resource_type = ResourceType.from_resource(model)
        resource_type.meta = Meta(
            resource_type="ResourceType", location=f"{base_url}/ResourceTypes/{name}"
        )
        found.append(resource_type)
    return found
