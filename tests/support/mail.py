"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message it receives."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class SmtpServer:
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    #: what the server answers to each message: "250 OK" keeps it; "451 …" or "550 …" refuse
    answer: str = "250 OK"
    #: SMTP sessions opened (each greets with EHLO once, without STARTTLS)
    sessions: int = 0
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[EmailMessage]:
        """Wait until at least ``count`` messages arrived; the messages."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.messages)} of {count} messages arrived")
                self._arrived.wait(left)
            return list(self.messages)


class _Keeper:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        with self.server._arrived:
            self.server.sessions += 1
        return responses

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if not self.server.answer.startswith("250"):
            return self.server.answer
        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
        assert isinstance(message, EmailMessage)
        with self.server._arrived:
            self.server.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.server.messages.append(message)
            self.server._arrived.notify_all()
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def smtp_server(idle_timeout: float = 300) -> Iterator[SmtpServer]:
    """An SMTP server on 127.0.0.1 for the block: ``.port`` and ``.messages``; it closes a
    session idle for ``idle_timeout`` seconds, as relays do."""
    server = SmtpServer(port=_free_port())
    controller = Controller(
        _Keeper(server), hostname="127.0.0.1", port=server.port, timeout=idle_timeout
    )
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
