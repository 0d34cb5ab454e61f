from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    """Surveys, responses, retrospectives, follow-ups and the anonymity rules."""

    name = "knowflow.feedback"
    label = "feedback"

    def ready(self) -> None:
        from knowflow.feedback import (  # noqa: F401
            notifications,  # names its kinds of email (the debug mailbox shows them)
            signals,  # connects the receivers
        )
