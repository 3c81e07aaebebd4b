"""The tables. Names follow the domain; every datetime is aware (UTC in the database)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


def _when(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(
        default=None,
        sa_type=UTCDateTime(),
        nullable=nullable,
        index=index,
    )


class Person(SQLModel, table=True):
    """Someone who talks to the bot on one platform.

    Before consent only the platform account, the interface language and the conversation step
    exist; the profile columns stay empty until the person confirms their summary.
    """

    __tablename__ = "person"
    __table_args__ = (
        UniqueConstraint("platform", "platform_user_id", name="uq_person_platform_user"),
        # an index, not a table constraint: SQLite adds it without rebuilding ``person``
        Index("uq_person_email", "email", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    platform_user_id: str = Field(max_length=255)
    language: str = Field(default="nl", max_length=8)
    language_chosen: bool = False
    name: str | None = Field(default=None, max_length=100)
    organisation: str | None = Field(default=None, max_length=200)
    organisation_kind: str | None = Field(default=None, max_length=32)
    group: str | None = Field(default=None, max_length=16)
    region: str | None = Field(default=None, max_length=32)
    themes: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    themes_other: str | None = Field(default=None, max_length=200)
    phase: str | None = Field(default=None, max_length=32)
    works_on: str | None = None
    seeks: str | None = None
    offers: str | None = None
    ongemak: str | None = None
    rhythm: str | None = Field(default=None, max_length=16)
    profile_completed_at: datetime | None = _when(nullable=True)
    paused_from: datetime | None = _when(nullable=True)
    paused_until: date | None = None
    is_demo: bool = Field(default=False, index=True)
    #: The last turn this person sent (retention counts inactivity from here).
    last_active_at: datetime | None = _when(nullable=True)
    #: When the "we will erase your data" warning went out; cleared by any new turn.
    retention_warned_at: datetime | None = _when(nullable=True)
    #: A web person's work address (lower case), proven by a sign-in link or an OIDC provider;
    #: where their messages also go by e-mail while ``email_notifications`` is on.
    email: str | None = Field(default=None, max_length=254)
    email_notifications: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)


class Consent(SQLModel, table=True):
    """One consent decision: given or refused, for one purpose, under one policy version."""

    __tablename__ = "consent"
    __table_args__ = (Index("ix_consent_person_purpose", "person_id", "purpose"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(
        sa_column=Column(Integer, ForeignKey("person.id", ondelete="CASCADE"), nullable=False)
    )
    purpose: str = Field(max_length=32)
    policy_version: str = Field(max_length=32)
    given: bool
    decided_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)
    withdrawn_at: datetime | None = _when(nullable=True)


class ProfileAnswer(SQLModel, table=True):
    """Every answer a person gave, with its history.

    ``draft`` answers wait for the person's "klopt"; on commit they become ``committed`` and the
    previous committed value of the same field becomes ``superseded``. A draft replaced by another
    draft before commit becomes ``replaced``.
    """

    __tablename__ = "profile_answer"
    __table_args__ = (Index("ix_profile_answer_person_status", "person_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(
        sa_column=Column(Integer, ForeignKey("person.id", ondelete="CASCADE"), nullable=False)
    )
    field: str = Field(max_length=32)
    value: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    status: str = Field(default="draft", max_length=16)
    answered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)
    committed_at: datetime | None = _when(nullable=True)
    superseded_at: datetime | None = _when(nullable=True)


class ConversationState(SQLModel, table=True):
    """Where a person is in the conversation, so it resumes after a restart."""

    __tablename__ = "conversation_state"

    person_id: int = Field(
        sa_column=Column(Integer, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    )
    step: str = Field(default="start", max_length=32)
    context: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)


class ProfileEmbedding(SQLModel, table=True):
    """The vector of one free text of one person, for one embedder.

    ``text_hash`` is the hash of the text that was embedded: when a profile text or the embedder
    changes, only that text is embedded again. Vectors are float32 bytes, L2-normalised.
    """

    __tablename__ = "profile_embedding"
    __table_args__ = (
        UniqueConstraint("person_id", "field", "embedder", name="uq_profile_embedding"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(
        sa_column=Column(Integer, ForeignKey("person.id", ondelete="CASCADE"), nullable=False)
    )
    field: str = Field(max_length=32)
    embedder: str = Field(max_length=200)
    text_hash: str = Field(max_length=64)
    dimensions: int
    vector: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)


class MatchRound(SQLModel, table=True):
    """One proposal of maatjes (pairs) or clubjes, reviewed before anyone is introduced.

    status: ``proposed`` → ``under_review`` (a first decision) → ``introduced``, or ``cancelled``.
    """

    __tablename__ = "match_round"
    __table_args__ = (UniqueConstraint("schedule_slot", name="uq_match_round_schedule_slot"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # "pairs" | "clubs"
    #: For scheduled rounds: the period they belong to, so two instances never both propose one.
    schedule_slot: str | None = Field(default=None, max_length=32)
    status: str = Field(default="proposed", max_length=16, index=True)
    origin: str = Field(max_length=16)  # schedule | dashboard | chat | cli
    proposed_by: str | None = Field(default=None, max_length=255)
    embedder: str = Field(max_length=200)
    weights: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    total_score: float = 0.0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)
    reviewed_at: datetime | None = _when(nullable=True)
    introduced_at: datetime | None = _when(nullable=True)
    cancelled_at: datetime | None = _when(nullable=True)


class MatchGroup(SQLModel, table=True):
    """A proposed pair, trio or club within a round, with its score and explanation.

    status: ``proposed`` → ``approved`` → ``introduced``, or ``rejected``.
    """

    __tablename__ = "match_group"
    __table_args__ = (UniqueConstraint("round_id", "position", name="uq_match_group_position"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("match_round.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    position: int
    kind: str = Field(max_length=8)  # pair | trio | club
    status: str = Field(default="proposed", max_length=16)
    score: float = 0.0
    explanation: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    reject_reason: str | None = Field(default=None, max_length=1000)
    decided_at: datetime | None = _when(nullable=True)
    introduced_at: datetime | None = _when(nullable=True)
    #: When the group, not having met, was asked the follow-up a second and last time.
    follow_up_again_at: datetime | None = _when(nullable=True)


class GroupMember(SQLModel, table=True):
    """Who is in a group. Erasing a person removes their membership; the group stays for others."""

    __tablename__ = "group_member"

    group_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("match_group.id", ondelete="CASCADE"), primary_key=True
        )
    )
    person_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
    added_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)


class ReviewDecision(SQLModel, table=True):
    """A coordinator's decision on a group (or a whole round): approve, reject, swap, move."""

    __tablename__ = "review_decision"

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("match_round.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    group_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("match_group.id", ondelete="SET NULL"), nullable=True),
    )
    actor: str = Field(max_length=255)
    action: str = Field(max_length=16)
    reason: str | None = Field(default=None, max_length=1000)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)


class AuditEvent(SQLModel, table=True):
    """Who did what to which object, with what result, from where. Holds ids, never free text."""

    __tablename__ = "audit_event"
    __table_args__ = (UniqueConstraint("tally_key", name="uq_audit_event_tally_key"),)

    id: int | None = Field(default=None, primary_key=True)
    actor: str = Field(max_length=255, index=True)
    action: str = Field(max_length=64)
    object_type: str = Field(max_length=32)
    object_id: str | None = Field(default=None, max_length=64)
    result: str = Field(max_length=16)  # ok | refused | failed
    origin: str = Field(max_length=16)  # web | slack | teams | cli | scheduler | dashboard
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False, index=True)
    # Repeated refusals from one source are one row with a count (see storage.audit.tally), so a
    # flood of them cannot bury the decisions that matter.
    count: int = Field(default=1, nullable=False)
    tally_key: str | None = Field(default=None, max_length=64)


class OutboxMessage(SQLModel, table=True):
    """Every message to a person passes through here, once.

    ``dedupe_key`` is UNIQUE, so enqueueing the same message twice (two instances, a retry, a
    restart) inserts it once; delivery claims rows atomically (``pending`` → ``sending``) and marks
    them ``sent`` or, after the last attempt, ``failed`` — never silently dropped.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("dedupe_key", name="uq_outbox_dedupe_key"),
        Index("ix_outbox_status_not_before", "status", "not_before"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=255)
    recipient_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("person.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    kind: str = Field(max_length=32)
    #: Delivered by this channel (``mail``) instead of the recipient's own platform (None).
    channel: str | None = Field(default=None, max_length=16)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    not_before: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = _when(nullable=True)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)
    sent_at: datetime | None = _when(nullable=True)


class BlockedPair(SQLModel, table=True):
    """Two people who are never matched again ("never again with X"), stored low id first."""

    __tablename__ = "blocked_pair"

    person_low: int = Field(
        sa_column=Column(Integer, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    )
    person_high: int = Field(
        sa_column=Column(Integer, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    )
    reason: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)


class FollowUpAnswer(SQLModel, table=True):
    """A member's answer to "hebben jullie elkaar gesproken?" for one group."""

    __tablename__ = "follow_up_answer"

    group_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("match_group.id", ondelete="CASCADE"), primary_key=True
        )
    )
    person_id: int = Field(
        sa_column=Column(Integer, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    )
    answer: str = Field(max_length=16)  # met | not_yet | not_a_fit
    #: Why, in a word or two (personal free text: coordinators see it, the matcher never does).
    reason: str | None = Field(default=None, max_length=200)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)


class InboxMessage(SQLModel, table=True):
    """Messages delivered to a local (web chat or terminal) account, shown when they next look."""

    __tablename__ = "inbox_message"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("person.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    messages: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)
    seen_at: datetime | None = _when(nullable=True)


class DashboardAccount(SQLModel, table=True):
    """A local login for the coordinator dashboard. Only an Argon2 hash of the password is kept."""

    __tablename__ = "dashboard_account"

    username: str = Field(primary_key=True, max_length=80)
    password_hash: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)
    last_login_at: datetime | None = _when(nullable=True)
    # coordinator | admin, granted by `maatjes coordinator password NAME`; None: no role here
    # (MAATJES_COORDINATORS / MAATJES_ADMINS may still grant one).
    role: str | None = Field(default=None, max_length=16)
    # In every dashboard session cookie; raising it (logout, new password) ends all sessions.
    session_version: int = Field(default=1, nullable=False)


class GroupPost(SQLModel, table=True):
    """A message in a group's thread (the web chat's group conversation after an introduction).

    Erasing a person removes their posts; the thread stays for the others.
    """

    __tablename__ = "group_post"

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("match_group.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    person_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("person.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    body: str
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)


class CheckInPrompt(SQLModel, table=True):
    """A coordinator's own reflection question (the built-in library lives in the code)."""

    __tablename__ = "checkin_prompt"

    id: int | None = Field(default=None, primary_key=True)
    text_nl: str = Field(max_length=500)
    text_en: str | None = Field(default=None, max_length=500)
    created_by: str = Field(max_length=255)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)


class CheckIn(SQLModel, table=True):
    """One reflection check-in of a group: scheduled → sent → closed (after the round-up), or
    ``missed`` when the bot was down past the grace period."""

    __tablename__ = "checkin"
    __table_args__ = (UniqueConstraint("group_id", "sequence", name="uq_checkin_group_sequence"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("match_group.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    sequence: int
    prompt_code: str = Field(max_length=32)
    due_at: datetime = Field(sa_type=UTCDateTime(), nullable=False, index=True)
    status: str = Field(default="scheduled", max_length=16, index=True)
    sent_at: datetime | None = _when(nullable=True)
    closed_at: datetime | None = _when(nullable=True)


class CheckInAnswer(SQLModel, table=True):
    """A member's answer to a check-in: answered (with text) or skipped; shared with the group
    only when they said so."""

    __tablename__ = "checkin_answer"

    checkin_id: int = Field(
        sa_column=Column(Integer, ForeignKey("checkin.id", ondelete="CASCADE"), primary_key=True)
    )
    person_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
    status: str = Field(default="answered", max_length=16)  # answered | skipped
    text: str | None = None
    shared: bool = False
    answered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)


class PlatformEvent(SQLModel, table=True):
    """An inbound platform event (Slack ``event_id``, Teams activity id) seen once.

    Platforms retry deliveries; the unique key makes "process once" hold across instances."""

    __tablename__ = "platform_event"
    __table_args__ = (UniqueConstraint("platform", "event_id", name="uq_platform_event"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    event_id: str = Field(max_length=255)
    received_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime(), nullable=False, index=True
    )


class TeamsConversation(SQLModel, table=True):
    """Where the bot can reach a Teams user: the personal chat's conversation reference.

    Stored (and refreshed) on every activity from that user, so proactive messages (introductions,
    check-ins) can be sent later. ``principal_name`` (the UPN) builds deep links to group chats."""

    __tablename__ = "teams_conversation"
    __table_args__ = (UniqueConstraint("user_id", name="uq_teams_conversation_user"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(max_length=255)
    tenant_id: str | None = Field(default=None, max_length=64)
    conversation_id: str = Field(max_length=512)
    service_url: str = Field(max_length=512)
    principal_name: str | None = Field(default=None, max_length=255)
    reference: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)


class SlackInstallation(SQLModel, table=True):
    """One installation of the Slack app in a workspace (or an Enterprise Grid organisation),
    as slack_sdk's OAuth flow reports it. ``data`` holds the whole record, its tokens sealed
    by the service that stores it (bot.services.slack_state.TokenSeal)."""

    __tablename__ = "slack_installation"

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: str | None = Field(default=None, max_length=32, index=True)
    team_id: str | None = Field(default=None, max_length=32, index=True)
    is_enterprise_install: bool = False
    user_id: str | None = Field(default=None, max_length=32)
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    installed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)


class SlackMember(SQLModel, table=True):
    """Where a Slack user lives (workspace, organisation) and their DM channel with the bot, so
    messages from the outbox reach them with the right workspace's token."""

    __tablename__ = "slack_member"

    user_id: str = Field(primary_key=True, max_length=32)
    team_id: str | None = Field(default=None, max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)
    dm_channel: str | None = Field(default=None, max_length=32)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)


class SlackGroupChannel(SQLModel, table=True):
    """The Slack conversation of an introduced group: a group DM (up to 8 people) or a private
    channel. One per group; ``greeted_at`` marks its greeting as posted. A club that grows keeps
    it current: ``members`` are the Slack users it holds (sorted, comma-separated), ``joined``
    who the pending greeting welcomes (none: the first welcome), ``previous_channel`` the group
    DM it replaced (a group DM cannot take people in)."""

    __tablename__ = "slack_group_channel"

    group_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("match_group.id", ondelete="CASCADE"), primary_key=True
        )
    )
    channel_id: str = Field(max_length=32)
    kind: str = Field(max_length=16)  # mpim | private
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)
    greeted_at: datetime | None = _when(nullable=True)
    members: str | None = Field(default=None, sa_type=Text(), nullable=True)
    joined: str | None = Field(default=None, sa_type=Text(), nullable=True)
    previous_channel: str | None = Field(default=None, max_length=32, nullable=True)


class WebIdentity(SQLModel, table=True):
    """Someone who signs in to the web by a proven identity: ``email:ADDRESS`` (an e-mail link)
    or ``oidc:ISSUER|SUBJECT`` (an OpenID Connect provider). The chat person it is, if any
    (a coordinator may only use the dashboard), and the version every session cookie carries:
    raising it signs out everywhere."""

    __tablename__ = "web_identity"

    identity: str = Field(primary_key=True, max_length=400)
    person_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("person.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    email: str | None = Field(default=None, max_length=254)
    session_version: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)
    last_signin_at: datetime | None = _when(nullable=True)


class SignInToken(SQLModel, table=True):
    """A sign-in link sent by e-mail: only its SHA-256 is kept; spent once, before it expires."""

    __tablename__ = "signin_token"

    token_hash: str = Field(primary_key=True, max_length=64)
    email: str = Field(max_length=254, index=True)
    #: ``signin`` (asked on the page) or ``invitation`` (sent by a coordinator)
    purpose: str = Field(default="signin", max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime(), nullable=False)
    used_at: datetime | None = _when(nullable=True)


class Invitation(SQLModel, table=True):
    """One invitation per address: who was invited, when, the one reminder, and the person it
    became once they signed in."""

    __tablename__ = "invitation"
    __table_args__ = (UniqueConstraint("email", name="uq_invitation_email"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    name: str | None = Field(default=None, max_length=100)
    language: str = Field(default="nl", max_length=8)
    invited_by: str = Field(max_length=300)
    invited_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)
    reminded_at: datetime | None = _when(nullable=True)
    joined_at: datetime | None = _when(nullable=True)
    person_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("person.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
