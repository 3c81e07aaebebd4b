"""Deliver the outbox: claim due messages, hand each to its platform's sender, record the outcome.

A sender raises :class:`RetryLater` for a temporary problem (with the platform's Retry-After when
it gave one) and :class:`DeliveryRefused` for one that retrying cannot fix. After the last attempt
a message is ``failed`` and shows up for coordinators — it is never dropped silently.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.core.messages import Account, Outbound, to_dict
from bot.core.ports import DeliveryRefused, NotWanted, RetryLater
from bot.services.group_conversations import GROUP_NOTICES, GroupConversations, GroupLink
from storage import inbox, outbox, people
from storage.db import session_scope
from storage.models import Person
from storage.types import utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
#: The outbox kind of a live reply the platform did not take at once (PostponedReplies).
REPLY = "reply"
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=2)


class Sender(Protocol):
    def send(
        self, person: Person, messages: Sequence[dict[str, Any]], *, link: GroupLink | None = None
    ) -> None:
        """Send the messages; with ``link``, they tell about the group's conversation on this
        platform, which the sender links (only platforms whose GroupConversations open one)."""
        ...


@dataclass(frozen=True)
class Envelope:
    """What a channel is told of an outbox message besides its content."""

    key: str  # the outbox row's dedupe key: the same on every retry (a mail's Message-ID)
    kind: str
    group_id: int | None = None


class ChannelSender(Protocol):
    """A channel that carries messages besides a person's own platform (e-mail, for the web
    chat's people): ``accepts`` says whether this person wants it now; ``send_envelope`` sends
    one outbox message (raising NotWanted when the person no longer wants it)."""

    def accepts(self, person: Person) -> bool: ...

    def send_envelope(
        self, person: Person, messages: Sequence[dict[str, Any]], envelope: Envelope
    ) -> None: ...

    def finish(self) -> None:
        """A run of deliveries is over: let go of what it kept open (a relay session)."""


class InboxSender:
    """Local accounts (web chat, terminal) and demo people: the message waits in their inbox."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def send(
        self, person: Person, messages: Sequence[dict[str, Any]], *, link: GroupLink | None = None
    ) -> None:
        assert person.id is not None
        with session_scope(self.engine) as session:
            inbox.deliver(session, person_id=person.id, messages=messages)


class PostponedReplies:
    """Replies to a live turn that the platform would not take go to the outbox (kind
    ``reply``), due when the platform said, else after the first backoff step."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.clock = clock

    def postpone(
        self, account: Account, messages: Sequence[Outbound], *, after: timedelta | None
    ) -> bool:
        due = self.clock() + (after if after is not None else backoff(1))
        return self._queue(account, messages, due=due)

    def behind(self, account: Account, messages: Sequence[Outbound]) -> bool:
        return self._queue(account, messages, due=None)

    def _queue(
        self, account: Account, messages: Sequence[Outbound], *, due: datetime | None
    ) -> bool:
        """Queue at ``due``, never ahead of a reply that still waits; without ``due``, only
        behind such a reply (False when none waits)."""
        # a read first (every reply asks), a write only when something is queued
        with Session(self.engine) as session:
            person = people.get_person(
                session, platform=account.platform, platform_user_id=account.user_id
            )
            if person is None or person.id is None:
                return False
            person_id = person.id
            waiting = outbox.last_waiting(session, recipient_id=person_id, kind=REPLY)
        if due is None and waiting is None:
            return False
        if not messages:
            return True
        # never ahead of a reply that still waits: the outbox sends in order of enqueueing
        not_before = max(d for d in (due, waiting) if d is not None)
        with session_scope(self.engine) as session:
            outbox.enqueue(
                session,
                dedupe_key=f"{REPLY}:{account.platform}:{uuid.uuid4().hex}",
                recipient_id=person_id,
                kind=REPLY,
                payload={"messages": [to_dict(m) for m in messages]},
                not_before=not_before,
            )
        log.info("reply queued", extra={"person_id": person_id, "behind": due is None})
        return True


@dataclass
class DeliveryReport:
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "delivered": self.delivered,
            "retried": self.retried,
            "failed": self.failed,
            "by_kind": dict(sorted(self.by_kind.items())),
        }


def backoff(attempts: int) -> timedelta:
    delay: timedelta = BACKOFF_BASE * (2 ** max(attempts - 1, 0))
    return delay if delay < BACKOFF_CAP else BACKOFF_CAP


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Delivery:
    def __init__(
        self,
        engine: Engine,
        senders: Mapping[str, Sender],
        *,
        group_conversations: Mapping[str, GroupConversations] | None = None,
        channels: Mapping[str, ChannelSender] | None = None,
        copies: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] = utcnow,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self.engine = engine
        # by person.platform (as are the group conversations), or by a message's own channel
        self.senders = senders
        # channels by name ({"mail": MailSender}), for rows whose ``channel`` is set
        self.channels = channels if channels is not None else {}
        # person.platform -> the channel that also carries each of its messages once it is
        # delivered: {"local": "mail"}
        self.copies = copies if copies is not None else {}
        self.group_conversations = group_conversations if group_conversations is not None else {}
        self.clock = clock
        self.max_attempts = max_attempts

    def deliver_due(
        self, *, now: datetime | None = None, batch: int = 100, worker: str | None = None
    ) -> DeliveryReport:
        """Deliver everything due at ``now``, batch by batch, until nothing is left."""
        worker = worker or worker_name()
        report = DeliveryReport()
        try:
            while True:
                at = now or self.clock()
                with session_scope(self.engine) as session:
                    claimed = outbox.claim(session, worker=worker, limit=batch, now=at)
                    people = {m.recipient_id: session.get(Person, m.recipient_id) for m in claimed}
                if not claimed:
                    return report
                for message in claimed:
                    self._deliver_one(message, people.get(message.recipient_id), worker, at, report)
        finally:
            for channel in self.channels.values():
                channel.finish()

    def _deliver_one(
        self, message: Any, person: Person | None, worker: str, at: datetime, report: DeliveryReport
    ) -> None:
        error: str
        retry_after: timedelta | None = None
        try:
            if person is None:
                raise DeliveryRefused("recipient no longer exists")
            self._send(message, person)
        except RetryLater as problem:
            error, retry_after = str(problem) or "retry", problem.after
        except NotWanted as problem:
            with session_scope(self.engine) as session:
                outbox.mark_cancelled(
                    session, message_id=message.id, worker=worker, reason=str(problem) or "unwanted"
                )
            report.by_kind["cancelled"] = report.by_kind.get("cancelled", 0) + 1
            return
        except DeliveryRefused as problem:
            error = str(problem) or "refused"
            message.attempts = self.max_attempts
        except Exception as problem:  # noqa: BLE001 - any platform failure is retried, then failed
            error = type(problem).__name__
            log.warning("delivery error", extra={"outbox_id": message.id, "error": error})
        else:
            self._sent(message, person, worker, report)
            return
        final = message.attempts >= self.max_attempts
        retry_at = None if final else at + (retry_after or backoff(message.attempts))
        with session_scope(self.engine) as session:
            outbox.mark_retry(
                session, message_id=message.id, worker=worker, error=error, retry_at=retry_at
            )
        if final:
            report.failed += 1
            log.error("delivery failed", extra={"outbox_id": message.id, "kind": message.kind})
        else:
            report.retried += 1

    def _send(self, message: Any, person: Person) -> None:
        """Hand one outbox message to its channel, or else to the person's platform."""
        messages = message.payload.get("messages", [])
        if message.channel is not None:
            channel = self.channels.get(message.channel)
            if channel is None:
                raise DeliveryRefused(f"no channel {message.channel}")
            group_id = message.payload.get("group_id")
            envelope = Envelope(
                key=message.dedupe_key,
                kind=message.kind,
                group_id=group_id if isinstance(group_id, int) else None,
            )
            channel.send_envelope(person, messages, envelope)
            return
        sender = self.senders.get(person.platform)
        if sender is None:
            raise DeliveryRefused(f"no sender for platform {person.platform}")
        link = self._group_link(person, message.kind, message.payload)
        if link is None:
            sender.send(person, messages)
        else:
            sender.send(person, messages, link=link)

    def _sent(
        self, message: Any, person: Person | None, worker: str, report: DeliveryReport
    ) -> None:
        with session_scope(self.engine) as session:
            marked = outbox.mark_sent(
                session, message_id=message.id, worker=worker, at=self.clock()
            )
            if marked and person is not None:
                self._copy(session, message, person)
        report.delivered += 1
        report.by_kind[message.kind] = report.by_kind.get(message.kind, 0) + 1

    def _copy(self, session: Session, message: Any, person: Person) -> None:
        """The message also goes by the channel that copies this platform's (once: its key is
        the message's own id), when the person wants it."""
        channel = self.copies.get(person.platform)
        if channel is None or message.channel is not None or message.kind == REPLY:
            return
        sender = self.channels.get(channel)
        if sender is None or not sender.accepts(person):
            return
        outbox.enqueue(
            session,
            dedupe_key=f"{channel}:{message.id}",
            recipient_id=message.recipient_id,
            kind=message.kind,
            payload=message.payload,
            channel=channel,
        )

    def _group_link(self, person: Person, kind: str, payload: dict[str, Any]) -> GroupLink | None:
        """For a notice about a group: its conversation on the person's platform, opened or
        brought up to date now, at delivery, so a retry or another worker makes nothing twice."""
        group_id = payload.get("group_id")
        platform = self.group_conversations.get(person.platform)
        if platform is None or kind not in GROUP_NOTICES or not isinstance(group_id, int):
            return None
        conversation = platform.open(person, group_id)
        return None if conversation is None else GroupLink(kind, conversation)
