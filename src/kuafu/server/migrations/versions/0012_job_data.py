"""Placeholder for the job data (issue 18): calibration snapshots, tags, retention; its owner fills it in.

Revision ID: 0012
Revises: 0011
"""

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
