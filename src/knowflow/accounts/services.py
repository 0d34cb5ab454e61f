"""Changes to people, their profiles and their API tokens."""

from __future__ import annotations

import functools
import hashlib
import secrets
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models, transaction
from django.utils import timezone
from django.utils.text import slugify

from knowflow.accounts.models import ApiToken, Office, OrgUnit, Person, ProviderIdentity, User
from knowflow.accounts.permissions import can_change_role, can_edit_profile
from knowflow.accounts.roles import role_for_groups
from knowflow.accounts.search import PERSON
from knowflow.accounts.signals import person_deactivated, person_reactivated
from knowflow.accounts.working_hours import InvalidWorkingHours, WorkingHours
from knowflow.errors import Conflict, DomainError, Forbidden
from knowflow.l10n import supported_locale
from knowflow.search.index import index_write

TOKEN_PREFIX = "kf_"


@functools.cache
def _known_timezones() -> frozenset[str]:
    # Listing the zones walks the whole tz database on disk (~40 ms): once per process.
    return frozenset(zoneinfo.available_timezones())


def check_timezone(name: str) -> str:
    """Return ``name`` if it is an IANA time zone this machine knows, else raise."""
    name = (name or "").strip()
    if name not in _known_timezones():
        raise DomainError(
            f"'{name}' is not a known time zone (e.g. Europe/Berlin).", field="timezone"
        )
    return name


def check_working_hours(raw: object) -> list:
    try:
        return WorkingHours.from_json(raw).to_json()
    except InvalidWorkingHours as error:
        raise DomainError(str(error), field="working_hours") from error


# Person slugs a page's own path uses: /accounts/people/import/ is the people file's page.
PERSON_RESERVED_SLUGS = frozenset({"import"})


def unique_slug(model: type[models.Model], base: str, *, max_length: int = 140) -> str:
    """A slug for ``base`` that no row of ``model`` has yet (``ada-lovelace-2`` on a clash)."""
    root = (slugify(base) or "item")[: max_length - 8]
    slug, n = root, 1
    reserved = PERSON_RESERVED_SLUGS if model is Person else frozenset()
    while slug in reserved or model._default_manager.filter(slug=slug).exists():
        n += 1
        slug = f"{root}-{n}"
    return slug


@transaction.atomic
def person_create(
    *,
    display_name: str,
    username: str | None = None,
    password: str | None = None,
    email: str = "",
    role: str = Person.Role.MEMBER,
    timezone_name: str = "UTC",
    working_hours: object | None = None,
    office: Office | None = None,
    org_unit: OrgUnit | None = None,
    languages: Iterable[str] = (),
) -> Person:
    """Create a person, and a user to sign in with when ``username`` is given."""
    if not display_name.strip():
        raise DomainError("A person needs a display name.", field="display_name")
    tz = check_timezone(timezone_name)
    hours = check_working_hours(
        working_hours if working_hours is not None else WorkingHours.default().to_json()
    )
    if role not in Person.Role.values:
        raise DomainError(f"Unknown role '{role}'.", field="role")
    user = None
    if username:
        if User.objects.filter(username=username).exists():
            raise DomainError(f"The username '{username}' is taken.", field="username")
        user = User.objects.create_user(username=username, email=email, password=password)
        user.is_staff = user.is_superuser = role == Person.Role.ADMIN
        user.save(update_fields=["is_staff", "is_superuser"])
    person = Person.objects.create(
        user=user,
        display_name=display_name.strip(),
        slug=unique_slug(Person, display_name, max_length=160),
        email=email,
        role=role,
        timezone=tz,
        working_hours=hours,
        office=office,
        org_unit=org_unit,
        languages=list(languages),
    )
    index_write(kind=PERSON, object_ids=[person.pk])
    return person


@transaction.atomic
def person_update_profile(
    *,
    person: Person,
    actor: Person,
    display_name: str | None = None,
    timezone_name: str | None = None,
    working_hours: object | None = None,
    office: Office | None = None,
    clear_office: bool = False,
    org_unit: OrgUnit | None = None,
    clear_org_unit: bool = False,
    languages: Iterable[str] | None = None,
    bio: str | None = None,
    role: str | None = None,
    locale: str | None = None,
) -> Person:
    """Update a profile. Only the person themselves or an admin may; only an admin sets roles.

    ``None`` leaves a field as it is; ``clear_office`` / ``clear_org_unit`` remove those.
    """
    if not can_edit_profile(actor=actor, person=person):
        raise Forbidden("You can only edit your own profile.")
    if display_name is not None:
        if not display_name.strip():
            raise DomainError("A person needs a display name.", field="display_name")
        person.display_name = display_name.strip()
    if timezone_name is not None:
        person.timezone = check_timezone(timezone_name)
    if working_hours is not None:
        person.working_hours = check_working_hours(working_hours)
    if office is not None or clear_office:
        person.office = office
    if org_unit is not None or clear_org_unit:
        person.org_unit = org_unit
    if languages is not None:
        person.languages = [code.strip() for code in languages if code.strip()]
    if bio is not None:
        person.bio = bio
    if locale is not None:
        known = supported_locale(locale) if locale.strip() else ""
        if known is None:
            raise DomainError(
                f"'{locale}' is not a locale Knowflow knows (e.g. de-CH, en-GB).", field="locale"
            )
        person.locale = known
    if role is not None and role != person.role:
        if not can_change_role(actor=actor):
            raise Forbidden("Only an admin can change roles.")
        if role not in Person.Role.values:
            raise DomainError(f"Unknown role '{role}'.", field="role")
        person.role = role
        if person.user:
            person.user.is_staff = person.user.is_superuser = role == Person.Role.ADMIN
            person.user.save(update_fields=["is_staff", "is_superuser"])
    person.save()
    index_write(kind=PERSON, object_ids=[person.pk])
    return person


def _hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, person: Person, name: str) -> tuple[ApiToken, str]:
    """Create a personal API token; the secret is returned once and never stored."""
    name = name.strip()
    if not name:
        raise DomainError("Give the token a name, e.g. 'my laptop'.", field="name")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        person=person, name=name[:100], prefix=secret[:10], key_hash=_hash_token(secret)
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: Person) -> None:
    if token.person_id != actor.pk and not actor.is_admin:
        raise Forbidden("You can only revoke your own tokens.")
    token.delete()


def api_token_authenticate(*, secret: str) -> Person | None:
    """The person a token belongs to, or None. Uses the hash, so timing leaks nothing useful."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("person__user")
        .filter(key_hash=_hash_token(secret), person__deactivated_at__isnull=True)
        .exclude(person__user__is_active=False)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.person


@transaction.atomic
def person_for_user(*, user: User) -> Person:
    """The person behind a user; created on first sign-in for accounts made outside Knowflow
    (``manage.py createsuperuser``), so every signed-in user has a profile."""
    person = Person.objects.filter(user=user).first()
    if person is None:
        person = Person.objects.create(
            user=user,
            display_name=user.get_full_name() or user.username,
            slug=unique_slug(Person, user.username, max_length=160),
            email=user.email,
            role=Person.Role.ADMIN if user.is_superuser else Person.Role.MEMBER,
        )
    return person


@dataclass(frozen=True)
class ProviderAccount:
    """What the organisation's OpenID Connect provider says about someone who signs in (from
    a verified ID token and the userinfo answer): the raw claims, not yet checked."""

    issuer: str
    subject: str
    email: str
    name: str = ""
    zoneinfo: str = ""
    locale: str = ""
    groups: tuple[str, ...] = ()
    # The provider's word that the address is its owner's; False (not absent) is refused, or
    # anyone who could type a colleague's address at the provider would become them here.
    email_verified: bool | None = None


MISSING_EMAIL = (
    "Your company account did not share an email address, and Knowflow needs one to know who "
    "you are. Ask your admin to release the email claim to Knowflow."
)
DEACTIVATED = (
    "Your Knowflow account has been deactivated, so you cannot sign in. Ask an admin if you "
    "think this is a mistake."
)


def _known_zone(name: str) -> str | None:
    name = (name or "").strip()
    return name if name and name in zoneinfo.available_timezones() else None


def _free_username(email: str) -> str:
    root = email.lower()[:140]
    username, n = root, 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{root}-{n}"
    return username


def _is_deactivated(person: Person) -> bool:
    user_inactive = person.user is not None and not person.user.is_active
    return user_inactive or person.deactivated_at is not None


@transaction.atomic
def person_sign_in_with_provider(*, account: ProviderAccount, browser_timezone: str = "") -> Person:
    """The person who signs in with the provider's ``account``, created or linked on the first
    sign-in; raises a DomainError (and changes nothing) when they may not sign in.

    The first sign-in finds the person by email (case-insensitive) and links their user to the
    provider's subject (``ProviderIdentity``); later sign-ins find them by that subject, so a
    changed email still reaches the same person. A new person gets their name from the claims
    and a time zone from the ``zoneinfo`` claim, else ``browser_timezone``, else their office's,
    else UTC; a linked person keeps their own name, history and any zone they set (a zone
    still at UTC is filled like a new person's). The locale claim sets the number format once,
    when babel knows it; after that the profile decides. On every sign-in the role follows the provider's groups when KNOWFLOW_ROLE_GROUPS maps
    groups to roles (``roles.role_for_groups``); without a mapping the role is left alone.

    Refused: no email; two people with that email; an email whose person is already linked
    to another subject of the same provider (an address handed to someone new); a deactivated
    person.
    """
    email = account.email.strip() if isinstance(account.email, str) else ""
    if not email or "@" not in email:
        raise DomainError(MISSING_EMAIL, field="email")
    if account.email_verified is False:
        raise DomainError(
            f"Your company account has not confirmed that {email} is yours, so Knowflow cannot "
            "sign you in with it. Confirm the address with your company's sign-in service.",
            field="email",
        )
    identity = (
        ProviderIdentity.objects.select_related("user")
        .filter(issuer=account.issuer, subject=account.subject)
        .first()
    )
    first_sign_in = identity is None
    if identity is not None:
        person = person_for_user(user=identity.user)
    else:
        matches = list(Person.objects.select_related("user").filter(email__iexact=email)[:2])
        if len(matches) > 1:
            raise Conflict(
                f"More than one person in Knowflow has the email {email}, so your company "
                "account cannot be matched to one of them. Ask an admin to correct the emails."
            )
        found = matches[0] if matches else None
        if found is None:
            # An account made outside Knowflow (createsuperuser) has a user but no person yet.
            lone_user = User.objects.filter(email__iexact=email, person__isnull=True).first()
            found = person_for_user(user=lone_user) if lone_user else None
        if found is not None and found.user is not None:
            taken = ProviderIdentity.objects.filter(user=found.user, issuer=account.issuer)
            if taken.exists():
                raise Conflict(
                    f"The Knowflow account of {email} is linked to another account at your "
                    "company's sign-in service. Ask an admin to check who this email belongs to."
                )
        person = found or _person_from_provider(account=account, email=email)
        if person.user is None:
            person.user = User.objects.create_user(username=_free_username(email), email=email)
            person.save(update_fields=["user"])
        identity = ProviderIdentity(
            user=person.user, issuer=account.issuer, subject=account.subject
        )
    if _is_deactivated(person):
        raise Forbidden(DEACTIVATED)
    if first_sign_in:
        # UTC is every new row's default: a person still at it has never chosen a zone.
        if person.timezone == "UTC":
            person.timezone = (
                _known_zone(account.zoneinfo)
                or _known_zone(browser_timezone)
                or (person.office.timezone if person.office else None)
                or "UTC"
            )
        # Once: afterwards the person sets their number format on their profile.
        person.locale = person.locale or supported_locale(account.locale) or ""
    role = role_for_groups(group for group in account.groups if isinstance(group, str))
    if role is not None and role != person.role:
        person.role = role
    person.save(update_fields=["timezone", "locale", "role"])
    user = person.user
    assert user is not None
    is_admin = person.role == Person.Role.ADMIN
    if (user.is_staff, user.is_superuser) != (is_admin, is_admin):
        user.is_staff = user.is_superuser = is_admin
        user.save(update_fields=["is_staff", "is_superuser"])
    identity.last_signed_in_at = timezone.now()
    identity.save()
    index_write(kind=PERSON, object_ids=[person.pk])
    return person


@transaction.atomic
def person_deactivate(*, person: Person, actor: Person | None = None) -> Person:
    """Someone left: keep their history and authorship, end everything still to come.

    `actor` is the admin doing it, or None for a system (SCIM, the people file). They can no
    longer sign in (their user, if any, is made inactive, which also ends their API tokens'
    use), people pickers stop offering them, and other apps follow `signals.person_deactivated`
    in this transaction (events gives their future places to the waitlist). Deactivating
    someone already inactive changes nothing.
    """
    if actor is not None and not actor.is_admin:
        raise Forbidden("Only admins deactivate people.")
    if actor is not None and actor.pk == person.pk:
        raise DomainError("You cannot deactivate yourself: ask another admin.")
    person = Person.objects.select_for_update(of=("self",)).select_related("user").get(pk=person.pk)
    if person.deactivated_at is not None:
        return person
    person.deactivated_at = timezone.now()
    person.save(update_fields=["deactivated_at"])
    if person.user is not None and person.user.is_active:
        person.user.is_active = False
        person.user.save(update_fields=["is_active"])
    person_deactivated.send(sender=Person, person=person)
    index_write(kind=PERSON, object_ids=[person.pk])
    return person


def _person_from_provider(*, account: ProviderAccount, email: str) -> Person:
    name = account.name.strip() if isinstance(account.name, str) else ""
    return person_create(
        display_name=name or email.split("@")[0],
        username=_free_username(email),
        email=email,
    )


@transaction.atomic
def person_reactivate(*, person: Person, actor: Person | None = None) -> Person:
    """Someone is back: they can sign in and be picked again. Places released when they left
    stay with whoever took them."""
    if actor is not None and not actor.is_admin:
        raise Forbidden("Only admins reactivate people.")
    person = Person.objects.select_for_update(of=("self",)).select_related("user").get(pk=person.pk)
    if person.deactivated_at is None:
        return person
    person.deactivated_at = None
    person.save(update_fields=["deactivated_at"])
    if person.user is not None and not person.user.is_active:
        person.user.is_active = True
        person.user.save(update_fields=["is_active"])
    person_reactivated.send(sender=Person, person=person)
    index_write(kind=PERSON, object_ids=[person.pk])
    return person
