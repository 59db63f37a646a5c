"""The scheduling lease: one server schedules from a store at a time.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from kuafu.server.models import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduler_lease",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("heartbeat_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("scheduler_lease")
