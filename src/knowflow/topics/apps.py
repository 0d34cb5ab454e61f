from django.apps import AppConfig


class TopicsConfig(AppConfig):
    name = "knowflow.topics"
    label = "topics"

    def ready(self) -> None:
        from knowflow.topics import search

        search.register()
