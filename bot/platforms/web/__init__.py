"""The local web chat as a platform: its pages and JSON API (``chat``), the inbox its people read,
and the link to a group's thread in their introductions."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from sqlmodel import Session

from bot.core.messages import Outbound, Text
from bot.platforms.base import Deps, Platform
from bot.services.delivery import InboxSender
from bot.services.group_conversations import GroupConversations, Introduced
from bot.services.inbox_updates import InboxUpdates
from bot.services.web_identities import WebIdentities
from bot.settings import Settings
from storage.models import Person

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger(__name__)

#: web chat (and terminal) accounts; demo people have no sign-in, only an inbox
LOCAL = "local"
DEMO = "demo"


class GroupThreadLinks:
    """The web chat's groups talk in a thread on our site: the introduction links it."""

    def __init__(self, person_link: Callable[[str], str]) -> None:
        self.person_link = person_link  # Settings.person_link: absolute, as for Slack and Teams

    def introduction_extras(self, session: Session, intro: Introduced) -> list[Outbound]:
        if intro.person.platform != LOCAL:  # a demo person cannot sign in to read the thread
            return []
        url = self.person_link(f"/groups/{intro.group.id}")
        return [Text(intro.t("intro.thread", url=url))]

    def open(self, person: Person, group_id: int) -> str | None:
        return None  # the thread exists with the group


def introductions(settings: Settings) -> Mapping[str, GroupConversations]:
    return {LOCAL: GroupThreadLinks(settings.groups.web.links.person_link)}


def build(settings: Settings, deps: Deps) -> Platform:
    """Always on: the chat that works without any platform configured."""
    web = settings.groups.web
    mail_enabled = settings.groups.mail.enabled

    def mount(app: FastAPI) -> None:
        from bot.platforms.web import chat

        identities = WebIdentities(deps.engine)
        chat.mount(
            app,
            deps.conversations,
            deps.threads,
            signin=web.signin,
            settings=settings,
            identities=identities,
            updates=InboxUpdates(deps.engine),
        )
        mail_signin = web.signin == "email" or (web.signin == "name" and mail_enabled)
        mailer = None
        if mail_signin:
            from bot.platforms.web import email_signin

            mailer = email_signin.LinkMailer(settings, identities)
            app.include_router(email_signin.router(settings, identities, mailer))
        if mail_enabled:  # the link back to the chat in every mail
            from bot.platforms.web import mail_open

            app.include_router(mail_open.router(settings, identities, mailer))
        if web.signin == "oidc" and web.oidc is not None:
            from bot.platforms.web import oidc

            callback = settings.person_link("/signin/oidc/callback")
            oidc.mount(app, web, identities, callback_url=callback)

    return Platform(
        names=(LOCAL, DEMO),
        mount=mount,
        sender=InboxSender(deps.engine),
        conversations=introductions(settings)[LOCAL],
    )
