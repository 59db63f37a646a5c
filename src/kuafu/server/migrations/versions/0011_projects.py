"""Projects (issue 17): projects with members, allocations and allowed backends; each job
charged to one project (and its emulated chip-seconds); chip sessions, reservations,
webhooks and their deliveries.

Every existing user gets a personal project `~name` (their default, which they own),
and their existing jobs are charged to it, at the repetition period per shot
(`services/charges.py`: their programs are not parsed again here).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

from kuafu.server.models import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

SHOT_SECONDS = 100e-6  # charges.REPETITION_SECONDS, fixed here as it was at this revision


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(80), nullable=False, unique=True),
        sa.Column("title", sa.String(200), nullable=True),
        sa.Column("personal", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("shots_allocation", sa.BigInteger, nullable=True),
        sa.Column("seconds_allocation", sa.Float, nullable=True),
        sa.Column("backends", sa.JSON, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "project_members",
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("is_default", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("added_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_project_members_user_id", "project_members", ["user_id"])
    op.create_table(
        "chip_sessions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("backend", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("max_seconds", sa.Float, nullable=False),
        sa.Column("idle_seconds", sa.Float, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("last_activity_at", UTCDateTime, nullable=False),
        sa.Column("ended_at", UTCDateTime, nullable=True),
        sa.Column("end_reason", sa.String(100), nullable=True),
    )
    op.create_index("ix_chip_sessions_user_id", "chip_sessions", ["user_id"])
    op.create_index("ix_chip_sessions_status", "chip_sessions", ["status"])
    op.create_table(
        "reservations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("backend", sa.String(64), nullable=False),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("starts_at", UTCDateTime, nullable=False),
        sa.Column("ends_at", UTCDateTime, nullable=False),
        sa.Column("reason", sa.String(300), nullable=True),
        sa.Column("created_by", sa.String(100), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_reservations_backend_ends", "reservations", ["backend", "ends_at"])
    op.create_table(
        "webhooks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id", ondelete="CASCADE"),
                  nullable=True),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("events", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_webhooks_user_id", "webhooks", ["user_id"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("webhook_id", sa.Integer, sa.ForeignKey("webhooks.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UTCDateTime, nullable=False),
        sa.Column("last_status", sa.Integer, nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("delivered_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_webhook_deliveries_webhook_id", "webhook_deliveries", ["webhook_id"])
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries",
                    ["status", "next_attempt_at"])
    # plain ADD COLUMN (no copy of the jobs table on SQLite); the foreign key where the
    # store can add one to an existing table
    op.add_column("jobs", sa.Column("project_id", sa.Integer, nullable=True))
    op.add_column("jobs", sa.Column("chip_seconds", sa.Float, nullable=True))
    op.add_column("jobs", sa.Column("session_id", sa.String(32), nullable=True))
    op.create_index("ix_jobs_project_created", "jobs", ["project_id", "created_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.create_foreign_key("fk_jobs_project_id", "jobs", "projects", ["project_id"],
                              ["id"], ondelete="SET NULL")
    _personal_projects()


def _personal_projects() -> None:
    """A personal project `~name` for every user, their default, and their jobs in it."""
    conn = op.get_bind()
    users_table = sa.table("users", sa.column("id", sa.Integer), sa.column("name", sa.String),
                           sa.column("created_at", UTCDateTime))
    users = conn.execute(sa.select(users_table).order_by(users_table.c.id)).all()
    projects = sa.table("projects", sa.column("id", sa.Integer), sa.column("name", sa.String),
                        sa.column("personal", sa.Boolean),
                        sa.column("created_at", UTCDateTime))
    members = sa.table("project_members", sa.column("project_id", sa.Integer),
                       sa.column("user_id", sa.Integer), sa.column("role", sa.String),
                       sa.column("is_default", sa.Boolean),
                       sa.column("added_at", UTCDateTime))
    for user in users:
        project_id = conn.execute(
            projects.insert().values(name=f"~{user.name}", personal=True,
                                     created_at=user.created_at)
            .returning(projects.c.id)).scalar_one()
        conn.execute(members.insert().values(project_id=project_id, user_id=user.id,
                                             role="owner", is_default=True,
                                             added_at=user.created_at))
    conn.execute(sa.text(
        "UPDATE jobs SET chip_seconds = shots * :period, project_id = "
        "(SELECT m.project_id FROM project_members m "
        " WHERE m.user_id = jobs.user_id AND m.is_default = :yes)"),
        {"period": SHOT_SECONDS, "yes": True})


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("fk_jobs_project_id", "jobs", type_="foreignkey")
    op.drop_index("ix_jobs_project_created", "jobs")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("session_id")
        batch.drop_column("chip_seconds")
        batch.drop_column("project_id")
    for table in ("webhook_deliveries", "webhooks", "reservations", "chip_sessions",
                  "project_members", "projects"):
        op.drop_table(table)
