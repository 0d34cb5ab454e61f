from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "knowflow.events"
    label = "events"

    def ready(self) -> None:
        from knowflow.events import search

        search.register()
