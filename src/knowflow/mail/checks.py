"""The settings check for email delivery: the outbox lease must outlast a delivery."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


def outbox_settings_problems() -> list[str]:
    """What is wrong with the outbox timing settings, in words an admin can act on.

    A lease shorter than a delivery can take hands a living worker's message to another
    worker, which sends it a second time; twice the delivery limit leaves room for a slow
    database write and clocks that differ between machines.
    """
    lease = settings.KNOWFLOW_OUTBOX_LEASE_SECONDS
    delivery = settings.KNOWFLOW_OUTBOX_DELIVERY_SECONDS
    problems = []
    if delivery <= 0:
        problems.append(
            f"KNOWFLOW_OUTBOX_DELIVERY_SECONDS is {delivery:g}: it must be more than 0 s."
        )
    elif lease < 2 * delivery:
        problems.append(
            f"KNOWFLOW_OUTBOX_LEASE_SECONDS is {lease:g} s, but a delivery may take up to "
            f"{delivery:g} s (KNOWFLOW_OUTBOX_DELIVERY_SECONDS, by default 4 x EMAIL_URL's "
            f"timeout): set the lease to at least {2 * delivery:g} s, or a slow worker's "
            "message is sent twice."
        )
    return problems


@checks.register(checks.Tags.compatibility)
def check_outbox_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return [checks.Error(problem, id="knowflow.E101") for problem in outbox_settings_problems()]
