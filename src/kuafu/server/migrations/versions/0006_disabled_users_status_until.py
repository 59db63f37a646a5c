"""A user can be disabled (`users.disabled_at`), and an operator's status of a chip can
say when the chip is expected back (`backend_status_overrides.until`).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from kuafu.server.models import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("disabled_at", UTCDateTime, nullable=True))
    with op.batch_alter_table("backend_status_overrides") as batch:
        batch.add_column(sa.Column("until", UTCDateTime, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("backend_status_overrides") as batch:
        batch.drop_column("until")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("disabled_at")
