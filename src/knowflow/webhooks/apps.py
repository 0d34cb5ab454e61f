from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Outgoing webhooks: other systems told, signed, when sessions, dates, registrations,
    attendance and recordings change."""

    name = "knowflow.webhooks"
    label = "webhooks"

    def ready(self) -> None:
        from knowflow.outbound.services import register_endpoints
        from knowflow.webhooks import signals  # noqa: F401  (connects the receivers)
        from knowflow.webhooks.delivery import resolve_webhook

        register_endpoints("webhook", resolve_webhook)
