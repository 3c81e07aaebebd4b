"""What every platform gives the composition root, and what it may use from the rest of Maatjes.

Each platform folder exposes ``build(settings, deps) -> Platform | None`` (None when it is not
configured); ``bot.app`` collects them in one loop. Adding a platform means adding a folder with
such a ``build`` and listing it in ``bot.app``. This module imports no platform.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.engine import Engine

from bot.core.dialogue import Intake
from bot.core.ports import Conversations, Replies, Threads
from bot.services.delivery import ChannelSender, Sender
from bot.services.group_conversations import GroupConversations
from bot.settings import Settings

if TYPE_CHECKING:  # the web framework is loaded by the platforms that mount routes
    from fastapi import FastAPI


@dataclass(frozen=True)
class Deps:
    """What a platform may use: the services it talks to, never another platform."""

    engine: Engine  # for the platform's own store
    conversations: Conversations  # every turn goes here
    intake: Intake  # the dialogues, for pages that show a profile (Slack's App Home)
    threads: Threads  # the web chat's group threads
    replies: Replies  # the outbox, for a live reply a platform cannot take now


@dataclass(frozen=True)
class Platform:
    """One configured platform, as the composition root wires it."""

    #: the ``person.platform`` values it serves: its sender and conversations are theirs
    names: tuple[str, ...]
    #: its HTTP endpoints on the one ASGI app
    mount: Callable[[FastAPI], None] | None = None
    #: delivers outbox messages to its people
    sender: Sender | None = None
    #: where its groups talk (see bot.services.group_conversations)
    conversations: GroupConversations | None = None
    #: request paths of its endpoints that may carry larger bodies than MAATJES_MAX_REQUEST_BYTES
    body_limits: Mapping[str, int] = field(default_factory=dict)
    #: channels it adds beside the people's own platforms, by name (``mail``), and which
    #: platforms' people get a copy of each message by one of them (``{"local": "mail"}``)
    channels: Mapping[str, ChannelSender] = field(default_factory=dict)
    copies: Mapping[str, str] = field(default_factory=dict)
    #: the platform's own object, for entry points that drive it directly (Slack's Socket
    #: Mode) and for tests; found by type with ``Maatjes.adapter``
    adapter: object | None = None


class PlatformPackage(Protocol):
    """What each platform folder's ``__init__`` offers the composition root."""

    def build(self, settings: Settings, deps: Deps) -> Platform | None:
        """The platform wired, or None when it is not configured."""
        ...

    def introductions(self, settings: Settings) -> Mapping[str, GroupConversations]:
        """What the platform adds to its people's introductions when a group is approved, by
        ``person.platform``: made without its SDK, and whether or not the platform is configured
        here, so a round approved from the command line reads as one approved on the dashboard."""
        ...
