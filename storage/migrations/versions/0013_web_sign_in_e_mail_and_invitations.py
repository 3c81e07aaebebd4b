"""web sign-in by e-mail link or OIDC, e-mail as a channel, invitations

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02

``web_identity``: a proven e-mail address or OIDC subject, the person it is and the session
version its cookies carry; ``signin_token``: the hashes of mailed sign-in links; ``invitation``:
one per invited address. A person gains a work address and whether they want e-mail; an outbox
message may name the channel it goes by (``mail``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Text = sqlmodel.sql.sqltypes.AutoString
When = storage.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "signin_token",
        sa.Column("token_hash", Text(length=64), nullable=False),
        sa.Column("email", Text(length=254), nullable=False),
        sa.Column("purpose", Text(length=16), nullable=False),
        sa.Column("created_at", When(timezone=True), nullable=False),
        sa.Column("expires_at", When(timezone=True), nullable=False),
        sa.Column("used_at", When(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    with op.batch_alter_table("signin_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signin_token_email"), ["email"], unique=False)

    op.create_table(
        "invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", Text(length=254), nullable=False),
        sa.Column("name", Text(length=100), nullable=True),
        sa.Column("language", Text(length=8), nullable=False),
        sa.Column("invited_by", Text(length=300), nullable=False),
        sa.Column("invited_at", When(timezone=True), nullable=False),
        sa.Column("reminded_at", When(timezone=True), nullable=True),
        sa.Column("joined_at", When(timezone=True), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email", name="uq_invitation_email"),
    )
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitation_person_id"), ["person_id"], unique=False)

    op.create_table(
        "web_identity",
        sa.Column("identity", Text(length=400), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("email", Text(length=254), nullable=True),
        sa.Column("session_version", sa.Integer(), nullable=False),
        sa.Column("created_at", When(timezone=True), nullable=False),
        sa.Column("last_signin_at", When(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("identity"),
    )
    with op.batch_alter_table("web_identity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_identity_person_id"), ["person_id"], unique=False)

    # Plain ALTER TABLE … ADD COLUMN and CREATE UNIQUE INDEX, never a batch rebuild: on SQLite a
    # rebuild drops ``person``, and with foreign keys on that deletes every row that cascades
    # from it (memberships, answers, consents).
    op.add_column("outbox", sa.Column("channel", Text(length=16), nullable=True))
    op.add_column("person", sa.Column("email", Text(length=254), nullable=True))
    op.add_column(
        "person",
        sa.Column("email_notifications", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.create_index("uq_person_email", "person", ["email"], unique=True)


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+), for the same reason: no rebuild of ``person``
    op.drop_index("uq_person_email", table_name="person")
    op.drop_column("person", "email_notifications")
    op.drop_column("person", "email")
    op.drop_column("outbox", "channel")
    op.drop_table("web_identity")
    op.drop_table("invitation")
    op.drop_table("signin_token")
