"""Changes made over SCIM: people and groups as an identity provider sends them, and tokens.

The rules (docs/integrations.md, "Provisioning people with SCIM"):

- The email is the key a person is known by, shared with sign-in through the company's
  provider: a new SCIM user whose email an existing, unprovisioned person has becomes that
  person; an email another person already has is a uniqueness conflict (409).
- ``active: false`` and DELETE deactivate the person through accounts' own service, which
  keeps their history and authorship and releases their future places. DELETE also forgets
  the SCIM id, so the provider may create the person again (a re-hire), which reactivates
  them.
- The enterprise ``department`` is the person's org unit (found by name, created as a team if
  missing); without a department, the person takes the org unit of the ``manager`` named.
- Group membership grants roles through ``accounts.roles.role_for_groups`` when the
  KNOWFLOW_ROLE_GROUPS mapping is configured; otherwise roles are left as an admin set them.

Every change is one transaction: a refused request writes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from babel import Locale, UnknownLocaleError
from django.db import transaction
from django.utils import timezone
from scim2_models import EnterpriseUser, Group, PatchOp
from scim2_models.exceptions import SCIMException

from knowflow.accounts.models import OrgUnit, Person, User
from knowflow.accounts.roles import role_for_groups
from knowflow.accounts.search import PERSON
from knowflow.accounts.services import (
    check_timezone,
    person_create,
    person_deactivate,
    person_reactivate,
    unique_slug,
)
from knowflow.errors import DomainError, Forbidden
from knowflow.scim.errors import ScimProblem
from knowflow.scim.models import ScimGroup, ScimToken, ScimUser
from knowflow.scim.permissions import can_manage_scim
from knowflow.scim.resources import ScimUserResource, group_resource, user_resource
from knowflow.sealing import digest, new_secret
from knowflow.search.index import index_write

TOKEN_PREFIX = "kfscim_"


# Tokens ------------------------------------------------------------------------------------


@transaction.atomic
def scim_token_create(*, name: str, actor: Person) -> tuple[ScimToken, str]:
    """A new token for an identity provider; the secret is returned once, only its hash kept."""
    if not can_manage_scim(actor=actor):
        raise Forbidden("Only an admin can create SCIM tokens.")
    name = name.strip()
    if not name:
        raise DomainError("Give the token a name, e.g. 'Entra ID'.", field="name")
    secret = new_secret(TOKEN_PREFIX)
    token = ScimToken.objects.create(
        name=name[:100], prefix=secret[:12], key_hash=digest(secret), created_by=actor
    )
    return token, secret


@transaction.atomic
def scim_token_revoke(*, token: ScimToken, actor: Person) -> None:
    """Revoke a token: the provider holding it is refused from its next request on."""
    if not can_manage_scim(actor=actor):
        raise Forbidden("Only an admin can revoke SCIM tokens.")
    token.delete()


def scim_token_authenticate(*, secret: str) -> ScimToken | None:
    """The token a bearer secret is, or None; notes its use at most once a minute."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = ScimToken.objects.filter(key_hash=digest(secret)).first()
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ScimToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


# Users -------------------------------------------------------------------------------------


def _invalid(detail: str) -> ScimProblem:
    return ScimProblem(400, "invalidValue", detail)


def _conflict(detail: str) -> ScimProblem:
    return ScimProblem(409, "uniqueness", detail)


def _email_of(resource: ScimUserResource) -> str:
    emails = [e for e in resource.emails or [] if e.value]
    primary = next((e for e in emails if e.primary), emails[0] if emails else None)
    if primary is not None:
        return str(primary.value).strip()
    if resource.user_name and "@" in resource.user_name:
        return resource.user_name.strip()
    return ""


def _display_name_of(resource: ScimUserResource) -> str:
    if resource.display_name and resource.display_name.strip():
        return resource.display_name.strip()
    name = resource.name
    if name is not None:
        if name.formatted and name.formatted.strip():
            return name.formatted.strip()
        parts = " ".join(p for p in (name.given_name, name.family_name) if p)
        if parts.strip():
            return parts.strip()
    return (resource.user_name or "").strip()


def _check_locale(text: str) -> str:
    try:
        Locale.parse(text.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError) as error:
        raise _invalid(f"'{text}' is not a known locale (e.g. en-GB, de-CH).") from error
    return text


def _org_unit_named(name: str) -> OrgUnit:
    unit = OrgUnit.objects.filter(name__iexact=name).order_by("id").first()
    if unit is None:
        unit = OrgUnit.objects.create(
            name=name[:120], slug=unique_slug(OrgUnit, name), kind=OrgUnit.Kind.TEAM
        )
    return unit


def _org_unit_for(resource: ScimUserResource, manager_id: str) -> OrgUnit | None:
    """The department's unit, else the manager's unit, else None (leave as it is)."""
    enterprise = resource[EnterpriseUser]
    department = (enterprise.department or "").strip() if enterprise else ""
    if department:
        return _org_unit_named(department)
    if manager_id:
        manager = (
            ScimUser.objects.select_related("person__org_unit")
            .filter(scim_id=uuid.UUID(manager_id))
            .first()
            if _is_uuid(manager_id)
            else None
        )
        if manager is not None and manager.person.org_unit_id:
            return manager.person.org_unit
    return None


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _is_active(person: Person) -> bool:
    return person.deactivated_at is None


def _free_username(wanted: str) -> str:
    base, n = wanted[:140], 1
    name = base
    while User.objects.filter(username=name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def _kept_attributes(resource: ScimUserResource) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    if resource.name is not None:
        kept["name"] = resource.name.model_dump(mode="json", by_alias=True, exclude_none=True)
    if resource.emails:
        kept["emails"] = [
            e.model_dump(mode="json", by_alias=True, exclude_none=True) for e in resource.emails
        ]
    if resource.locale:
        kept["locale"] = resource.locale
    # The attributes the provider manages, given back only while it does: removing
    # `timezone` leaves the person's zone as they set it, but SCIM no longer shows one.
    enterprise = resource[EnterpriseUser]
    kept["managed"] = [
        name
        for name, value in (
            ("displayName", resource.display_name),
            ("timezone", resource.timezone),
            ("active", resource.active),
            ("department", enterprise.department if enterprise else None),
        )
        if value is not None and value != ""
    ]
    return kept


def _checked(resource: ScimUserResource, *, scim_user: ScimUser | None) -> dict[str, Any]:
    """What the resource asks for, validated; raises ScimProblem before anything is written."""
    user_name = (resource.user_name or "").strip()
    if not user_name:
        raise _invalid("userName is required.")
    if len(user_name) > 150:
        raise _invalid("userName is longer than 150 characters.")
    clash = ScimUser.objects.filter(user_name_key=user_name.lower())
    if scim_user is not None:
        clash = clash.exclude(pk=scim_user.pk)
    if clash.exists():
        raise _conflict(f"Another user already has the userName '{user_name}'.")
    email = _email_of(resource)
    if email and ("@" not in email or len(email) > 254):
        raise _invalid(f"'{email}' is not an email address.")
    timezone_name = None
    if resource.timezone:
        try:
            timezone_name = check_timezone(resource.timezone)
        except DomainError as error:
            raise _invalid(error.message) from error
    if resource.locale:
        _check_locale(resource.locale)
    enterprise = resource[EnterpriseUser]
    manager_id = ""
    if enterprise is not None and enterprise.manager is not None and enterprise.manager.value:
        manager_id = str(enterprise.manager.value).strip()[:64]
    display_name = _display_name_of(resource)[:150]
    return {
        "user_name": user_name,
        "email": email,
        "display_name": display_name,
        "timezone": timezone_name,
        "locale": resource.locale or "",
        "manager_id": manager_id,
        "org_unit": _org_unit_for(resource, manager_id),
        "external_id": (resource.external_id or "").strip()[:255],
        "active": resource.active,
        "attributes": _kept_attributes(resource),
    }


def _email_taken(email: str, person: Person | None) -> None:
    if not email:
        return
    others = Person.objects.filter(email__iexact=email)
    if person is not None:
        others = others.exclude(pk=person.pk)
    if others.exists():
        raise _conflict(f"Another person already has the email address {email}.")


def _languages_with(person: Person, locale: str) -> list[str]:
    if not locale:
        return list(person.languages)
    language = Locale.parse(locale.replace("-", "_")).language
    return person.languages if language in person.languages else [language, *person.languages]


def _set_active(person: Person, active: bool | None) -> None:
    if active is False and _is_active(person):
        person_deactivate(person=person, actor=None)
    elif active is True and not _is_active(person):
        person_reactivate(person=person, actor=None)


@transaction.atomic
def scim_user_create(*, resource: ScimUserResource) -> ScimUser:
    """Provision a person: link the unprovisioned person who has the email, or create one."""
    if resource.active is None:
        resource.active = True  # a creation without `active` means active: a re-hire comes back
    wanted = _checked(resource, scim_user=None)
    person = None
    if wanted["email"]:
        person = (
            Person.objects.select_for_update(of=("self",))
            .filter(email__iexact=wanted["email"], scim__isnull=True)
            .order_by("id")
            .first()
        )
        if person is None and Person.objects.filter(email__iexact=wanted["email"]).exists():
            raise _conflict(f"Another user already has the email address {wanted['email']}.")
    if person is None:
        person = person_create(
            display_name=wanted["display_name"],
            username=_free_username(wanted["user_name"]),
            email=wanted["email"],
            timezone_name=wanted["timezone"] or "UTC",
            org_unit=wanted["org_unit"],
        )
    scim_user = ScimUser(person=person)
    _write(scim_user, wanted)
    return scim_user


def _write(scim_user: ScimUser, wanted: dict[str, Any]) -> None:
    person = scim_user.person
    # A person's search document holds their name: rewritten only when the name changes
    # (person_create wrote it for a new person).
    renamed = scim_user.pk is not None and person.display_name != wanted["display_name"]
    person.display_name = wanted["display_name"]
    person.email = wanted["email"]
    if wanted["timezone"]:
        person.timezone = wanted["timezone"]
    if wanted["org_unit"] is not None:
        person.org_unit = wanted["org_unit"]
    person.languages = _languages_with(person, wanted["locale"])
    person.save(update_fields=["display_name", "email", "timezone", "org_unit", "languages"])
    if person.user is not None and person.user.email != person.email:
        User.objects.filter(pk=person.user.pk).update(email=person.email)
    scim_user.user_name = wanted["user_name"]
    scim_user.user_name_key = wanted["user_name"].lower()
    scim_user.external_id = wanted["external_id"]
    scim_user.manager_scim_id = wanted["manager_id"]
    scim_user.attributes = wanted["attributes"]
    scim_user.save()
    _set_active(person, wanted["active"])
    if renamed:
        index_write(kind=PERSON, object_ids=[person.pk])


@transaction.atomic
def scim_user_replace(*, scim_user: ScimUser, resource: ScimUserResource) -> ScimUser:
    """PUT: the person as the resource describes them (a zone not sent is left as it is)."""
    scim_user = ScimUser.objects.select_for_update().select_related("person").get(pk=scim_user.pk)
    wanted = _checked(resource, scim_user=scim_user)
    _email_taken(wanted["email"], scim_user.person)
    _write(scim_user, wanted)
    return scim_user


@transaction.atomic
def scim_user_patch(*, scim_user: ScimUser, patch: PatchOp, base_url: str) -> ScimUser:
    """PATCH (RFC 7644 §3.5.2): the operations applied to the user as it stands, then saved
    as a replacement, so PATCH and PUT share every rule."""
    resource = user_resource(scim_user=scim_user, base_url=base_url)
    try:
        patch.patch(resource)
    except SCIMException as error:
        raise ScimProblem(400, error.scim_type or "invalidValue", error.detail) from error
    return scim_user_replace(scim_user=scim_user, resource=resource)


@transaction.atomic
def scim_user_delete(*, scim_user: ScimUser) -> None:
    """DELETE: deactivate the person (history and authorship stay) and forget the SCIM id."""
    person = scim_user.person
    if _is_active(person):
        person_deactivate(person=person, actor=None)
    scim_user.delete()


# Groups ------------------------------------------------------------------------------------


def _roles_sync(scim_users: Iterable[ScimUser]) -> None:
    """Give each person the role their groups grant (no mapping configured: leave roles)."""
    for scim_user in (
        ScimUser.objects.filter(pk__in=[u.pk for u in scim_users])
        .select_related("person__user")
        .prefetch_related("groups")
    ):
        role = role_for_groups(group.display_name for group in scim_user.groups.all())
        person = scim_user.person
        if role is None or role == person.role:
            continue
        person.role = role
        person.save(update_fields=["role"])
        if person.user_id:
            is_admin = role == Person.Role.ADMIN
            User.objects.filter(pk=person.user_id).update(is_staff=is_admin, is_superuser=is_admin)


def _group_checked(resource: Group, *, group: ScimGroup | None) -> tuple[str, str, list[ScimUser]]:
    name = (resource.display_name or "").strip()
    if not name:
        raise _invalid("displayName is required.")
    if len(name) > 255:
        raise _invalid("displayName is longer than 255 characters.")
    clash = ScimGroup.objects.filter(display_name_key=name.lower())
    if group is not None:
        clash = clash.exclude(pk=group.pk)
    if clash.exists():
        raise _conflict(f"Another group is already called '{name}'.")
    wanted = [str(m.value).strip() for m in resource.members or [] if m.value]
    ids = {text: text.replace("-", "").lower() for text in wanted}
    if any(not _is_uuid(text) for text in wanted):
        bad = next(text for text in wanted if not _is_uuid(text))
        raise _invalid(f"The member '{bad}' is not a user id of this server.")
    members = list(ScimUser.objects.filter(scim_id__in=[uuid.UUID(t) for t in ids.values()]))
    found = {m.scim_id.hex for m in members}
    missing = [text for text, key in ids.items() if key not in found]
    if missing:
        raise _invalid(f"There is no user with id {missing[0]} to add to the group.")
    return name, (resource.external_id or "").strip()[:255], members


def _group_write(group: ScimGroup, resource: Group) -> ScimGroup:
    name, external_id, members = _group_checked(resource, group=group if group.pk else None)
    before = list(group.members.all()) if group.pk else []
    group.display_name = name
    group.display_name_key = name.lower()
    group.external_id = external_id
    group.save()
    group.members.set(members)
    _roles_sync({*before, *members})
    return group


@transaction.atomic
def scim_group_create(*, resource: Group) -> ScimGroup:
    return _group_write(ScimGroup(), resource)


@transaction.atomic
def scim_group_replace(*, group: ScimGroup, resource: Group) -> ScimGroup:
    group = ScimGroup.objects.select_for_update().get(pk=group.pk)
    return _group_write(group, resource)


@transaction.atomic
def scim_group_patch(*, group: ScimGroup, patch: PatchOp, base_url: str) -> ScimGroup:
    """PATCH on a group, most often members added or removed one at a time by a provider."""
    resource = group_resource(group=group, base_url=base_url)
    try:
        patch.patch(resource)
    except SCIMException as error:
        raise ScimProblem(400, error.scim_type or "invalidValue", error.detail) from error
    return scim_group_replace(group=group, resource=resource)


@transaction.atomic
def scim_group_delete(*, group: ScimGroup) -> None:
    members = list(group.members.all())
    group.delete()
    _roles_sync(members)
