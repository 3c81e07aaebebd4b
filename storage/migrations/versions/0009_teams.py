"""Teams: conversation references for proactive messages

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26

One row per Teams user the bot can reach: the personal chat's conversation reference (for
proactive introductions and check-ins) and the user principal name (for group chat deep links).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "teams_conversation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("tenant_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column(
            "conversation_id", sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False
        ),
        sa.Column("service_url", sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
        sa.Column("principal_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("reference", sa.JSON(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", name="uq_teams_conversation_user"),
    )


def downgrade() -> None:
    op.drop_table("teams_conversation")
