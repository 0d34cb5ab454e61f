from django.apps import AppConfig


class WebConfig(AppConfig):
    """The site shell: layout, home page, health check and the template filters all pages use."""

    name = "knowflow.web"
    label = "web"
