from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """What crosses the boundary: the organisation's export and import (later: iCalendar, email)."""

    name = "knowflow.integrations"
    label = "integrations"
