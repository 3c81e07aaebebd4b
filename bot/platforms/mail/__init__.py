"""E-mail as a platform beside web, Slack and Teams: a channel that carries every message to the
web chat's people (introductions, follow-ups, check-ins, reminders, round-ups, retention warnings,
invitations) as an e-mail in their language, through the outbox, once; and the one-click
unsubscribe links those mails carry. Configured by MAATJES_SMTP_URL and MAATJES_MAIL_FROM."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.platforms.base import Deps, Platform
from bot.services.group_conversations import GroupConversations
from bot.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

#: the channel's name in ``outbox.channel`` and in Delivery's channels
MAIL = "mail"
#: the web chat's people (``person.platform``) whose messages are copied to e-mail
COPIES = {"local": MAIL}


def introductions(settings: Settings) -> Mapping[str, GroupConversations]:
    return {}  # a mail links the group's thread on the web chat, which the web platform adds


def build(settings: Settings, deps: Deps) -> Platform | None:
    mail = settings.groups.mail
    if not mail.enabled:
        return None
    from bot.platforms.mail.sender import MailSender

    sender = MailSender(deps.engine, mail)

    def mount(app: FastAPI) -> None:
        from bot.platforms.mail import routes

        app.include_router(routes.router(deps.engine, sender.unsubscribe))

    return Platform(names=(), mount=mount, channels={MAIL: sender}, copies=COPIES)
