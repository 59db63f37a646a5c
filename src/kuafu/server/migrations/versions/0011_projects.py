"""Placeholder for the projects (issue 17): projects, allocations, sessions, reservations, webhooks; its owner fills it in.

Revision ID: 0011
Revises: 0010
"""

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
