"""One folder per platform; each folder's ``__init__`` is a PlatformPackage (bot.platforms.base:
``build`` and ``introductions``). This is the one list of them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.platforms.base import PlatformPackage
    from bot.services.group_conversations import GroupConversations
    from bot.settings import Settings


def packages() -> tuple[PlatformPackage, ...]:
    """Every platform, in the order their endpoints are mounted."""
    from bot.platforms import mail, slack, teams, web

    return (web, mail, teams, slack)


def introduction_links(settings: Settings) -> Mapping[str, GroupConversations]:
    """What each platform adds to an approved group's introductions, by ``person.platform``,
    made without starting any platform (see PlatformPackage.introductions)."""
    return {name: links for p in packages() for name, links in p.introductions(settings).items()}
