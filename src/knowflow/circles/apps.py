from django.apps import AppConfig


class CirclesConfig(AppConfig):
    name = "knowflow.circles"
    label = "circles"
