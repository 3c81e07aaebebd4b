"""Microsoft Teams as a platform (Microsoft 365 Agents SDK): ``build`` wires it when its app id,
secret and tenant are set. The SDK is imported only then, so importing the store loads none."""

from __future__ import annotations

from collections.abc import Mapping

from bot.platforms.base import Deps, Platform
from bot.services.group_conversations import GroupConversations
from bot.settings import Settings


def introductions(settings: Settings) -> Mapping[str, GroupConversations]:
    from bot.platforms.teams.store import PLATFORM, GroupChatLinks

    return {PLATFORM: GroupChatLinks()}  # a link into Teams: needs no Teams settings here


def build(settings: Settings, deps: Deps) -> Platform | None:
    group = settings.groups.teams
    if not group.enabled:
        return None
    from bot.platforms.teams.adapter import PLATFORM, Teams, TeamsConfig
    from bot.platforms.teams.store import TeamsDirectory, TeamsSender

    assert group.app_id and group.app_secret and group.tenant_id
    config = TeamsConfig(
        app_id=group.app_id,
        app_secret=group.app_secret.get_secret_value(),
        tenant_id=group.tenant_id,
        allowed_tenants=group.allowed_tenants,
        authority=group.authority or None,
    )
    directory = TeamsDirectory(deps.engine)
    teams = Teams(config, deps.conversations, directory, replies=deps.replies)
    return Platform(
        names=(PLATFORM,),
        mount=teams.mount,  # POST /api/messages
        sender=TeamsSender(directory, teams.push),
        conversations=introductions(settings)[PLATFORM],
        adapter=teams,
    )
