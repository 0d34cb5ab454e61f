from django.apps import AppConfig


class TopicsConfig(AppConfig):
    name = "knowflow.topics"
    label = "topics"
