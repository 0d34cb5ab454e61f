"""Which role the identity provider's or SCIM's groups grant (KNOWFLOW_ROLE_GROUPS)."""

from __future__ import annotations

import pytest

from knowflow.accounts.roles import BadRoleGroups, role_for_groups


@pytest.fixture
def mapping(settings) -> None:
    settings.KNOWFLOW_ROLE_GROUPS = "admin=KF-Admins, it ; enabler=learning-team;leader=execs"


def test_no_mapping_means_groups_never_change_a_role(settings) -> None:
    settings.KNOWFLOW_ROLE_GROUPS = ""
    assert role_for_groups(["kf-admins"]) is None


@pytest.mark.parametrize(
    ("groups", "role"),
    [
        (["kf-admins"], "admin"),
        (["IT"], "admin"),
        (["execs", "learning-team"], "enabler"),  # the highest role wins
        (["execs"], "leader"),
        (["sales"], "member"),
        ([], "member"),
    ],
)
def test_the_highest_role_any_group_grants_wins_and_names_ignore_case(
    mapping, groups: list[str], role: str
) -> None:
    assert role_for_groups(groups) == role


@pytest.mark.parametrize("text", ["admins", "owner=x", "admin:kf-admins"])
def test_a_mapping_that_does_not_read_is_refused_with_the_part_named(settings, text) -> None:
    settings.KNOWFLOW_ROLE_GROUPS = text
    with pytest.raises(BadRoleGroups, match="role=group"):
        role_for_groups(["x"])


def test_a_mapping_that_does_not_read_stops_the_start(settings) -> None:
    from knowflow.accounts.checks import role_groups_check

    settings.KNOWFLOW_ROLE_GROUPS = "owner=x"
    [error] = role_groups_check()
    assert "owner=x" in error.msg
    settings.KNOWFLOW_ROLE_GROUPS = "admin=x"
    assert role_groups_check() == []
