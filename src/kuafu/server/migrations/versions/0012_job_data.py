"""Job data and calibration (issue 18): tags and metadata of jobs (with the `job_tags`
index table), replays pinned to a calibration point, deletion and retention marks, the
job-list filter indexes; recalibrations recorded in `calibration_snapshots`; chip faults.

Every existing job keeps its row and payload (no tags, not deleted); the existing
snapshots (quafu-sdk's records of the data files) keep `source` NULL.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

from kuafu.server.models import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

JOB_COLUMNS = (
    ("tags", sa.JSON), ("meta", sa.JSON), ("replay_of", sa.String(32)),
    ("calibration_pin", sa.JSON), ("deleted_at", UTCDateTime),
    ("payload_removed_at", UTCDateTime),
)
SNAPSHOT_COLUMNS = (
    ("source", sa.String(16)), ("started_at", UTCDateTime), ("requested_by", sa.String(100)),
)
JOB_INDEXES = (
    ("ix_jobs_user_backend_created", ["user_id", "backend", "created_at"]),
    ("ix_jobs_user_name", ["user_id", "name", "created_at"]),
    ("ix_jobs_finished", ["finished_at"]),
)


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        for name, kind in JOB_COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))
    for name, columns in JOB_INDEXES:
        op.create_index(name, "jobs", columns)
    with op.batch_alter_table("calibration_snapshots") as batch:
        for name, kind in SNAPSHOT_COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))
    op.create_table(
        "job_tags",
        sa.Column("job_id", sa.String(32), sa.ForeignKey("jobs.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("tag", sa.String(64), primary_key=True),
    )
    op.create_index("ix_job_tags_tag_job", "job_tags", ["tag", "job_id"])
    op.create_table(
        "chip_faults",
        sa.Column("chip", sa.String(64), primary_key=True),
        sa.Column("target", sa.String(32), primary_key=True),
        sa.Column("reason", sa.String(300), nullable=True),
        sa.Column("created_by", sa.String(100), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("chip_faults")
    op.drop_index("ix_job_tags_tag_job", table_name="job_tags")
    op.drop_table("job_tags")
    with op.batch_alter_table("calibration_snapshots") as batch:
        for name, _ in reversed(SNAPSHOT_COLUMNS):
            batch.drop_column(name)
    for name, _ in reversed(JOB_INDEXES):
        op.drop_index(name, table_name="jobs")
    with op.batch_alter_table("jobs") as batch:
        for name, _ in reversed(JOB_COLUMNS):
            batch.drop_column(name)
