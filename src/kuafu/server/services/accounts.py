"""Users and API tokens: creation, authentication, revocation."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, event, select
from sqlalchemy.orm import Session

from ...schemas import USER_NAME_PATTERN
from ..core import security
from ..errors import Conflict, InvalidRequest, NotFound, Unauthenticated
from ..models import ApiToken, ConsoleSession, User, utcnow
from . import lifecycle
from .audit import record_event

_USER_NAME = re.compile(USER_NAME_PATTERN)


def check_user_name(name: str) -> str:
    """`name` if it is a valid user name (`USER_NAME_PATTERN`).

    Raises:
        InvalidRequest: saying what a name may hold.
    """
    if not isinstance(name, str) or not _USER_NAME.fullmatch(name):
        raise InvalidRequest(f"invalid user name {name!r}: use 1 to 64 letters, digits, "
                             "'.', '_' or '-'")
    return name


def create_user(session: Session, name: str, admin: bool = False,
                actor: User | None = None, *, commit: bool = True) -> User:
    """A new user (in the audit log as made by `actor`; None: the operator's command
    line, an invitation, a sign-up).

    Raises:
        InvalidRequest: the name is not 1-64 letters, digits, `.`, `_` or `-`.
        Conflict: the name is taken.
    """
    check_user_name(name)
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise Conflict(f"a user called {name!r} exists already")
    user = User(name=name, is_admin=admin, created_at=utcnow())
    session.add(user)
    session.flush()
    record_event(session, actor_id=actor.id if actor else None, action="user.create",
                 subject=f"user {name}", details={"admin": admin})
    from .projects import ensure_personal  # the user's personal project (issue 17)

    ensure_personal(session, user)
    if commit:
        session.commit()
    return user


def get_user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound(f"no user called {name!r}")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id)))


DISABLED_REASON = "account disabled"
"""The error of a job cancelled because its owner's account was disabled."""


def set_disabled(session: Session, name: str, disabled: bool = True,
                 actor: User | None = None,
                 stop_job: Callable[[str], object] | None = None, *, commit: bool = True) -> User:
    """Disable user `name` (their tokens are refused, their console sessions end, and
    their queued and running jobs are cancelled with the reason "account disabled"; their
    finished jobs and tokens stay, so enabling them again restores access), or enable
    them. `stop_job` (the scheduler's) is called after the commit for each job that was
    running; without it, the scheduler stops their workers on its own within seconds.
    Sets `user.jobs_cancelled` (not stored) to how many jobs were cancelled.

    Raises:
        NotFound: no such user.
    """
    user = get_user(session, name)
    if disabled and user.disabled_at is None:
        user.disabled_at = utcnow()
        session.execute(delete(ConsoleSession).where(ConsoleSession.user_id == user.id))
        digests = list(session.scalars(select(ApiToken.token_hash)
                                       .where(ApiToken.user_id == user.id)))
        event.listen(session, "after_commit",
                     lambda _s: [RECENT.forget(d) for d in digests], once=True)
        cancelled = lifecycle.cancel_owned(session, user.id, DISABLED_REASON)
        if stop_job is not None and cancelled["running"]:
            event.listen(session, "after_commit",
                         lambda _s: [stop_job(j) for j in cancelled["running"]], once=True)
        counts = {status: len(ids) for status, ids in cancelled.items() if ids}
        user.jobs_cancelled = sum(counts.values())  # not a column: for the caller to say
        record_event(session, actor_id=actor.id if actor else None, action="user.disable",
                     subject=f"user {user.name}",
                     details={"jobs_cancelled": counts} if counts else None)
    elif not disabled and user.disabled_at is not None:
        user.disabled_at = None
        record_event(session, actor_id=actor.id if actor else None, action="user.enable",
                     subject=f"user {user.name}")
    session.flush()
    if commit:
        session.commit()
    return user


def create_token(session: Session, user: User, name: str = "default",
                 expires_in_days: float | None = None, *, kind: str = "api",
                 actor: User | None = None, commit: bool = True) -> tuple[ApiToken, str]:
    """A new token for `user`: the row, and the secret (to show once, never stored).
    `kind` "oauth" marks an SDK's browser-login grant; `actor` is who made it, when not
    the user (an administrator). The audit log gets the token's prefix, not the token."""
    secret = security.new_token()
    now = utcnow()
    token = ApiToken(
        user_id=user.id, name=name, token_hash=security.hash_token(secret),
        prefix=security.display_prefix(secret), created_at=now, kind=kind,
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None)
    session.add(token)
    session.flush()
    record_event(session, actor_id=(actor or user).id, action="token.create",
                 subject=f"user {user.name}",
                 details={"token": token.id, "name": name, "prefix": token.prefix,
                          "kind": kind, "expires_at": token.expires_at.isoformat()
                          if token.expires_at else None})
    if commit:
        session.commit()
    return token, secret


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                .order_by(ApiToken.id)))


def revoke_token(session: Session, user: User, token_id: int, *, commit: bool = True) -> ApiToken:
    """Revoke one of `user`'s tokens (idempotent); `NotFound` for anyone else's."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(f"no token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record_event(session, actor_id=user.id, action="token.revoke",
                     subject=f"user {user.name}",
                     details={"token": token.id, "name": token.name, "prefix": token.prefix,
                              "kind": token.kind})
        digest = token.token_hash
        event.listen(session, "after_commit", lambda _s: RECENT.forget(digest), once=True)
    if commit:
        session.commit()
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
                              "(log in with `kuafu login`, or set KUAFU_TOKEN; an "
                              "administrator gives you a first token)")
    row = session.execute(_TOKEN_LOOKUP, {"token_hash": security.hash_token(secret)}).first()
    if row is None:
        raise Unauthenticated("invalid API token: no such token on this server")
    token, user = row
    now = utcnow()
    if user.disabled_at is not None:
        raise Unauthenticated(f"user {user.name!r} was disabled at {_when(user.disabled_at)}; "
                              "ask an administrator")
    if token.revoked_at is not None:
        raise Unauthenticated(f"API token {token.prefix}… was revoked at {_when(token.revoked_at)}")
    if token.expires_at is not None and token.expires_at <= now:
        raise Unauthenticated(f"API token {token.prefix}… expired at {_when(token.expires_at)}")
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
    return user, token


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


class RecentTokens:
    """Tokens that authenticated in the last `ttl` seconds, so that a busy client's
    requests do not each look their token up (one query and a thread hop per request).

    A revocation made through this server is seen at once (`revoke_token` forgets the
    token when its transaction commits); expiry is checked on every use; a change made
    to the store by another process is seen after at most `ttl` seconds.
    """

    def __init__(self, ttl: float = 2.0) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, User, datetime | None]] = {}
        self._forgets = 0  # a lookup that began before a forget must not store its row
        self._lock = threading.Lock()

    def user(self, secret: str | None) -> User | None:
        """The user of a token that authenticated recently and is still valid; None
        when it must be looked up (unknown, stale, or expired: the lookup says which)."""
        if not secret:
            return None
        entry = self._entries.get(security.hash_token(secret))
        if entry is None or entry[0] < time.monotonic():
            return None
        _deadline, user, expires_at = entry
        if expires_at is not None and expires_at <= utcnow():
            return None
        return user

    def generation(self) -> int:
        return self._forgets

    def remember(self, token: ApiToken, user: User, generation: int) -> None:
        with self._lock:
            if generation != self._forgets:
                return
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[token.token_hash] = (time.monotonic() + self.ttl, user,
                                               token.expires_at)

    def forget(self, token_hash: str) -> None:
        with self._lock:
            self._forgets += 1
            self._entries.pop(token_hash, None)


RECENT = RecentTokens()
"""The server process's recently authenticated tokens (`kuafu.server.api.deps`)."""
