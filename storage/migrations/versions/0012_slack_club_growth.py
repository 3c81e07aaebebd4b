"""a club's Slack conversation follows the club as it grows

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01

A club can take newcomers in place, so its Slack conversation records the Slack members it holds
(``members``), who its pending greeting welcomes (``joined``) and, when a group DM had to be
replaced by a larger one, the one before (``previous_channel``). Existing conversations hold the
members the club had when the conversation was made.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("slack_group_channel", schema=None) as batch_op:
        batch_op.add_column(sa.Column("members", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("joined", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "previous_channel", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True
            )
        )
    when = storage.types.UTCDateTime(timezone=True)
    channel = sa.table(
        "slack_group_channel",
        sa.column("group_id", sa.Integer()),
        sa.column("created_at", when),
        sa.column("members", sa.Text()),
    )
    member = sa.table(
        "group_member",
        sa.column("group_id", sa.Integer()),
        sa.column("person_id", sa.Integer()),
        sa.column("added_at", when),
    )
    person = sa.table(
        "person",
        sa.column("id", sa.Integer()),
        sa.column("platform", sa.String()),
        sa.column("platform_user_id", sa.String()),
    )
    bind = op.get_bind()
    for group_id, created_at in bind.execute(sa.select(channel.c.group_id, channel.c.created_at)):
        users = bind.execute(
            sa.select(person.c.platform_user_id)
            .join(member, member.c.person_id == person.c.id)
            .where(
                member.c.group_id == group_id,
                person.c.platform == "slack",
                member.c.added_at <= created_at,
            )
        ).scalars()
        bind.execute(
            channel.update()
            .where(channel.c.group_id == group_id)
            .values(members=",".join(sorted(set(users))))
        )


def downgrade() -> None:
    with op.batch_alter_table("slack_group_channel", schema=None) as batch_op:
        batch_op.drop_column("previous_channel")
        batch_op.drop_column("joined")
        batch_op.drop_column("members")
