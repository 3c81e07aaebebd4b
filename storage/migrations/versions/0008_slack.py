"""Slack installations and Slack-specific state (owned by the Slack work, #7)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26

A placeholder in the chain so that parallel work can each own one revision; it changes nothing
until its owner fills it.
"""

from collections.abc import Sequence

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
