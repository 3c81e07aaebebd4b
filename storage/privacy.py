"""What is held about one person (for an export), erasing it, and finding who is inactive.

Plain functions over a session, like the other repositories. The use cases (links, messages,
audit wording) live in ``bot.services.privacy``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, func, select

from storage import slack, teams
from storage.models import (
    AuditEvent,
    BlockedPair,
    CheckIn,
    CheckInAnswer,
    Consent,
    ConversationState,
    FollowUpAnswer,
    GroupMember,
    GroupPost,
    InboxMessage,
    Invitation,
    MatchGroup,
    MatchRound,
    OutboxMessage,
    Person,
    ProfileAnswer,
    ProfileEmbedding,
    ReviewDecision,
    SignInToken,
    SlackMember,
    TeamsConversation,
    WebIdentity,
)
from storage.types import utcnow

#: Person columns that hold what a person typed (scrubbed from others' copies on erasure).
TYPED_COLUMNS = ("name", "organisation", "themes_other", "works_on", "seeks", "offers", "ongemak")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def _row(model: Any, *, leave_out: Iterable[str] = ()) -> dict[str, Any]:
    skip = set(leave_out)
    return {k: _plain(v) for k, v in model.model_dump().items() if k not in skip}


def person_data(session: Session, *, person_id: int) -> dict[str, Any] | None:
    """Everything stored about one person, as JSON-ready data (None if there is nobody)."""
    person = session.get(Person, person_id)
    if person is None:
        return None
    identity = f"{person.platform}:{person.platform_user_id}"

    def rows(model: Any, *where: Any, order: Any = None) -> list[Any]:
        query = select(model).where(*where)
        if order is not None:
            query = query.order_by(order)
        return list(session.exec(query).all())

    state = session.get(ConversationState, person_id)
    memberships = rows(GroupMember, GroupMember.person_id == person_id)
    group_ids = [m.group_id for m in memberships]
    groups = {
        g.id: g for g in rows(MatchGroup, col(MatchGroup.id).in_(group_ids), order=MatchGroup.id)
    }
    round_ids = {g.round_id for g in groups.values()}
    round_at = {
        r.id: r.created_at
        for r in rows(MatchRound, col(MatchRound.id).in_(round_ids), order=MatchRound.id)
    }
    sizes = dict(
        session.exec(
            select(GroupMember.group_id, func.count())
            .where(col(GroupMember.group_id).in_(group_ids))
            .group_by(col(GroupMember.group_id))
        ).all()
    )
    checkin_ids = [a.checkin_id for a in rows(CheckInAnswer, CheckInAnswer.person_id == person_id)]
    prompts = {c.id: c.prompt_code for c in rows(CheckIn, col(CheckIn.id).in_(checkin_ids))}
    return {
        "person": _row(person),
        "conversation": _row(state) if state is not None else None,
        "profile_history": [
            _row(a)
            for a in rows(
                ProfileAnswer, ProfileAnswer.person_id == person_id, order=ProfileAnswer.id
            )
        ],
        "consents": [
            _row(c) for c in rows(Consent, Consent.person_id == person_id, order=Consent.id)
        ],
        # The vectors themselves are numbers derived from the texts above: their metadata only.
        "embeddings": [
            _row(e, leave_out=("vector",))
            for e in rows(ProfileEmbedding, ProfileEmbedding.person_id == person_id)
        ],
        "groups": [
            {
                "group_id": m.group_id,
                "round_id": groups[m.group_id].round_id,
                "round_created_at": _plain(round_at.get(groups[m.group_id].round_id)),
                "kind": groups[m.group_id].kind,
                "status": groups[m.group_id].status,
                "members": int(sizes.get(m.group_id, 0)),
                "added_at": _plain(m.added_at),
                "introduced_at": _plain(groups[m.group_id].introduced_at),
            }
            for m in memberships
            if m.group_id in groups
        ],
        "follow_up_answers": [
            _row(f) for f in rows(FollowUpAnswer, FollowUpAnswer.person_id == person_id)
        ],
        "never_again_with": [
            b.person_high if b.person_low == person_id else b.person_low
            for b in rows(
                BlockedPair,
                or_(
                    col(BlockedPair.person_low) == person_id,
                    col(BlockedPair.person_high) == person_id,
                ),
            )
        ],
        "checkin_answers": [
            {**_row(a), "prompt": prompts.get(a.checkin_id)}
            for a in rows(CheckInAnswer, CheckInAnswer.person_id == person_id)
        ],
        "group_posts": [
            _row(p) for p in rows(GroupPost, GroupPost.person_id == person_id, order=GroupPost.id)
        ],
        "messages_to_you": [
            _row(o, leave_out=("claimed_by", "claimed_at"))
            for o in rows(
                OutboxMessage, OutboxMessage.recipient_id == person_id, order=OutboxMessage.id
            )
        ],
        "web_inbox": [
            _row(i)
            for i in rows(InboxMessage, InboxMessage.person_id == person_id, order=InboxMessage.id)
        ],
        # where the bot reaches them on their platform (Slack DM channel, Teams conversation)
        "platform_account": [_row(r) for r in _platform_rows(session, person)],
        # how they sign in to the web (an e-mail address, an OIDC subject) and their invitation;
        # sign-in links are kept as hashes only, so their dates are all there is to show
        "web_identities": [_row(w) for w in rows(WebIdentity, WebIdentity.person_id == person_id)],
        "invitation": [_row(i) for i in rows(Invitation, Invitation.person_id == person_id)],
        "signin_links": [
            _row(t, leave_out=("token_hash",))
            for t in rows(SignInToken, SignInToken.email == (person.email or ""))
        ],
        "audit_events": [
            _row(e)
            for e in rows(
                AuditEvent,
                or_(
                    col(AuditEvent.actor).in_([identity, f"unverified:{identity}"]),
                    (col(AuditEvent.object_type) == "person")
                    & (col(AuditEvent.object_id) == str(person_id)),
                ),
                order=AuditEvent.id,
            )
        ],
    }


def _platform_rows(session: Session, person: Person) -> list[Any]:
    """The platform adapters' rows about this person, keyed by their platform account."""
    user = person.platform_user_id
    found: SlackMember | TeamsConversation | None = None
    if person.platform == "slack":
        found = slack.member(session, user_id=user)
    elif person.platform == "teams":
        found = teams.reference_of(session, user_id=user)
    return [] if found is None else [found]


def typed_texts(session: Session, *, person_id: int) -> list[str]:
    """Every text this person typed that is still stored: profile (now and history), check-in
    answers and group posts. Used to scrub copies of them from what others received."""
    person = session.get(Person, person_id)
    found: list[Any] = []
    if person is not None:
        found += [getattr(person, name) for name in TYPED_COLUMNS]
    found += [
        a.value
        for a in session.exec(select(ProfileAnswer).where(ProfileAnswer.person_id == person_id))
    ]
    found += [
        a.text
        for a in session.exec(select(CheckInAnswer).where(CheckInAnswer.person_id == person_id))
    ]
    found += [
        p.body for p in session.exec(select(GroupPost).where(GroupPost.person_id == person_id))
    ]
    return [text for text in found if isinstance(text, str) and text.strip()]


def _patterns(fragments: Sequence[str]) -> list[re.Pattern[str]]:
    """Whole-word patterns, longest first: a sentence goes before a word inside it, and a short
    name ("Eva") never takes a bite out of another word ("Evaluatie")."""
    unique = sorted({f.strip() for f in fragments if len(f.strip()) >= 3}, key=len, reverse=True)
    return [re.compile(rf"(?<!\w){re.escape(f)}(?!\w)") for f in unique]


def _scrub(value: Any, patterns: Sequence[re.Pattern[str]], placeholder: str) -> Any:
    if isinstance(value, str):
        for pattern in patterns:
            value = pattern.sub(placeholder, value)
        return value
    if isinstance(value, list):
        return [_scrub(v, patterns, placeholder) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, patterns, placeholder) for k, v in value.items()}
    return value


def erase_person(
    session: Session, *, person_id: int, fragments: Sequence[str], placeholder: str, pseudonym: str
) -> dict[str, int] | None:
    """Delete a person and everything of theirs; scrub copies of their texts from what the other
    members of their groups hold (messages, explanations); replace their identity in the audit
    trail by ``pseudonym``. Groups stay for the others. Returns counts of what went, or None.
    """
    person = session.get(Person, person_id)
    if person is None:
        return None
    identity = f"{person.platform}:{person.platform_user_id}"
    patterns = _patterns(fragments)
    group_ids = list(
        session.exec(select(GroupMember.group_id).where(GroupMember.person_id == person_id))
    )
    others = list(
        session.exec(
            select(GroupMember.person_id)
            .where(col(GroupMember.group_id).in_(group_ids), GroupMember.person_id != person_id)
            .distinct()
        )
    )
    scrubbed = 0
    for group in session.exec(select(MatchGroup).where(col(MatchGroup.id).in_(group_ids))):
        explanation = dict(group.explanation)
        fit = explanation.get("fit")
        if isinstance(fit, dict) and person_id in (fit.get("seeker"), fit.get("offerer")):
            explanation.pop("fit")
        explanation = _scrub(explanation, patterns, placeholder)
        if explanation != group.explanation:
            group.explanation = explanation
            session.add(group)
            scrubbed += 1
    for message in session.exec(
        select(OutboxMessage).where(col(OutboxMessage.recipient_id).in_(others))
    ):
        payload = _scrub(message.payload, patterns, placeholder)
        if payload != message.payload:
            message.payload = payload
            session.add(message)
            scrubbed += 1
    for inbox in session.exec(select(InboxMessage).where(col(InboxMessage.person_id).in_(others))):
        messages = _scrub(inbox.messages, patterns, placeholder)
        if messages != inbox.messages:
            inbox.messages = messages
            session.add(inbox)
            scrubbed += 1
    pending = session.exec(
        select(func.count()).where(
            OutboxMessage.recipient_id == person_id, OutboxMessage.status == "pending"
        )
    ).one()
    audited = session.execute(
        update(AuditEvent)
        .where(col(AuditEvent.actor).in_([identity, f"unverified:{identity}"]))
        # a tally's key is a hash of the identity: it goes too, or it would link the pseudonym
        .values(actor=pseudonym, tally_key=None)
    ).rowcount  # type: ignore[attr-defined]
    # A person who also reviewed (a coordinator) leaves decisions behind: they keep the pseudonym.
    session.execute(
        update(ReviewDecision).where(col(ReviewDecision.actor) == identity).values(actor=pseudonym)
    )
    session.execute(
        update(MatchRound)
        .where(col(MatchRound.proposed_by) == identity)
        .values(proposed_by=pseudonym)
    )
    audited += session.execute(
        update(AuditEvent)
        .where(col(AuditEvent.object_type) == "person", col(AuditEvent.object_id) == str(person_id))
        .values(object_id=pseudonym[:64], detail={})
    ).rowcount  # type: ignore[attr-defined]
    # Explicit deletes (the foreign keys cascade too): every table that holds a person_id.
    counts: dict[str, int] = {}
    for model, column in (
        (ProfileEmbedding, ProfileEmbedding.person_id),
        (ProfileAnswer, ProfileAnswer.person_id),
        (Consent, Consent.person_id),
        (ConversationState, ConversationState.person_id),
        (CheckInAnswer, CheckInAnswer.person_id),
        (GroupPost, GroupPost.person_id),
        (GroupMember, GroupMember.person_id),
        (FollowUpAnswer, FollowUpAnswer.person_id),
        (InboxMessage, InboxMessage.person_id),
        (OutboxMessage, OutboxMessage.recipient_id),
        (WebIdentity, WebIdentity.person_id),
        (Invitation, Invitation.person_id),
    ):
        result = session.execute(delete(model).where(col(column) == person_id))
        counts[model.__tablename__] = int(result.rowcount)  # type: ignore[attr-defined]
    session.execute(
        delete(BlockedPair).where(
            or_(col(BlockedPair.person_low) == person_id, col(BlockedPair.person_high) == person_id)
        )
    )
    dissolve_lone_proposals(session, group_ids=group_ids)
    if person.email:
        session.execute(delete(SignInToken).where(col(SignInToken.email) == person.email))
    platform_rows = _platform_rows(session, person)
    for row in platform_rows:
        session.delete(row)
    counts["platform_account"] = len(platform_rows)
    session.execute(delete(Person).where(col(Person.id) == person_id))
    session.flush()
    session.expunge_all()
    return {
        **counts,
        "pending_messages": int(pending),
        "copies_scrubbed": scrubbed,
        "audit_pseudonymised": int(audited),
    }


def make_answers_private(session: Session, *, person_id: int) -> int:
    """After sharing consent is withdrawn: none of their check-in answers is shown to the group."""
    result = session.execute(
        update(CheckInAnswer)
        .where(col(CheckInAnswer.person_id) == person_id, col(CheckInAnswer.shared).is_(True))
        .values(shared=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def leave_proposed_groups(session: Session, *, person_id: int) -> int:
    """After matching consent is withdrawn: out of every group that is still only a proposal
    (the coordinator sees the group without them; approved and introduced groups keep history).
    A proposal left with one member is dissolved (see :func:`dissolve_lone_proposals`)."""
    proposed = select(MatchGroup.id).where(MatchGroup.status == "proposed")
    group_ids = list(
        session.exec(
            select(GroupMember.group_id).where(
                col(GroupMember.person_id) == person_id,
                col(GroupMember.group_id).in_(proposed.scalar_subquery()),
            )
        )
    )
    result = session.execute(
        delete(GroupMember).where(
            col(GroupMember.person_id) == person_id, col(GroupMember.group_id).in_(group_ids)
        )
    )
    dissolve_lone_proposals(session, group_ids=group_ids)
    return int(result.rowcount)  # type: ignore[attr-defined]


def dissolve_lone_proposals(session: Session, *, group_ids: Sequence[int]) -> list[int]:
    """Proposed groups that lost members until fewer than two are left cannot be introduced:
    they become ``dissolved`` and the one left is free for the next round. Returns their ids."""
    dissolved: list[int] = []
    if not group_ids:
        return dissolved
    session.flush()
    sizes = dict(
        session.exec(
            select(GroupMember.group_id, func.count())
            .where(col(GroupMember.group_id).in_(group_ids))
            .group_by(col(GroupMember.group_id))
        ).all()
    )
    for group in session.exec(
        select(MatchGroup).where(
            col(MatchGroup.id).in_(group_ids), col(MatchGroup.status) == "proposed"
        )
    ):
        assert group.id is not None
        if sizes.get(group.id, 0) >= 2:
            continue
        session.execute(delete(GroupMember).where(col(GroupMember.group_id) == group.id))
        group.status = "dissolved"
        group.decided_at = utcnow()
        session.add(group)
        dissolved.append(group.id)
    return dissolved


def touch(session: Session, *, person: Person, at: datetime) -> None:
    """A turn from this person: they are active, and any retention warning is void."""
    person.last_active_at = at
    person.retention_warned_at = None
    session.add(person)


def last_active(person: Person) -> datetime:
    return person.last_active_at or person.updated_at or person.created_at


def inactive_unwarned(session: Session, *, before: datetime, limit: int = 500) -> Sequence[Person]:
    """People (not demo) inactive since ``before`` and not yet warned."""
    active = func.coalesce(col(Person.last_active_at), col(Person.updated_at))
    return session.exec(
        select(Person)
        .where(
            active < before,
            col(Person.retention_warned_at).is_(None),
            col(Person.is_demo).is_(False),
        )
        .order_by(col(Person.id))
        .limit(limit)
    ).all()


def warned_before(session: Session, *, before: datetime, limit: int = 500) -> Sequence[int]:
    """Ids of people warned before ``before`` who have not been active since (a turn clears the
    warning)."""
    return session.exec(
        select(Person.id)
        .where(col(Person.retention_warned_at) < before, col(Person.is_demo).is_(False))
        .order_by(col(Person.id))
        .limit(limit)
    ).all()  # type: ignore[return-value]
