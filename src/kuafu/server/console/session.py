"""Signing in to the console, its session cookie, and CSRF protection.

A user signs in with one of their API tokens. The server then stores a session row
(`ConsoleSession`): the cookie holds a random secret whose SHA-256 is in the row, so a
stolen database reveals no usable cookie. The cookie is `HttpOnly` (no script reads it),
`SameSite=Lax` (other sites' forms do not carry it) and `Secure` over HTTPS. A session
ends when the user signs out, after `SESSION_HOURS`, or as soon as the token it was
opened with is revoked or expires.

CSRF: each session has a random `csrf_token`, put in every form as a hidden field (and
in a `<meta>` for the scripts, which send it as `X-CSRF-Token`); every request that
changes state must carry it (synchronizer token pattern). The sign-in form, which comes
before any session, uses a double-submit cookie instead.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from fastapi import Request, Response
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..core import security
from ..errors import Forbidden, Unauthenticated
from ..models import ApiToken, ConsoleSession, User, utcnow
from ..services import accounts

SESSION_COOKIE = "kuafu_session"
LOGIN_CSRF_COOKIE = "kuafu_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SESSION_HOURS = 12


class SignInRequired(Unauthenticated):
    """No valid console session: pages send the browser to the sign-in form."""


@dataclass(frozen=True)
class Viewer:
    """The signed-in user of a console request."""

    user: User
    session_id: int
    token_id: int
    csrf_token: str

    @property
    def is_admin(self) -> bool:
        return self.user.is_admin


def sign_in(session: Session, token: str) -> tuple[Viewer, str]:
    """Open a session for the owner of `token`; returns it and the cookie's secret.

    Raises:
        Unauthenticated: the token is missing, unknown, revoked or expired, saying which.
    """
    user, api_token = accounts.authenticate(session, token.strip())
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    expires = now + timedelta(hours=SESSION_HOURS)
    if api_token.expires_at is not None:
        expires = min(expires, api_token.expires_at)
    row = ConsoleSession(secret_hash=security.hash_token(secret), user_id=user.id,
                         token_id=api_token.id, csrf_token=secrets.token_urlsafe(32),
                         created_at=now, expires_at=expires)
    session.add(row)
    session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at < now))
    session.flush()
    return Viewer(user, row.id, api_token.id, row.csrf_token), secret


def viewer_of(session: Session, request: Request) -> Viewer:
    """The signed-in user of `request`.

    Raises:
        SignInRequired: no cookie, or its session ended (signed out, expired, token revoked).
    """
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        raise SignInRequired("please sign in")
    row = session.execute(
        select(ConsoleSession, User, ApiToken)
        .join(User, ConsoleSession.user_id == User.id)
        .join(ApiToken, ConsoleSession.token_id == ApiToken.id)
        .where(ConsoleSession.secret_hash == security.hash_token(secret))).first()
    if row is None:
        raise SignInRequired("your session has ended; please sign in again")
    console_session, user, token = row
    now = utcnow()
    if console_session.expires_at <= now:
        raise SignInRequired("your session expired; please sign in again")
    if token.revoked_at is not None:
        raise SignInRequired(f"the token {token.prefix}… this session used was revoked")
    return Viewer(user, console_session.id, token.id, console_session.csrf_token)


def new_login_csrf() -> str:
    return secrets.token_urlsafe(32)


def sign_out(session: Session, viewer: Viewer) -> None:
    session.execute(delete(ConsoleSession).where(ConsoleSession.id == viewer.session_id))


def check_csrf(viewer: Viewer, sent: str | None) -> None:
    """Refuse a state-changing request that does not carry the session's CSRF token.

    Raises:
        Forbidden: the token is missing or wrong.
    """
    if not sent or not hmac.compare_digest(sent.encode(), viewer.csrf_token.encode()):
        raise Forbidden("missing or wrong CSRF token: reload the page and try again")


def check_login_csrf(request: Request, sent: str | None) -> None:
    """The sign-in form's double-submit check: the field must equal the cookie."""
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not sent or not cookie or not hmac.compare_digest(sent.encode(), cookie.encode()):
        raise Forbidden("missing or wrong CSRF token: reload the sign-in page and try again")


def set_cookie(request: Request, response: Response, name: str, value: str,
               max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/console", httponly=True,
                        samesite="lax", secure=request.url.scheme == "https")


def clear_cookie(response: Response, name: str) -> None:
    response.delete_cookie(name, path="/console", httponly=True, samesite="lax")
