"""Users and API tokens on the wire."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

USER_NAME_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
"""A user name: 1 to 64 letters, digits, `.`, `_` or `-` (it appears in URLs and logs)."""


class UserCreate(BaseModel):
    """A new user (administrators only)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, pattern=USER_NAME_PATTERN,
                      description="1-64 letters, digits, '.', '_' or '-'")
    admin: bool = False


class UserPublic(BaseModel):
    """A user as the API shows it."""

    id: int
    name: str
    admin: bool
    created_at: datetime
    disabled: bool = Field(False, description="a disabled user's tokens are refused")
    email: str | None = Field(None, description="the address they may sign in with")
    pending: bool = Field(False, description="signed up, waiting for an administrator's "
                          "approval (`POST /users/{name}/approve`)")


class TokenCreate(BaseModel):
    """A request for a new API token."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field("default", max_length=100)
    expires_in_days: float | None = Field(None, gt=0, le=36500)


class TokenPublic(BaseModel):
    """A token as listed: never the secret, only its first characters."""

    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    kind: str = Field("api", description="'api', or 'oauth' for a key that quafu-sdk's "
                      "browser login received")


class TokenCreated(TokenPublic):
    """A new token: `token` is shown this once and stored only as a hash."""

    token: str
