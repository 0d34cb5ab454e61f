from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    """Surveys, responses, retrospectives, follow-ups and the anonymity rules."""

    name = "knowflow.feedback"
    label = "feedback"
