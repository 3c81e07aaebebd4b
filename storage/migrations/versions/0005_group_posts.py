"""group threads: posts in an introduced group's conversation

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "group_post",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["match_group.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("group_post", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_group_post_group_id"), ["group_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_group_post_person_id"), ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("group_post", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_post_person_id"))
        batch_op.drop_index(batch_op.f("ix_group_post_group_id"))
    op.drop_table("group_post")
