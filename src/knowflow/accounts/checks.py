"""A settings check: a role mapping that does not read stops the start, instead of failing
every sign-in later."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from knowflow.accounts.roles import BadRoleGroups, parse_role_groups


@register()
def role_groups_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    try:
        parse_role_groups(settings.KNOWFLOW_ROLE_GROUPS)
    except BadRoleGroups as error:
        return [Error(str(error), id="knowflow.E102")]
    return []
