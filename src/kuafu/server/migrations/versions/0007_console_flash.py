"""A console session's one-time message (`console_sessions.flash`): what a page shows
once after a redirect, such as a token just created (sealed with the session cookie's
secret, so the database alone does not reveal it).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("console_sessions") as batch:
        batch.add_column(sa.Column("flash", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("console_sessions") as batch:
        batch.drop_column("flash")
