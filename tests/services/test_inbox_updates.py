"""The web chat's live updates on SQLite and PostgreSQL: what waits in an inbox is handed out until
acknowledged, then seen; a resume takes only the rest; one person's cursor touches nobody else's."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bot.core.messages import Account, Text, to_dict
from bot.services.conversations import ConversationService
from bot.services.inbox_updates import InboxUpdates
from storage import inbox, people
from storage.db import session_scope


def person_with_inbox(engine: Engine, user: str, *texts: str) -> Account:
    with session_scope(engine) as session:
        person = people.get_or_create_person(
            session, platform="local", platform_user_id=user, language="nl"
        )
        assert person.id is not None
        for text in texts:
            inbox.deliver(session, person_id=person.id, messages=[to_dict(Text(text))])
    return Account(platform="local", user_id=user)


def test_waiting_until_acknowledged_then_seen(engine: Engine, service: ConversationService) -> None:
    updates = InboxUpdates(engine)
    anna = person_with_inbox(engine, "anna", "Eén", "Twee")
    bram = person_with_inbox(engine, "bram", "Voor Bram")
    first = updates.waiting(anna)
    assert [m["text"] for m in first.messages] == ["Eén", "Twee"] and first.language == "nl"
    assert first.cursor is not None
    assert updates.waiting(anna) == first, "not acknowledged: handed out again"
    updates.acknowledge(anna, upto=first.cursor)
    assert updates.waiting(anna).messages == ()
    assert [m["text"] for m in updates.waiting(bram).messages] == ["Voor Bram"]
    # a resume shows only what was not acknowledged yet
    person_with_inbox(engine, "anna", "Drie")
    texts = [getattr(m, "text", None) for m in service.resume(anna)]
    assert "Drie" in texts and "Eén" not in texts and "Twee" not in texts
    assert updates.waiting(anna).messages == ()
    assert updates.waiting(Account(platform="local", user_id="nobody")).messages == ()
