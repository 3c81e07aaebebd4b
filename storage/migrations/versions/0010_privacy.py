"""privacy: last activity and retention warning per person

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26

Adds when a person was last active and when they were warned that their data will be erased
for inactivity (retention). Consents per purpose and erasure records use the existing consent and
audit tables.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_active_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "retention_warned_at", storage.types.UTCDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("retention_warned_at")
        batch_op.drop_column("last_active_at")
