from django.apps import AppConfig


class DigestConfig(AppConfig):
    """The personal digest email: what is new for a person, once a week (or every working day),
    at 08:00 in their time zone, and the one-click way out of it.

    Above the domains it reads (circles, events, feedback, library: layer 25 in
    `tests/test_architecture.py`); only the surfaces import it.
    """

    name = "knowflow.digest"
    label = "digest"

    def ready(self) -> None:
        from knowflow.digest import notifications  # noqa: F401 - names its kinds of email
