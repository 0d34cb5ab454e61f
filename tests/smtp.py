"""A real SMTP server (aiosmtpd) on loopback for the tests that send email, and readers for
what it received. The `smtp` fixture (tests/conftest.py) starts one per test."""

from __future__ import annotations

import asyncio
import socket
from email import message_from_bytes, policy
from email.message import EmailMessage

import icalendar
from django.test import override_settings


class Inbox:
    """An aiosmtpd handler that keeps what it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[attr-defined]
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def smtp_settings(port: int) -> override_settings:
    return override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_USE_TLS=False,
        EMAIL_USE_SSL=False,
        EMAIL_TIMEOUT=5,
        DEFAULT_FROM_EMAIL="Knowflow <knowflow@learn.example.org>",
    )


def calendar_part(message: EmailMessage) -> tuple[str, icalendar.Calendar]:
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return part.get_param("method"), icalendar.Calendar.from_ical(part.get_content())


def text_part(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def only_event(calendar: icalendar.Calendar) -> icalendar.Event:
    [event] = calendar.walk("VEVENT")
    return event


class SlowInbox(Inbox):
    """A working but slow server: it waits `pause` seconds before answering EHLO, MAIL, RCPT
    and the end of DATA, each under the client's per-step timeout."""

    def __init__(self, pause: float) -> None:
        super().__init__()
        self.pause = pause

    async def handle_EHLO(  # noqa: N802
        self, server: object, session: object, envelope: object, hostname: str, responses: list
    ) -> list:
        await asyncio.sleep(self.pause)
        session.host_name = hostname  # type: ignore[attr-defined]
        return responses

    async def handle_MAIL(  # noqa: N802
        self, server: object, session: object, envelope: object, address: str, options: list
    ) -> str:
        await asyncio.sleep(self.pause)
        envelope.mail_from = address  # type: ignore[attr-defined]
        return "250 OK"

    async def handle_RCPT(  # noqa: N802
        self, server: object, session: object, envelope: object, address: str, options: list
    ) -> str:
        await asyncio.sleep(self.pause)
        envelope.rcpt_tos.append(address)  # type: ignore[attr-defined]
        return "250 OK"

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        await asyncio.sleep(self.pause)
        return await super().handle_DATA(server, session, envelope)
