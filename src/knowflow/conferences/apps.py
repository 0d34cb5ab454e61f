from django.apps import AppConfig


class ConferencesConfig(AppConfig):
    name = "knowflow.conferences"
    label = "conferences"
