"""Identity on the wire (issue 17): audit events, roles, one-time links."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AuditEventPublic(BaseModel):
    """One line of the audit log."""

    id: int
    at: datetime
    actor: str | None = Field(None, description="the acting user's name; none for the "
                              "system or an unknown caller (a failed sign-in)")
    actor_id: int | None = None
    action: str = Field(description="e.g. sign_in.ok, token.create, user.role, "
                        "backend.status")
    subject: str
    details: dict[str, Any] = Field(default_factory=dict)


class RoleUpdate(BaseModel):
    """A user's new role."""

    model_config = ConfigDict(extra="forbid")

    admin: bool


class LinkCreate(BaseModel):
    """A one-time link: an invitation (with an optional e-mail and role) or, for a user,
    a password reset."""

    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(None, max_length=254)
    admin: bool = False
    days: float | None = Field(None, ge=1 / 24, le=90, description="how long it works: "
                               "an hour to 90 days (default: the server's link_days)")


class LinkCreated(BaseModel):
    """The link, shown this once (the server keeps its hash)."""

    url: str
    expires_at: datetime


class InvitationPublic(BaseModel):
    """An open invitation (never its link, which was shown once)."""

    id: int
    email: str | None = None
    admin: bool = False
    created_by: str | None = None
    created_at: datetime
    expires_at: datetime
