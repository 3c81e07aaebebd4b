"""dashboard sessions and roles, audit tallies

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

A dashboard account gets a role (granted by ``maatjes coordinator password NAME``, read by the
server) and a session version (in every session cookie; raised on logout and on a new password, so
copied cookies stop working). Audit events get a count and a tally key: repeated refusals from one
source in one window are one row with a count.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("count", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(
            sa.Column("tally_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.create_unique_constraint("uq_audit_event_tally_key", ["tally_key"])

    with op.batch_alter_table("dashboard_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.add_column(
            sa.Column("session_version", sa.Integer(), nullable=False, server_default="1")
        )


def downgrade() -> None:
    with op.batch_alter_table("dashboard_account", schema=None) as batch_op:
        batch_op.drop_column("session_version")
        batch_op.drop_column("role")

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_constraint("uq_audit_event_tally_key", type_="unique")
        batch_op.drop_column("tally_key")
        batch_op.drop_column("count")
