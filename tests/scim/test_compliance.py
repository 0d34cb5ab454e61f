"""scim2-tester's checks of RFC 7643/7644 against Knowflow served by a live server."""

from __future__ import annotations

import httpx2
import pytest
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from knowflow.scim.services import scim_token_create
from tests.factories import make_person


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_scim2_tester_checks_all_pass(live_server: object) -> None:
    admin = make_person(role="admin")
    _, secret = scim_token_create(name="scim2-tester", actor=admin)
    with httpx2.Client(
        base_url=f"{live_server.url}/scim/v2",
        headers={"Authorization": f"Bearer {secret}"},
        timeout=30,
    ) as http:
        results = check_server(SyncSCIMClient(http))
    failed = [
        f"{r.title} [{r.resource_type}]: {r.reason}"
        for r in results
        if r.status not in (Status.SUCCESS, Status.SKIPPED)
    ]
    assert failed == [], "\n".join(failed)
    assert len([r for r in results if r.status == Status.SUCCESS]) > 30
