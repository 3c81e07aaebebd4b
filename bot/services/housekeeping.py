"""Keeping what only grows small: the inbound platform event ids remembered to drop retries, and
the hashes of sign-in links that can no longer be used."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine

from storage import events, identities
from storage.db import session_scope
from storage.types import utcnow

#: How long inbound Slack event and Teams activity ids are remembered to drop retries: both
#: platforms retry within minutes, so a week is ample and keeps the table small.
EVENT_MEMORY = timedelta(days=7)


class Housekeeping:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def forget_old_events(self) -> int:
        """Forget the event ids older than EVENT_MEMORY; returns how many were forgotten."""
        with session_scope(self.engine) as session:
            return events.forget_before(session, before=utcnow() - EVENT_MEMORY)

    def forget_expired_links(self) -> int:
        """Delete sign-in links that expired more than a day ago (spent or not)."""
        with session_scope(self.engine) as session:
            return identities.purge_tokens(session, before=utcnow() - timedelta(days=1))
