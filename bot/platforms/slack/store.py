"""What the Slack adapter needs from our database, behind slack_sdk's own interfaces.

- :class:`DatabaseInstallationStore`: slack_sdk's ``InstallationStore`` on our tables, so every
  instance of Maatjes sees every workspace that installed the app (multi-workspace OAuth). The
  tokens in it are sealed (:class:`TokenSeal`): a copy of the database alone holds none.
- :class:`SignedStateStore`: OAuth ``state`` values signed with a secret and usable once (the
  once-only record is the shared platform-event table, so it holds across instances).
- :class:`SlackDirectory`: event deduplication, where members live (workspace, DM channel), who is
  in a group and the group's one Slack conversation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.core.tokens import same_secret
from storage import events, rounds, slack
from storage.db import session_scope
from storage.models import Person

log = logging.getLogger(__name__)
PLATFORM = "slack"


def _plain(value: Any) -> Any:
    """JSON-ready: datetimes become Unix timestamps (what slack_sdk's models accept back)."""
    return value.timestamp() if isinstance(value, datetime) else value


#: The credentials in slack_sdk's installation record: sealed before they reach the database.
CREDENTIALS: Final = (
    "bot_token",
    "bot_refresh_token",
    "user_token",
    "user_refresh_token",
    "incoming_webhook_url",
)
SEALED: Final = "sealed:v1:"


@dataclass(frozen=True)
class GroupConversation:
    """A group's Slack conversation: the channel, ``mpim`` or ``private``, the Slack users it
    holds, who its pending greeting welcomes (None: the first welcome) and whether that greeting
    is out."""

    channel: str
    kind: str
    members: tuple[str, ...]
    joined: tuple[str, ...] | None
    previous_channel: str | None
    greeted: bool


class TokenSeal:
    """Encrypts Slack credentials for the database (Fernet: AES-128-CBC with HMAC-SHA256) under
    a key derived (HKDF-SHA256) from the server's secret key, ``MAATJES_SECRET_KEY``: a backup
    or a replica of the database alone holds no usable token. Records written before sealing
    existed are read as they are and sealed when the workspace installs again."""

    def __init__(self, secret: str) -> None:
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"maatjes slack credentials"
        ).derive(secret.encode("utf-8"))
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, data: dict[str, Any]) -> dict[str, Any]:
        return {
            name: (
                SEALED + self._fernet.encrypt(value.encode("utf-8")).decode("ascii")
                if name in CREDENTIALS and isinstance(value, str) and value
                else value
            )
            for name, value in data.items()
        }

    def open(self, data: dict[str, Any]) -> dict[str, Any]:
        """The record with its credentials readable; InvalidToken if another key sealed it."""
        opened = dict(data)
        for name in CREDENTIALS:
            value = opened.get(name)
            if isinstance(value, str) and value.startswith(SEALED):
                token = value.removeprefix(SEALED).encode("ascii")
                opened[name] = self._fernet.decrypt(token).decode("utf-8")
        return opened


class DatabaseInstallationStore(InstallationStore):
    def __init__(self, engine: Engine, seal: TokenSeal) -> None:
        self.engine = engine
        self.seal = seal

    @property
    def logger(self) -> logging.Logger:
        return log

    def save(self, installation: Installation) -> None:
        data = self.seal.seal({k: _plain(v) for k, v in installation.to_dict_for_copying().items()})
        with session_scope(self.engine) as session:
            slack.save_installation(
                session,
                enterprise_id=installation.enterprise_id,
                team_id=installation.team_id,
                is_enterprise_install=bool(installation.is_enterprise_install),
                user_id=installation.user_id,
                data=data,
            )
        log.info(
            "slack installation saved",
            extra={"team_id": installation.team_id, "enterprise_id": installation.enterprise_id},
        )

    def save_bot(self, bot: Bot) -> None:  # pragma: no cover - save() keeps the bot as well
        raise NotImplementedError("bots are saved with their installation")

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        with Session(self.engine) as session:
            data = slack.latest_installation(
                session,
                enterprise_id=enterprise_id,
                team_id=team_id,
                user_id=user_id,
                is_enterprise_install=bool(is_enterprise_install),
            )
            if data is None and enterprise_id is not None and not is_enterprise_install:
                # an organisation-wide install (Enterprise Grid) serves each of its workspaces
                data = slack.latest_installation(
                    session,
                    enterprise_id=enterprise_id,
                    team_id=None,
                    user_id=user_id,
                    is_enterprise_install=True,
                )
        if data is None:
            return None
        try:
            return Installation(**self.seal.open(data))
        except InvalidToken:
            # sealed under another MAATJES_SECRET_KEY: unusable here, so as good as not installed
            log.error(
                "slack installation sealed with another secret key: set the key it was made "
                "with, or install the app in the workspace again",
                extra={"team_id": team_id, "enterprise_id": enterprise_id},
            )
            return None

    def find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        installation = self.find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        if installation is None or installation.bot_token is None:
            return None
        return installation.to_bot()

    def delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        """Without a user: the workspace's installations go. With one (they revoked their own
        token): only that person's token goes, the bot stays installed."""
        with session_scope(self.engine) as session:
            if user_id is None:
                slack.delete_installations(session, enterprise_id=enterprise_id, team_id=team_id)
            else:
                slack.forget_user_tokens(
                    session, enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
                )

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self.delete_installation(enterprise_id=enterprise_id, team_id=team_id)


class SignedStateStore(OAuthStateStore):
    """``<expiry>.<nonce>.<hmac>``: nothing stored until it is used, then never usable again."""

    def __init__(self, engine: Engine, secret: str, *, expiration_seconds: int = 600) -> None:
        self.engine = engine
        self.secret = secret.encode("utf-8")
        self.expiration_seconds = expiration_seconds

    @property
    def logger(self) -> logging.Logger:
        return log

    def _sign(self, body: str) -> str:
        return hmac.new(self.secret, body.encode("ascii"), hashlib.sha256).hexdigest()

    def issue(self, *args: Any, **kwargs: Any) -> str:
        body = f"{int(time.time()) + self.expiration_seconds}.{secrets.token_urlsafe(16)}"
        return f"{body}.{self._sign(body)}"

    def consume(self, state: str) -> bool:
        expiry, _, rest = state.partition(".")
        nonce, _, signature = rest.partition(".")
        try:
            body = f"{expiry}.{nonce}"
            if not same_secret(self._sign(body), signature):
                return False
            if int(expiry) < time.time():
                return False
        except (ValueError, UnicodeEncodeError):
            return False
        with session_scope(self.engine) as session:
            return events.first_time(session, platform="slack-oauth", event_id=nonce)


class SlackDirectory:
    """Our database, as the Slack adapter and its delivery need it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._known: dict[str, tuple[str | None, str | None, str | None]] = {}

    def first_time(self, event_id: str) -> bool:
        with session_scope(self.engine) as session:
            return events.first_time(session, platform=PLATFORM, event_id=event_id)

    def remember(
        self,
        user_id: str,
        *,
        team_id: str | None,
        enterprise_id: str | None,
        dm_channel: str | None = None,
    ) -> None:
        """Note where a member lives (written only when something changed)."""
        known = self._known.get(user_id)
        wanted = (team_id, enterprise_id, dm_channel or (known[2] if known else None))
        if known == wanted:
            return
        with session_scope(self.engine) as session:
            slack.remember_member(
                session,
                user_id=user_id,
                team_id=team_id,
                enterprise_id=enterprise_id,
                dm_channel=dm_channel,
            )
            stored = slack.member(session, user_id=user_id)
            assert stored is not None
            self._known[user_id] = (stored.team_id, stored.enterprise_id, stored.dm_channel)

    def whereabouts(self, user_id: str) -> tuple[str | None, str | None, str | None] | None:
        """(team, enterprise, DM channel) of a member, if they ever talked to the bot."""
        with Session(self.engine) as session:
            found = slack.member(session, user_id=user_id)
            if found is None:
                return None
            return found.team_id, found.enterprise_id, found.dm_channel

    def group_members(self, group_id: int) -> list[dict[str, str]]:
        """The Slack members of a group: their user id and language."""
        with Session(self.engine) as session:
            ids = rounds.members_of(session, group_ids=[group_id]).get(group_id, [])
            found = [session.get(Person, pid) for pid in ids]
            return [
                {"user_id": p.platform_user_id, "language": p.language}
                for p in found
                if p is not None and p.platform == PLATFORM
            ]

    def group_conversation(self, group_id: int) -> GroupConversation | None:
        """The group's Slack conversation as stored: where it is and whom it holds."""
        with Session(self.engine) as session:
            found = slack.group_channel(session, group_id=group_id)
            if found is None:
                return None
            return GroupConversation(
                channel=found.channel_id,
                kind=found.kind,
                members=tuple(slack.users_of(found.members)),
                joined=tuple(slack.users_of(found.joined)) if found.joined is not None else None,
                previous_channel=found.previous_channel,
                greeted=found.greeted_at is not None,
            )

    def record_group_channel(
        self, group_id: int, channel_id: str, kind: str, members: Sequence[str]
    ) -> str:
        with session_scope(self.engine) as session:
            return slack.record_group_channel(
                session, group_id=group_id, channel_id=channel_id, kind=kind, members=members
            )

    def grow_group_channel(
        self,
        group_id: int,
        *,
        was: Sequence[str],
        channel_id: str,
        kind: str,
        members: Sequence[str],
        joined: Sequence[str] | None,
        previous_channel: str | None,
    ) -> bool:
        with session_scope(self.engine) as session:
            return slack.grow_group_channel(
                session,
                group_id=group_id,
                was=slack.users_key(was),
                channel_id=channel_id,
                kind=kind,
                members=members,
                joined=joined,
                previous_channel=previous_channel,
            )

    def claim_greeting(self, group_id: int, members: Sequence[str]) -> bool:
        with session_scope(self.engine) as session:
            return slack.claim_greeting(session, group_id=group_id, members=members)

    def release_greeting(self, group_id: int) -> None:
        with session_scope(self.engine) as session:
            slack.release_greeting(session, group_id=group_id)
