"""Users and API tokens: creation, authentication, revocation."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ..core import security
from ..errors import Conflict, NotFound, Unauthenticated
from ..models import ApiToken, User, utcnow


def create_user(session: Session, name: str, admin: bool = False) -> User:
    """A new user; `Conflict` if the name is taken."""
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise Conflict(f"a user called {name!r} exists already")
    user = User(name=name, is_admin=admin, created_at=utcnow())
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound(f"no user called {name!r}")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id)))


def create_token(session: Session, user: User, name: str = "default",
                 expires_in_days: float | None = None) -> tuple[ApiToken, str]:
    """A new token for `user`: the row, and the secret (to show once, never stored)."""
    secret = security.new_token()
    now = utcnow()
    token = ApiToken(
        user_id=user.id, name=name, token_hash=security.hash_token(secret),
        prefix=security.display_prefix(secret), created_at=now,
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None)
    session.add(token)
    session.flush()
    return token, secret


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                .order_by(ApiToken.id)))


def revoke_token(session: Session, user: User, token_id: int) -> ApiToken:
    """Revoke one of `user`'s tokens (idempotent); `NotFound` for anyone else's."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(f"no token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    return token


_TOKEN_LOOKUP = (select(ApiToken, User).join(User, ApiToken.user_id == User.id)
                 .where(ApiToken.token_hash == bindparam("token_hash")))
"""Built once: every request runs it, and building it cost more than running it."""


def authenticate(session: Session, secret: str | None) -> tuple[User, ApiToken]:
    """The user a bearer token belongs to.

    Raises:
        Unauthenticated: the token is missing, unknown, revoked or expired, saying which.
    """
    if not secret:
        raise Unauthenticated("missing API token: send 'Authorization: Bearer <token>' "
                              "(create one with `kuafu token create`)")
    row = session.execute(_TOKEN_LOOKUP, {"token_hash": security.hash_token(secret)}).first()
    if row is None:
        raise Unauthenticated("invalid API token: no such token on this server")
    token, user = row
    now = utcnow()
    if token.revoked_at is not None:
        raise Unauthenticated(f"API token {token.prefix}… was revoked at {_when(token.revoked_at)}")
    if token.expires_at is not None and token.expires_at <= now:
        raise Unauthenticated(f"API token {token.prefix}… expired at {_when(token.expires_at)}")
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
    return user, token


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
