"""Shots per user per UTC day, for the daily quota.

Revision ID: 0004
Revises: 0003
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from kuafu.server.models import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    usage = op.create_table(
        "daily_usage",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("shots", sa.BigInteger, nullable=False, server_default="0"),
    )
    # today's jobs count against today's quota: carry them over (earlier days do not)
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    jobs = sa.table("jobs", sa.column("user_id"), sa.column("shots"),
                    sa.column("created_at", UTCDateTime))
    rows = op.get_bind().execute(
        sa.select(jobs.c.user_id, sa.func.sum(jobs.c.shots))
        .where(jobs.c.created_at >= midnight).group_by(jobs.c.user_id)).all()
    totals = {user_id: int(shots or 0) for user_id, shots in rows}
    if totals:
        op.bulk_insert(usage, [{"user_id": u, "day": midnight.date(), "shots": n}
                               for u, n in totals.items()])


def downgrade() -> None:
    op.drop_table("daily_usage")
