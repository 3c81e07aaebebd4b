"""Slack as a platform (Bolt for Python): ``build`` wires it when a signing secret and a bot token
or the OAuth settings are set. Bolt is imported only then, so importing the store loads none of
it."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from bot.platforms.base import Deps, Platform
from bot.services.group_conversations import GroupConversations
from bot.settings import Settings

log = logging.getLogger(__name__)


def introductions(settings: Settings) -> Mapping[str, GroupConversations]:
    return {}  # the group's conversation is opened, and linked, when the introduction is delivered


def build(settings: Settings, deps: Deps) -> Platform | None:
    slack = settings.groups.slack
    if slack.mode is None:
        if slack.signing_secret is not None or slack.bot_token is not None:
            log.warning(
                "slack is not started: it needs SLACK_SIGNING_SECRET and either SLACK_BOT_TOKEN "
                "or SLACK_CLIENT_ID with SLACK_CLIENT_SECRET"
            )
        return None
    from bot.platforms.slack.setup import platform

    return platform(settings, deps)
