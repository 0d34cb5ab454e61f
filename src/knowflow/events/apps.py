from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "knowflow.events"
    label = "events"
