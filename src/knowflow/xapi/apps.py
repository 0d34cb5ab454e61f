from django.apps import AppConfig


class XapiConfig(AppConfig):
    """xAPI 2.0 statements to the organisation's learning record store (LRS).

    Built on events, library and feedback (it reads their rows and receives their signals);
    nothing imports it but the surfaces. Statements leave through the outbound queue
    (`knowflow.outbound`), whose worker asks `delivery.resolve` for the LRS's URL and
    credentials at send time, so neither is ever written to a queued row.
    """

    name = "knowflow.xapi"
    label = "xapi"

    def ready(self) -> None:
        from knowflow.xapi import signals  # noqa: F401 - connects the receivers
        from knowflow.xapi.delivery import register

        register()
