"""Which role a person's groups (the identity provider's groups claim, SCIM groups) grant.

`KNOWFLOW_ROLE_GROUPS` maps roles to group names: "admin=kf-admins,it;enabler=learning-team;
leader=execs". Group names compare case-insensitively; the highest role any group grants wins
(admin > enabler > leader > member). Configured but no group matching: member. Not configured:
None — groups then never change anyone's role (it is set by hand in Knowflow).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings

# Highest first: the order in which a person's groups are looked at.
RANKED_ROLES = ("admin", "enabler", "leader")


class BadRoleGroups(ValueError):
    """KNOWFLOW_ROLE_GROUPS does not read as role=group,group;role=group."""


def parse_role_groups(text: str) -> dict[str, set[str]]:
    """{"admin": {"kf-admins", "it"}, …} from the setting's text; raises BadRoleGroups."""
    mapping: dict[str, set[str]] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        role, sep, groups = part.partition("=")
        role = role.strip().lower()
        if not sep or role not in RANKED_ROLES:
            raise BadRoleGroups(
                f"KNOWFLOW_ROLE_GROUPS: '{part.strip()}' should read role=group,group with a "
                f"role among {', '.join(RANKED_ROLES)}."
            )
        names = {name.strip().casefold() for name in groups.split(",") if name.strip()}
        mapping.setdefault(role, set()).update(names)
    return mapping


def role_for_groups(group_names: Iterable[str]) -> str | None:
    """The role these groups grant, "member" when none does, None when no mapping is set."""
    mapping = parse_role_groups(settings.KNOWFLOW_ROLE_GROUPS)
    if not mapping:
        return None
    held = {name.strip().casefold() for name in group_names if name and name.strip()}
    for role in RANKED_ROLES:
        if mapping.get(role, set()) & held:
            return role
    return "member"
