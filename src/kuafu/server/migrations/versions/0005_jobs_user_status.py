"""An index on jobs (user_id, status), for the queued-jobs quota of each submission.

Without it, counting a user's queued jobs read every job the user ever ran (through the
(user_id, created_at) index), so a submission cost grew with the user's history.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_jobs_user_status", "jobs", ["user_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_jobs_user_status", table_name="jobs")
