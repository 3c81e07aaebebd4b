"""privacy: consents per purpose, retention warnings, erasure records (owned by #9)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26

A placeholder in the chain so that parallel work can each own one revision; it changes nothing
until its owner fills it.
"""

from collections.abc import Sequence

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
