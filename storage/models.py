"""The tables. Names follow the domain; every datetime is aware (UTC in the database)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, LargeBinary, UniqueConstraint
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
