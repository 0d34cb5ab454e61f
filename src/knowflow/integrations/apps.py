from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """What crosses the boundary: the organisation's export and import (later: iCalendar, email)."""

    name = "knowflow.integrations"
    label = "integrations"

    def ready(self) -> None:
        from knowflow.integrations import checks  # noqa: F401 - registers the settings check
