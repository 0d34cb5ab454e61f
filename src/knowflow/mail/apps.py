from django.apps import AppConfig


class MailConfig(AppConfig):
    """The email outbox: one row per message, its delivery, retries and the worker's loop.

    Infrastructure below every domain: it imports none of them. A domain writes its messages
    in `<app>/notifications.py` and hands them to `services.outbox_enqueue`.
    """

    name = "knowflow.mail"
    label = "mail"

    def ready(self) -> None:
        from knowflow.mail import checks  # noqa: F401 - registers the settings check
