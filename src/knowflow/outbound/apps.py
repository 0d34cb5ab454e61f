from django.apps import AppConfig


class OutboundConfig(AppConfig):
    """Posts to other systems: one row per HTTP POST, its delivery, retries and the worker's
    loop — the email outbox's twin for chat channels, webhooks and a learning record store.

    Infrastructure below every domain: it imports none of them. A domain builds the body in its
    own module, hands it to `services.outbound_enqueue_many` and registers, once, how its
    endpoints are reached (`services.register_endpoints`).
    """

    name = "knowflow.outbound"
    label = "outbound"
