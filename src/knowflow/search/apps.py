from django.apps import AppConfig


class SearchConfig(AppConfig):
    """The search index, its backends and engine; domains register their documents with it."""

    name = "knowflow.search"
    label = "search"
