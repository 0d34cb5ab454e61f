from django.apps import AppConfig


class CirclesConfig(AppConfig):
    name = "knowflow.circles"
    label = "circles"

    def ready(self) -> None:
        from knowflow.circles import search

        search.register()
