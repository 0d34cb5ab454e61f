from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "knowflow.events"
    label = "events"

    def ready(self) -> None:
        from knowflow.events import search

        search.register()
        from knowflow.events import notifications
        from knowflow.mail.signals import outbox_pass_starting

        # Reminders fall due with the clock: each delivery pass writes them before it sends.
        outbox_pass_starting.connect(
            notifications.reminders_on_outbox_pass, dispatch_uid="events.reminders"
        )
