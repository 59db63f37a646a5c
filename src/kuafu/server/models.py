"""SQL tables (SQLAlchemy 2). A job's row is the single source of truth for its state."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timestamps stored as UTC and read back timezone-aware, in SQLite as in PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None:
            value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # identity (issue 17, migration 0010): console sign-in by password or OpenID Connect
    email: Mapped[str | None] = mapped_column(String(254), nullable=True, unique=True,
                                              index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)  # argon2id
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    pending_approval: Mapped[bool] = mapped_column(Boolean, default=False)  # self sign-up
    oidc_subject: Mapped[str | None] = mapped_column(String(500), nullable=True, unique=True,
                                                     index=True)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="default")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # "api" (made by its user or an admin) or "oauth" (a quafu-sdk browser-login grant)
    kind: Mapped[str] = mapped_column(String(16), default="api")

    user: Mapped[User] = relationship(back_populates="tokens")


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key", name="uq_jobs_user_idempotency"),
        Index("ix_jobs_queue", "backend", "status", "priority", "created_at"),
        Index("ix_jobs_user_created", "user_id", "created_at"),
        Index("ix_jobs_user_status", "user_id", "status"),  # the queued-jobs quota
        Index("ix_jobs_status", "status"),
        Index("ix_jobs_project_created", "project_id", "created_at"),  # allocations
        # job data (issue 18): the filters of a user's job list
        Index("ix_jobs_user_backend_created", "user_id", "backend", "created_at"),
        Index("ix_jobs_user_name", "user_id", "name", "created_at"),
        Index("ix_jobs_finished", "finished_at"),  # retention
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    backend: Mapped[str] = mapped_column(String(64))
    qasm: Mapped[str] = mapped_column(Text)
    shots: Mapped[int] = mapped_column(Integer)
    compile: Mapped[bool] = mapped_column(Boolean, default=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    seed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    group: Mapped[str | None] = mapped_column("job_group", String(200), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    idempotency_key: Mapped[str | None] = mapped_column(String(250), nullable=True)
    request_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # a task of a job group (`JobGroup`): its place in the group, and what the group's
    # API says of it (parameter values, iteration, name, classical bits)
    group_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    task_meta: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # projects (issue 17, migration 0011): the project charged, what it is charged in
    # emulated chip-seconds (services/charges.py), the chip session it ran in
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), nullable=True)
    chip_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    session_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # job data (issue 18, migration 0012): tags (also in `job_tags`, indexed) and free
    # metadata given at submission; a replay's original and the calibration point it is
    # pinned to; deletion and retention (the row stays as the ledger, the payload goes)
    tags: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    replay_of: Mapped[str | None] = mapped_column(String(32), nullable=True)
    calibration_pin: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    payload_removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class JobGroup(Base):
    """A job as quafu-sdk sees it: a group of tasks, each an ordinary `Job` row whose
    `group` is this id. `mode` is single, collection, sweep (a template substituted
    at each point) or iterative (open to appended rounds until closed)."""

    __tablename__ = "job_groups"
    __table_args__ = (
        UniqueConstraint("user_id", "client_ref", name="uq_job_groups_user_client_ref"),
        Index("ix_job_groups_user_created", "user_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    mode: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(80))
    backend: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    shots: Mapped[int] = mapped_column(Integer)
    compile: Mapped[bool] = mapped_column(Boolean, default=True)
    parameters: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    template_qasm: Mapped[str | None] = mapped_column(Text, nullable=True)
    open: Mapped[bool] = mapped_column(Boolean, default=False)
    client_ref: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class OAuthCode(Base):
    """An authorization code of quafu-sdk's browser login (OAuth 2.0 + PKCE): stored as
    SHA-256, used once, short-lived; exchanged with the PKCE verifier for an API token."""

    __tablename__ = "oauth_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(64))
    redirect_uri: Mapped[str] = mapped_column(String(500))
    code_challenge: Mapped[str] = mapped_column(String(128))
    device_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class CalibrationSnapshot(Base):
    """A chip's calibration as it was, kept under the id results carry
    (`execution.calibration_snapshot`: the chip's name and a digest of the data), so a
    past run's calibration stays readable after the chip is recalibrated."""

    __tablename__ = "calibration_snapshots"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    chip: Mapped[str] = mapped_column(String(64), index=True)
    calibrated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # a recalibration of the drifting chip (issue 18): `scheduled` or `admin`, when its
    # window began (the chip is `calibrating` until `calibrated_at`), who asked for it;
    # None for the snapshots quafu-sdk's API records of the data file's calibration
    source: Mapped[str | None] = mapped_column(String(16), nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    requested_by: Mapped[str | None] = mapped_column(String(100), nullable=True)


class SchedulerLease(Base):
    """The one row saying which server schedules from this store (see services/lease.py)."""

    __tablename__ = "scheduler_lease"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BackendStatusOverride(Base):
    """An operator's word on a backend's status, which wins over the chip's data file:
    `maintenance` and `offline` hold its queue, and `offline` refuses new jobs."""

    __tablename__ = "backend_status_overrides"

    backend: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # expected back
    updated_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConsoleSession(Base):
    """A signed-in web console session: the cookie holds a random secret, stored here as
    SHA-256; it lives no longer than the API token it was opened with."""

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # the API token a token sign-in used; None for a password or OpenID Connect sign-in
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id",
                                                            ondelete="CASCADE"), nullable=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # a one-time message for the next page (console.session.set_flash), sealed
    flash: Mapped[str | None] = mapped_column(Text, nullable=True)


class DailyUsage(Base):
    """Shots a user submitted on one UTC day: the daily quota reads one row, instead of
    summing the day's jobs on every submission."""

    __tablename__ = "daily_usage"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    shots: Mapped[int] = mapped_column(BigInteger, default=0)


# ----- identity (issue 17): one-time account links, audit log --------------------------
class AccountLink(Base):
    """A one-time link an administrator hands out: an invitation (`kind` "invite": whoever
    opens it picks a name and password) or a password reset (`kind` "reset", for
    `user_id`). The link's secret is stored as SHA-256 only; a link works once, until
    `expires_at`."""

    __tablename__ = "account_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                                nullable=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                   nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    # what accepting the invitation also does, e.g. {"project": 3, "role": "member"}
    # (project owners' invitations, issue 17's projects half)
    grants: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AuditEvent(Base):
    """One line of the audit log (`services/audit.py`): who did what to what, and when.
    The actor's name is kept beside the id so the line still reads after the user goes."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_at", "at"),
                      Index("ix_audit_events_action_at", "action", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                 nullable=True, index=True)
    actor_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(300))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


# ----- projects (issue 17): allocations, chip sessions, reservations, webhooks ----------
class Project(Base):
    """Whom jobs are charged to: a course, a research group, or a user's personal project
    (`personal`, named `~user`). Allocations are per rolling 28 days (None: unlimited);
    `backends` None: every backend."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str | None] = mapped_column(String(200), nullable=True)
    personal: Mapped[bool] = mapped_column(Boolean, default=False)
    shots_allocation: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    seconds_allocation: Mapped[float | None] = mapped_column(Float, nullable=True)
    backends: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProjectMember(Base):
    """A user's place in a project: `owner` or `member`; `is_default`: the project their
    jobs are charged to when they name none (one per user)."""

    __tablename__ = "project_members"

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"),
                                            primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(16), default="member")
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChipSession(Base):
    """A user's session on one chip (`services/chip_sessions.py`): while `open`, its jobs
    run ahead of the general queue; it ends by close, idle timeout or length."""

    __tablename__ = "chip_sessions"
    __table_args__ = (Index("ix_chip_sessions_status", "status"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    backend: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, closed
    max_seconds: Mapped[float] = mapped_column(Float)
    idle_seconds: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(100), nullable=True)


class Reservation(Base):
    """An administrator's booking of a chip for a project from `starts_at` to `ends_at`:
    then only that project's jobs run there."""

    __tablename__ = "reservations"
    __table_args__ = (Index("ix_reservations_backend_ends", "backend", "ends_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    backend: Mapped[str] = mapped_column(String(64))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Webhook(Base):
    """Where to POST a user's (or a project's) events, signed with HMAC-SHA256 under
    `secret` (which the server must keep to sign; shown to its owner once)."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), nullable=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(100))
    events: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(Base):
    """One event for one webhook, and how its delivery went (retried with backoff)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"),
                                            index=True)
    event: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # delivered, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


# ----- job data and calibration (issue 18, migration 0012) ---------------------------

class JobTag(Base):
    """One tag of one job: the tag filter reads this table through its index."""

    __tablename__ = "job_tags"
    __table_args__ = (Index("ix_job_tags_tag_job", "tag", "job_id"),)

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"),
                                        primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)


class ChipFault(Base):
    """A qubit (`Q3`) or coupler (`Q3-Q4`) an administrator marked unusable: the compiler
    places nothing on it and the chip drawing shows it, until the mark is removed."""

    __tablename__ = "chip_faults"

    chip: Mapped[str] = mapped_column(String(64), primary_key=True)
    target: Mapped[str] = mapped_column(String(32), primary_key=True)
    reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
