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

        from knowflow.accounts.signals import person_deactivated
        from knowflow.events.services import release_registrations_on_deactivation

        # Someone who left holds no place at a date still to come: the waitlist moves up.
        person_deactivated.connect(
            release_registrations_on_deactivation, dispatch_uid="events.release"
        )
