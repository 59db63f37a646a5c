"""Job groups (quafu-sdk's jobs: single, collection, sweep, iterative), each task an
ordinary job row with its place in the group (`jobs.group_seq`) and what the group's API
says of it (`jobs.task_meta`); calibration snapshots kept by the id results carry.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from kuafu.server.models import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("group_seq", sa.Integer, nullable=True))
        batch.add_column(sa.Column("task_meta", sa.JSON, nullable=True))
    op.create_table(
        "job_groups",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("target", sa.String(80), nullable=False),
        sa.Column("backend", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("shots", sa.Integer, nullable=False),
        sa.Column("compile", sa.Boolean, nullable=False),
        sa.Column("parameters", sa.JSON, nullable=True),
        sa.Column("template_qasm", sa.Text, nullable=True),
        sa.Column("open", sa.Boolean, nullable=False),
        sa.Column("client_ref", sa.String(100), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("closed_at", UTCDateTime, nullable=True),
        sa.UniqueConstraint("user_id", "client_ref", name="uq_job_groups_user_client_ref"),
    )
    op.create_index("ix_job_groups_user_created", "job_groups", ["user_id", "created_at"])
    op.create_table(
        "calibration_snapshots",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("chip", sa.String(64), nullable=False),
        sa.Column("calibrated_at", UTCDateTime, nullable=True),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_calibration_snapshots_chip", "calibration_snapshots", ["chip"])


def downgrade() -> None:
    op.drop_index("ix_calibration_snapshots_chip", table_name="calibration_snapshots")
    op.drop_table("calibration_snapshots")
    op.drop_index("ix_job_groups_user_created", table_name="job_groups")
    op.drop_table("job_groups")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("task_meta")
        batch.drop_column("group_seq")
