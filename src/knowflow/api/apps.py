from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "knowflow.api"
    label = "api"
