"""Where queued statements go: the outbound worker asks `resolve` at send time.

The LRS's URL and its key and secret come from the environment only (settings), so they are
read here, when a statement is sent, and never written to a queued row. With no LRS
configured (any more) a queued statement is dropped as cancelled rather than sent anywhere.
"""

from __future__ import annotations

import base64
from datetime import datetime

from django.conf import settings

from knowflow.outbound.services import Target, register_endpoints
from knowflow.xapi.statements import XAPI_VERSION

PREFIX = "xapi"
LRS = "lrs"


def resolve(endpoint_id: str, body: str, now: datetime) -> Target | None:
    """The LRS's statements resource with Basic authentication and the xAPI version header."""
    endpoint = getattr(settings, "KNOWFLOW_XAPI_ENDPOINT", "")
    if endpoint_id != LRS or not endpoint:
        return None
    credentials = f"{settings.KNOWFLOW_XAPI_USERNAME}:{settings.KNOWFLOW_XAPI_PASSWORD}"
    return Target(
        url=f"{endpoint}/statements",
        headers={
            "Authorization": "Basic " + base64.b64encode(credentials.encode()).decode("ascii"),
            "X-Experience-API-Version": XAPI_VERSION,
        },
    )


def register() -> None:
    register_endpoints(PREFIX, resolve)
