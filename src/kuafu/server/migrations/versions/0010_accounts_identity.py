"""Identity (issue 17): passwords, e-mail and OpenID Connect subjects on users, one-time
account links (invitations, password resets), the audit log, the kind of an API token
(an SDK's browser-login grant or not), console sessions without an API token.

Every existing user, token, job and console session is kept: users get new nullable
columns (added in place, never by copying the table: in SQLite that would cascade
deletes to their tokens and jobs), and tokens made by quafu-sdk's browser login are
marked "oauth" by their name.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

from kuafu.server.models import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("email", sa.String(254), nullable=True))
    op.add_column("users", sa.Column("password_hash", sa.String(255), nullable=True))
    op.add_column("users", sa.Column("password_changed_at", UTCDateTime, nullable=True))
    op.add_column("users", sa.Column("pending_approval", sa.Boolean, nullable=False,
                                     server_default=sa.false()))
    op.add_column("users", sa.Column("oidc_subject", sa.String(500), nullable=True))
    op.create_index("ix_users_email", "users", ["email"], unique=True)
    op.create_index("ix_users_oidc_subject", "users", ["oidc_subject"], unique=True)

    op.add_column("api_tokens", sa.Column("kind", sa.String(16), nullable=False,
                                          server_default="api"))
    op.execute("UPDATE api_tokens SET kind = 'oauth' WHERE name LIKE 'quafu-sdk login (%'")

    # console_sessions is referenced by no table: copying it (SQLite) loses nothing
    with op.batch_alter_table("console_sessions") as batch:
        batch.alter_column("token_id", existing_type=sa.Integer, nullable=True)

    op.create_table(
        "account_links",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=True),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("is_admin", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("grants", sa.JSON, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("used_at", UTCDateTime, nullable=True),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("actor_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("actor_name", sa.String(100), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("details", sa.JSON, nullable=True),
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    op.create_index("ix_audit_events_action_at", "audit_events", ["action", "at"])
    op.create_index("ix_audit_events_actor_id", "audit_events", ["actor_id"])


def downgrade() -> None:
    op.drop_table("audit_events")
    op.drop_table("account_links")
    op.execute("DELETE FROM console_sessions WHERE token_id IS NULL")
    with op.batch_alter_table("console_sessions") as batch:
        batch.alter_column("token_id", existing_type=sa.Integer, nullable=False)
    op.drop_column("api_tokens", "kind")
    op.drop_index("ix_users_oidc_subject", "users")
    op.drop_index("ix_users_email", "users")
    for column in ("oidc_subject", "pending_approval", "password_changed_at",
                   "password_hash", "email"):
        op.drop_column("users", column)
