"""Teams conversation references and Teams-specific state (owned by the Teams work, #8)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26

A placeholder in the chain so that parallel work can each own one revision; it changes nothing
until its owner fills it.
"""

from collections.abc import Sequence

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
