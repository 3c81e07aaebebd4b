"""a follow-up answer may say why; a group that did not meet is asked once more

Revision ID: 0014_followup_reason
Revises: 0013
Create Date: 2026-12-02

``follow_up_answer.reason``: the word or two a member may add to "not yet" or "not a fit"
(personal free text: shown to coordinators, exported and erased with the person, never logged,
never quoted by the matcher). ``match_group.follow_up_again_at``: when a group that had not met
was asked the follow-up a second (and last) time; NULL while it was not.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0014_followup_reason"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE … ADD COLUMN, never a batch rebuild: on SQLite rebuilding ``match_group``
    # would delete, through the foreign keys, every membership and answer that hangs off it.
    op.add_column(
        "follow_up_answer",
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    )
    op.add_column(
        "match_group",
        sa.Column("follow_up_again_at", storage.types.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("match_group", "follow_up_again_at")
    op.drop_column("follow_up_answer", "reason")
