from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo organisation generator (`knowflow demo`)."""

    name = "knowflow.demo"
    label = "demo"
