"""Settings checks for sign-in: a role mapping that does not read, or a setup with which nobody
could sign in or the company button could only fail, stops the start with what to set, instead
of failing every sign-in later."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.checks import Error, register

from knowflow.accounts.roles import BadRoleGroups, parse_role_groups


@register()
def role_groups_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    try:
        parse_role_groups(settings.KNOWFLOW_ROLE_GROUPS)
    except BadRoleGroups as error:
        return [Error(str(error), id="knowflow.E102")]
    return []


def sign_in_settings_problems() -> list[str]:
    issuer = settings.KNOWFLOW_OIDC_ISSUER
    client_id = settings.KNOWFLOW_OIDC_CLIENT_ID
    problems = []
    if issuer and not issuer.startswith(("https://", "http://")):
        problems.append(
            f"KNOWFLOW_OIDC_ISSUER is '{issuer}': it is the provider's issuer URL, e.g. "
            "https://login.microsoftonline.com/<tenant id>/v2.0."
        )
    if issuer and not (client_id and settings.KNOWFLOW_OIDC_CLIENT_SECRET):
        problems.append(
            "KNOWFLOW_OIDC_ISSUER is set but KNOWFLOW_OIDC_CLIENT_ID or "
            "KNOWFLOW_OIDC_CLIENT_SECRET is not: the provider would refuse every sign-in."
        )
    if "openid" not in settings.KNOWFLOW_OIDC_SCOPES.split():
        problems.append("KNOWFLOW_OIDC_SCOPES must include 'openid'.")
    if not settings.KNOWFLOW_PASSWORD_SIGN_IN and not (issuer and client_id):
        problems.append(
            "KNOWFLOW_PASSWORD_SIGN_IN is off but no provider is set up (KNOWFLOW_OIDC_ISSUER, "
            "KNOWFLOW_OIDC_CLIENT_ID): nobody could sign in."
        )
    return problems


@checks.register(checks.Tags.security)
def check_sign_in_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return [checks.Error(problem, id="knowflow.E201") for problem in sign_in_settings_problems()]
