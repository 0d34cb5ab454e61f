from django.apps import AppConfig


class LibraryConfig(AppConfig):
    """Resources, files, collections and learning paths, and the search page over everything."""

    name = "knowflow.library"
    label = "library"

    def ready(self) -> None:
        from knowflow.library import related, search

        search.register()
        related.connect()
        from knowflow.library import notifications  # noqa: F401 - names its kinds of email
