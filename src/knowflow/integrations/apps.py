from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """What crosses the boundary: calendar feeds, and the organisation's export and import."""

    name = "knowflow.integrations"
    label = "integrations"
