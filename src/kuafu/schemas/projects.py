"""Projects on the wire: allocations, members, usage, estimates, chip sessions,
reservations, webhooks."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

PROJECT_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
"""A project's name: 1 to 64 letters, digits, `.`, `_` or `-`, not starting with a
punctuation mark (personal projects are `~user`, made by the server)."""

ALLOCATION_WINDOW_DAYS = 28
"""Allocations are per rolling window of this many days."""


MAX_SHOTS_ALLOCATION = 10**15
MAX_SECONDS_ALLOCATION = 1e12


class ProjectRole(StrEnum):
    """`owner`: manages the members; `member`: submits jobs charged to the project."""

    OWNER = "owner"
    MEMBER = "member"


class ProjectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=PROJECT_NAME_PATTERN, description="1-64 letters, digits, "
                      "'.', '_' or '-'")
    title: str | None = Field(None, max_length=200)
    shots_allocation: int | None = Field(None, ge=0, le=MAX_SHOTS_ALLOCATION,
                                         description="shots per rolling 28 days; None: "
                                         "unlimited")
    seconds_allocation: float | None = Field(None, ge=0, le=MAX_SECONDS_ALLOCATION,
                                             allow_inf_nan=False, description="emulated "
                                             "chip-seconds per rolling 28 days; None: "
                                             "unlimited")
    backends: list[str] | None = Field(None, max_length=100, description="the backends its "
                                       "jobs may use; None: every backend")
    owner: str | None = Field(None, description="a user made its first owner")


class ProjectUpdate(BaseModel):
    """Fields left out stay as they are; null clears an allocation or the backend list
    (unlimited, every backend). Allocations and backends: administrators only."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, max_length=200)
    shots_allocation: int | None = Field(None, ge=0, le=MAX_SHOTS_ALLOCATION)
    seconds_allocation: float | None = Field(None, ge=0, le=MAX_SECONDS_ALLOCATION,
                                             allow_inf_nan=False)
    backends: list[str] | None = Field(None, max_length=100)


class Usage(BaseModel):
    """What a project used in the rolling window (queued, running and done jobs, and
    jobs cancelled after they started)."""

    shots: int
    chip_seconds: float
    jobs: int
    window_days: int = ALLOCATION_WINDOW_DAYS


class MemberPublic(BaseModel):
    user: str
    role: ProjectRole
    default: bool = Field(description="the project this user's jobs go to by default")


class ProjectPublic(BaseModel):
    name: str
    title: str | None = None
    personal: bool = False
    shots_allocation: int | None = None
    seconds_allocation: float | None = None
    backends: list[str] | None = None
    created_at: datetime
    role: ProjectRole | None = Field(None, description="the caller's role; None for an "
                                     "administrator who is not a member")
    default: bool = Field(False, description="the caller's default project")
    usage: Usage | None = None
    fair_share: float | None = Field(None, description="the scheduler's fair-share factor "
                                     "2^(-usage/allocation) of recent (decayed) usage: 1 "
                                     "idle, 0.5 at its share, towards 0 above it")
    members: list[MemberPublic] | None = None


class MemberAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: str = Field(min_length=1, max_length=100)
    role: ProjectRole = ProjectRole.MEMBER


class ProjectInvitation(BaseModel):
    """An invitation link to a new account that joins the project."""

    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(None, max_length=254)
    role: ProjectRole = ProjectRole.MEMBER
    days: float | None = Field(None, ge=1 / 24, le=90)


class EstimateRequest(BaseModel):
    """What a submission would cost: the same fields as `JobCreate`'s that matter."""

    model_config = ConfigDict(extra="ignore")

    qasm: str | list[str]
    backend: str
    shots: int = Field(1000, ge=1, le=10**12)
    compile: bool = True
    project: str | None = Field(None, max_length=80)


class Estimate(BaseModel):
    """A submission's cost against its project's allocation, before it is made."""

    project: str
    backend: str
    jobs: int
    shots: int
    chip_seconds: float
    used: Usage
    shots_allocation: int | None = None
    seconds_allocation: float | None = None
    shots_left_after: int | None = None
    seconds_left_after: float | None = None
    allowed: bool
    reason: str | None = Field(None, description="why it would be refused")


class UsageRow(BaseModel):
    """One line of a usage report: one day, backend, project and user."""

    day: date
    backend: str
    project: str | None
    user: str
    jobs: int
    shots: int
    chip_seconds: float


class UsageReport(BaseModel):
    start: date
    end: date
    rows: list[UsageRow]
    total: Usage


class ChipSessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backend: str
    project: str | None = None
    max_seconds: float = Field(3600.0, gt=0, le=8 * 3600, description="longest it may last")
    idle_seconds: float = Field(300.0, gt=0, le=3600, description="it ends after this long "
                                "without a job")


class ChipSessionPublic(BaseModel):
    id: str
    user: str
    project: str
    backend: str
    status: str = Field(description="open or closed")
    max_seconds: float
    idle_seconds: float
    created_at: datetime
    last_activity_at: datetime
    ended_at: datetime | None = None
    end_reason: str | None = None
    jobs: int = 0
    chip_seconds: float = 0.0


class ReservationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backend: str
    project: str
    starts_at: datetime
    ends_at: datetime
    reason: str | None = Field(None, max_length=300)


class ReservationPublic(BaseModel):
    id: int
    backend: str
    project: str
    starts_at: datetime
    ends_at: datetime
    reason: str | None = None
    created_by: str | None = None


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: HttpUrl
    project: str | None = Field(None, description="events of this project's jobs too "
                                "(owners)")
    events: list[str] = Field(default_factory=lambda: ["job.ended", "backend.status"])


class WebhookPublic(BaseModel):
    id: int
    url: str
    project: str | None = None
    events: list[str]
    created_at: datetime


class WebhookCreated(WebhookPublic):
    """A new webhook: `secret` signs its deliveries (HMAC-SHA256), shown this once."""

    secret: str


class DeliveryPublic(BaseModel):
    id: int
    webhook_id: int
    event: str
    status: str
    attempts: int
    last_status: int | None = None
    last_error: str | None = None
    created_at: datetime
    delivered_at: datetime | None = None
