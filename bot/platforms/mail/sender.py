"""The mail channel: each outbox message for a web person, as an e-mail in their language.

It goes through the outbox like every other message (key ``mail:<outbox id>``, so exactly once
per message and channel), with a Message-ID made from that key, so a retry after a lost answer
is recognisable as the same mail. The person's choice is read again at sending: who paused
e-mail meanwhile gets nothing (the message is cancelled, not failed).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.core.i18n import join_list, translator
from bot.core.ports import NotWanted
from bot.platforms.mail import calendar
from bot.platforms.mail.render import Letter, compose, sender_address, sender_domain
from bot.services.delivery import Envelope
from bot.services.person_links import open_chat_links, unsubscribe_links
from bot.services.smtp import SmtpTransport
from bot.settings_groups import MailSettings
from storage.models import GroupMember, MatchGroup, Person
from storage.types import utcnow

#: the outbox kinds that go by e-mail even to someone who paused it (they asked for them, or
#: they are about their data), and those that never need a person's address to be proven
ALWAYS = frozenset({"invitation", "invitation_reminder", "retention_warning"})
WEB = "local"


class MailSender:
    """A ChannelSender (bot.services.delivery) over an SMTP relay."""

    def __init__(
        self, engine: Engine, mail: MailSettings, transport: SmtpTransport | None = None
    ) -> None:
        self.engine = engine
        self.mail = mail
        self.transport = transport or SmtpTransport(mail)
        self.unsubscribe = unsubscribe_links(mail.links, mail.signing_key)
        self.open_chat = open_chat_links(mail.links, mail.signing_key)

    def accepts(self, person: Person) -> bool:
        return person.platform == WEB and bool(person.email) and person.email_notifications

    def send_envelope(
        self, person: Person, messages: Sequence[dict[str, Any]], envelope: Envelope
    ) -> None:
        if not person.email:
            raise NotWanted("no e-mail address")
        if not person.email_notifications and envelope.kind not in ALWAYS:
            raise NotWanted("e-mail paused")
        assert person.id is not None
        letter = Letter(
            to=person.email,
            language=person.language,
            kind=envelope.kind,
            message_id=self._message_id(envelope.key),
            chat_url=self.open_chat.url(person.id),
            unsubscribe_url=self.unsubscribe.url(person.id),
            mail_from=self.mail.mail_from,
            reply_to=self.mail.reply_to,
            calendar=self._calendar(person, envelope),
        )
        self.transport.send(compose(messages, letter))

    def finish(self) -> None:
        self.transport.close()  # the relay session kept open through one run of deliveries

    def _message_id(self, key: str) -> str:
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
        return f"<{digest}@{sender_domain(self.mail.mail_from)}>"

    def _calendar(self, person: Person, envelope: Envelope) -> bytes | None:
        """For an introduction: a first conversation of the group, on a working day."""
        if envelope.kind != "introduction" or envelope.group_id is None:
            return None
        with Session(self.engine) as session:
            group = session.get(MatchGroup, envelope.group_id)
            if group is None:
                return None
            members = session.exec(
                select(Person)
                .join(GroupMember, col(GroupMember.person_id) == col(Person.id))
                .where(col(GroupMember.group_id) == envelope.group_id)
                .order_by(col(Person.id))
            ).all()
            introduced = group.introduced_at or utcnow()
        t = translator(person.language)
        names = [m.name or "" for m in members]
        attendees = [
            (m.name or "", m.email if m.platform == WEB and m.email else None) for m in members
        ]
        return calendar.invitation(
            uid=f"maatjes-group-{envelope.group_id}@{sender_domain(self.mail.mail_from)}",
            summary=t("mail.calendar.summary"),
            description=t(
                "mail.calendar.description",
                names=join_list([n for n in names if n], person.language),
                url=self.mail.links.person_link(f"/groups/{envelope.group_id}"),
            ),
            start=calendar.proposed_start(introduced),
            organizer=sender_address(self.mail.mail_from),
            attendees=attendees,
            url=self.mail.links.person_link(f"/groups/{envelope.group_id}"),
        )
