"""A real SMTP server for tests: aiosmtpd on a loopback port, in its own thread, keeping every
message it accepts so a test can read them as a mail client would::

    with SmtpSink() as sink:
        ...                                   # something sends to 127.0.0.1:sink.port
        [message] = sink.wait_for(1)
        message["Subject"] == "..."
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from collections import Counter
from collections.abc import Callable
from email.message import EmailMessage
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller

from engine.settings import Settings


def free_port() -> int:
    """A loopback port nothing listens on (yet)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def mail_settings(port: int, **changes: Any) -> Settings:
    """Settings that send through 127.0.0.1:`port` without TLS, as the tests' server expects."""
    values: dict[str, Any] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_tls": "none",
        "mail_from": "Council forms <forms@example.gov.uk>",
        "public_url": "https://forms.example.gov.uk",
        "secret_key": "mail-tests",
        "secure_cookies": False,
    }
    values.update(changes)
    return Settings(**values)


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    # handle_RCPT and handle_DATA: the names aiosmtpd calls.
    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.sink.refuse is not None and self.sink.refuse(address):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.sink.delay_seconds:
            await asyncio.sleep(self.sink.delay_seconds)
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        if not isinstance(message, EmailMessage):
            return "554 Unreadable message"
        with self.sink.arrived:
            self.sink.messages.append(message)
            self.sink.recipients.append(list(envelope.rcpt_tos))
            self.sink.arrived.notify_all()
        return "250 Message accepted"


class SmtpSink:
    """An SMTP server on 127.0.0.1:`port` (a free one by default) that keeps what it is sent.

    `refuse(address)` makes it answer 550 for chosen recipients; `delay_seconds` slows each message,
    so concurrent senders really overlap.
    """

    def __init__(
        self,
        port: int | None = None,
        *,
        refuse: Callable[[str], bool] | None = None,
        delay_seconds: float = 0.0,
    ) -> None:
        self.port = port or free_port()
        self.refuse = refuse
        self.delay_seconds = delay_seconds
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self.arrived = threading.Condition()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpSink:
        self._controller.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._controller.stop()

    def wait_for(self, count: int, timeout: float = 20.0) -> list[EmailMessage]:
        """The first `count` messages, waiting for them to arrive; AssertionError after `timeout`."""
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.messages) >= count, timeout):
                raise AssertionError(f"{len(self.messages)} of {count} messages arrived in {timeout} s")
            return list(self.messages[:count])

    def message_id_counts(self) -> Counter[str]:
        with self.arrived:
            return Counter(str(message["Message-ID"]) for message in self.messages)
