"""Handing a message to the SMTP relay (MAATJES_SMTP_URL), with the standard library.

``smtp://user:password@host:587`` says STARTTLS whenever the server offers it (and requires it
before a password is sent); ``smtps://…:465`` is TLS from the start. A 4xx answer or a lost
connection is temporary (:class:`RetryLater`: the outbox tries again with back-off); a 5xx
answer is final (:class:`DeliveryRefused`: the message is failed for coordinators to see).
"""

from __future__ import annotations

import smtplib
import ssl
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from bot.core.ports import DeliveryRefused, RetryLater
from bot.settings_groups import MailSettings


@dataclass(frozen=True)
class Relay:
    host: str
    port: int
    tls: bool  # smtps: TLS from the first byte
    user: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> Relay:
        parts = urlsplit(url)
        tls = parts.scheme == "smtps"
        return cls(
            host=parts.hostname or "localhost",
            port=parts.port or (465 if tls else 587),
            tls=tls,
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


class SmtpTransport:
    """Hands messages to the relay over one SMTP session that it keeps open between messages
    (a round of check-ins is hundreds of mails; a new TLS session and login for each would
    cost more than the mail). A session idle for longer than ``IDLE_SECONDS`` is closed
    before the next message, and a session the relay closed meanwhile is opened again once.
    One message at a time per transport (a lock), so delivering threads can share it."""

    #: relays drop idle sessions after a few minutes (RFC 5321 suggests 5); we stop well before
    IDLE_SECONDS = 30.0

    def __init__(self, mail: MailSettings, *, context: ssl.SSLContext | None = None) -> None:
        if mail.smtp_url is None:
            raise ValueError("mail is not configured (MAATJES_SMTP_URL)")
        self.relay = Relay.from_url(mail.smtp_url.get_secret_value())
        self.timeout = mail.timeout_seconds
        self.context = context or ssl.create_default_context()
        self._lock = threading.Lock()
        self._client: smtplib.SMTP | None = None
        self._used = 0.0

    def send(self, message: EmailMessage) -> None:
        self.send_all([message])

    def send_all(self, messages: list[EmailMessage]) -> None:
        with self._lock:
            try:
                for message in messages:
                    self._send_one(message)
            except smtplib.SMTPResponseException as problem:
                self._close()
                _raise_for(problem.smtp_code, "relay answered")
            except smtplib.SMTPRecipientsRefused as problem:
                code = next(iter(problem.recipients.values()))[0] if problem.recipients else 550
                _raise_for(code, "recipient refused")
            except (OSError, smtplib.SMTPException) as problem:
                # connection refused or lost, a timeout, a TLS failure: try again later
                self._close()
                raise RetryLater(f"smtp: {type(problem).__name__}") from problem

    def close(self) -> None:
        with self._lock:
            self._close()

    def _send_one(self, message: EmailMessage) -> None:
        reused = self._client is not None and time.monotonic() - self._used < self.IDLE_SECONDS
        if not reused:
            self._close()
            self._client = self._connect()
        assert self._client is not None
        try:
            refused = self._client.send_message(message)
        except (smtplib.SMTPServerDisconnected, ConnectionError):
            if not reused:
                raise
            self._close()  # the relay closed the kept session meanwhile: once more, afresh
            self._client = self._connect()
            refused = self._client.send_message(message)
        self._used = time.monotonic()
        if refused:  # some recipients refused, none accepted for them
            code, _ = next(iter(refused.values()))
            _raise_for(code, "recipient refused")

    def _close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()

    def _connect(self) -> smtplib.SMTP:
        relay = self.relay
        client: smtplib.SMTP
        if relay.tls:
            client = smtplib.SMTP_SSL(
                relay.host, relay.port, timeout=self.timeout, context=self.context
            )
        else:
            client = smtplib.SMTP(relay.host, relay.port, timeout=self.timeout)
        try:
            client.ehlo()
            if not relay.tls and client.has_extn("starttls"):
                client.starttls(context=self.context)
                client.ehlo()
            elif not relay.tls and relay.password is not None:
                raise DeliveryRefused("smtp: the relay offers no STARTTLS; no password is sent")
            if relay.user is not None and relay.password is not None:
                client.login(relay.user, relay.password)
        except BaseException:
            client.close()
            raise
        return client


def _raise_for(code: int, what: str) -> None:
    if 400 <= code < 500:
        raise RetryLater(f"smtp {code}: {what}")
    raise DeliveryRefused(f"smtp {code}: {what}")
