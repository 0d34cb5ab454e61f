from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "knowflow.chat"
    label = "chat"
    verbose_name = "Chat channels"

    def ready(self) -> None:
        from knowflow.chat import notifications

        notifications.connect()
