from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    """Surveys, responses, retrospectives, follow-ups and the anonymity rules."""

    name = "knowflow.feedback"
    label = "feedback"

    def ready(self) -> None:
        from knowflow.feedback import signals  # noqa: F401  (connects the receivers)
