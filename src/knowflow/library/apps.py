from django.apps import AppConfig


class LibraryConfig(AppConfig):
    """Resources, files, collections and learning paths, and the search over everything."""

    name = "knowflow.library"
    label = "library"
