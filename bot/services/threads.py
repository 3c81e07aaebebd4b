"""Group threads in the web chat: after an introduction, the group talks in one place.

Only members of an introduced group can read or write its thread. A new post is also announced in
the other members' chat (through the outbox, like every message to a person).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.core.checkins import AMSTERDAM
from bot.core.explain import render_explanation
from bot.core.i18n import translator
from bot.core.messages import Account, Text, to_dict
from bot.core.profile import clean_text
from bot.services.throttle import TurnLimiter
from storage import outbox, people, rounds, threads
from storage.db import session_scope
from storage.models import MatchGroup, Person

MAX_POST = 2000


class GroupThreads:
    def __init__(
        self,
        engine: Engine,
        *,
        link: Callable[[str], str],
        limiter: TurnLimiter | None = None,
    ) -> None:
        self.engine = engine
        self.link = link  # Settings.person_link: notices reach people in Slack and Teams too
        self.limiter = limiter  # shared with the chat: one budget per person

    def _person(self, session: Session, account: Account) -> Person | None:
        return people.get_person(
            session, platform=account.platform, platform_user_id=account.user_id
        )

    def _member(
        self, session: Session, account: Account, group_id: int
    ) -> tuple[Person | None, MatchGroup | None]:
        """The person and the group, if they are a member of this introduced group."""
        person = self._person(session, account)
        group = session.get(MatchGroup, group_id)
        if (
            person is None
            or person.id is None
            or group is None
            or not threads.has_thread(group)
            or not threads.is_member(session, group_id=group_id, person_id=person.id)
        ):
            return None, None
        return person, group

    def groups(self, account: Account) -> list[dict[str, Any]]:
        """The introduced groups of this person, with their members' names."""
        with Session(self.engine) as session:
            person = self._person(session, account)
            if person is None or person.id is None:
                return []
            found = threads.groups_of_person(session, person_id=person.id, ended=True)
            members = rounds.members_of(session, group_ids=[g.id for g in found if g.id])
            counts = threads.post_counts(session, group_ids=list(members))
            result = []
            for group in found:
                assert group.id is not None
                names = [
                    p.name or "?"
                    for p in (session.get(Person, pid) for pid in members[group.id])
                    if p is not None and p.id != person.id
                ]
                result.append(
                    {
                        "id": group.id,
                        "kind": group.kind,
                        "others": names,
                        "posts": counts.get(group.id, 0),
                    }
                )
            return result

    def thread(self, account: Account, group_id: int) -> dict[str, Any] | None:
        """A group's thread for one of its members (None for anyone else)."""
        with Session(self.engine) as session:
            person, group = self._member(session, account, group_id)
            if person is None or group is None:
                return None
            t = translator(person.language)
            member_ids = rounds.members_of(session, group_ids=[group_id])[group_id]
            members = [p for p in (session.get(Person, pid) for pid in member_ids) if p]
            names = {p.id: p.name or "?" for p in members if p.id is not None}
            return {
                "id": group_id,
                "kind": group.kind,
                "members": [
                    {
                        "id": p.id,
                        "name": p.name,
                        "organisation": p.organisation,
                        "me": p.id == person.id,
                    }
                    for p in members
                ],
                "why": render_explanation(group.explanation, names, t),
                "first_question": t("intro.first_question"),
                "posts": [
                    {
                        "name": names.get(post.person_id, "?"),
                        "me": post.person_id == person.id,
                        "body": post.body,
                        # one time zone for people everywhere: Amsterdam, as in the chat
                        "at": post.created_at.astimezone(AMSTERDAM).isoformat(),
                        "at_text": post.created_at.astimezone(AMSTERDAM).strftime("%d-%m-%Y %H:%M"),
                    }
                    for post in threads.posts_of(session, group_id=group_id)
                ],
            }

    def post(self, account: Account, group_id: int, text: str) -> str:
        """Add a post for a member; the others hear of it in their chat.

        Returns ``ok``, ``empty``, ``too_long`` (nothing is cut off), ``rate_limited`` or
        ``forbidden``."""
        body = clean_text(text)
        if not body:
            return "empty"
        if len(body) > MAX_POST:
            return "too_long"
        if self.limiter is not None and not self.limiter.allow(account):
            return "rate_limited"
        with session_scope(self.engine) as session:
            person, group = self._member(session, account, group_id)
            if person is None or person.id is None or group is None:
                return "forbidden"
            post = threads.add_post(session, group_id=group_id, person_id=person.id, body=body)
            for other_id in rounds.members_of(session, group_ids=[group_id])[group_id]:
                other = session.get(Person, other_id)
                if other is None or other.id == person.id:
                    continue
                t = translator(other.language)
                notice = Text(
                    t(
                        "thread.new_post",
                        name=person.name or "?",
                        url=self.link(f"/groups/{group_id}"),
                    )
                )
                outbox.enqueue(
                    session,
                    dedupe_key=f"thread:{post.id}:{other_id}",
                    recipient_id=other_id,
                    kind="thread_post",
                    payload={"messages": [to_dict(notice)]},
                )
            return "ok"
