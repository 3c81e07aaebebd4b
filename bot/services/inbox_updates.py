"""What the open web chat page asks for while it waits: messages delivered to the person's inbox
since (introductions, follow-ups, check-ins, reminders, group notices).

The database is the source of truth, so any instance behind a proxy answers and a restart loses
nothing: a message stays unseen until the page says it has shown it (``acknowledge`` with the
cursor it was given), so one lost on the way is handed out again, and one shown is never shown
twice (the chat's own turns take only what is still unseen).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.core.messages import Account, from_dict, to_dict
from storage import inbox, people
from storage.db import session_scope


@dataclass(frozen=True)
class Waiting:
    """Unseen messages, in order; ``cursor`` is the id to acknowledge once they are shown
    (None when nothing waits); ``language`` is the person's, for the page's own texts."""

    messages: tuple[dict[str, Any], ...] = field(default=())
    cursor: int | None = None
    language: str | None = None


class InboxUpdates:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def acknowledge(self, account: Account, *, upto: int) -> None:
        """The page has shown everything up to ``upto``: those are seen now."""
        if upto <= 0:
            return
        with session_scope(self.engine) as session:
            person = people.get_person(
                session, platform=account.platform, platform_user_id=account.user_id
            )
            if person is not None and person.id is not None:
                inbox.acknowledge(session, person_id=person.id, upto=upto)

    def waiting(self, account: Account) -> Waiting:
        with Session(self.engine) as session:
            person = people.get_person(
                session, platform=account.platform, platform_user_id=account.user_id
            )
            if person is None or person.id is None:
                return Waiting()
            rows = inbox.waiting(session, person_id=person.id)
            # through the codec, as a resumed chat shows them: only fields the page knows
            messages = tuple(to_dict(from_dict(m)) for row in rows for m in row.messages)
            cursor = max((row.id for row in rows if row.id is not None), default=None)
            return Waiting(messages=messages, cursor=cursor, language=person.language)
