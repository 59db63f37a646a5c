"""Signing in to the console, its session cookie, and CSRF protection.

A user signs in with a user name or e-mail and a password (`services.identity`), with an
OpenID Connect provider the operator set up, or with one of their API tokens. The server
then stores a session row (`ConsoleSession`): the cookie holds a random secret whose
SHA-256 is in the row, so a stolen database reveals no usable cookie. Every sign-in
makes a new secret and ends the session the browser's old cookie named, if any (no
session fixation). The cookie is `HttpOnly` (no script reads it), `SameSite=Lax` (other
sites' forms do not carry it) and `Secure` over HTTPS. A session ends when the user
signs out, after `SESSION_HOURS`, when their password changes, or, for a token sign-in,
as soon as the token it was opened with is revoked or expires.

Flash: a page that changes something answers with a redirect (POST-redirect-GET), so a
reload does not repeat it; what the next page must show once (a token just created) is
kept in the session row (`set_flash`), sealed with a key derived from the cookie's
secret, and taken out by the page that shows it (`pop_flash`).

CSRF: each session has a random `csrf_token`, put in every form as a hidden field (and
in a `<meta>` for the scripts, which send it as `X-CSRF-Token`); every request that
changes state must carry it (synchronizer token pattern). The sign-in form, which comes
before any session, uses a double-submit cookie instead.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta

from fastapi import Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import security
from ..errors import Forbidden, Unauthenticated
from ..models import ApiToken, ConsoleSession, User, utcnow
from ..services import accounts, console_sessions

SESSION_COOKIE = "kuafu_session"
LOGIN_CSRF_COOKIE = "kuafu_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SESSION_HOURS = 12


class SignInRequired(Unauthenticated):
    """No valid console session: pages send the browser to the sign-in form, which says
    why (`why`, one of `SIGNED_OUT_BECAUSE`'s keys, or None for "never signed in")."""

    def __init__(self, message: str, why: str | None = None) -> None:
        super().__init__(message)
        self.why = why


#: Why the sign-in form was shown, as the form tells the user (`?why=` keys).
SIGNED_OUT_BECAUSE = {
    "ended": "Your session has ended; please sign in again.",
    "expired": "Your session expired; please sign in again.",
    "revoked": "You were signed out: the API token this session was signed in with has "
               "been revoked (here, with the API or the CLI). Sign in with another token.",
    "revoked-here": "You revoked the API token this session was signed in with, so you "
                    "were signed out. Sign in with another of your tokens.",
}


@dataclass(frozen=True)
class Viewer:
    """The signed-in user of a console request."""

    user: User
    session_id: int
    token_id: int | None  # the API token of a token sign-in
    csrf_token: str

    @property
    def is_admin(self) -> bool:
        return self.user.is_admin


def sign_in(session: Session, token: str, request: Request | None = None
            ) -> tuple[Viewer, str]:
    """Open a session for the owner of `token`; returns it and the cookie's secret.

    Raises:
        Unauthenticated: the token is missing, unknown, revoked or expired, saying which.
    """
    user, api_token = accounts.authenticate(session, token.strip())
    return open_session(session, user, request, api_token)


def open_session(session: Session, user: User, request: Request | None = None,
                 api_token: ApiToken | None = None, *,
                 commit: bool = True) -> tuple[Viewer, str]:
    """A new session for `user` (signed in by whatever means), with a fresh secret; the
    session the request's old cookie named ends (rotation at sign-in). Committed, with
    whatever the request wrote, before the answer sets the cookie."""
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    expires = now + timedelta(hours=SESSION_HOURS)
    if api_token is not None and api_token.expires_at is not None:
        expires = min(expires, api_token.expires_at)
    old = request.cookies.get(SESSION_COOKIE) if request is not None else None
    row = ConsoleSession(secret_hash=security.hash_token(secret), user_id=user.id,
                         token_id=api_token.id if api_token is not None else None,
                         csrf_token=secrets.token_urlsafe(32), created_at=now,
                         expires_at=expires)
    console_sessions.start(session, row, security.hash_token(old) if old else None,
                           commit=commit)
    return Viewer(user, row.id, row.token_id, row.csrf_token), secret


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
        .outerjoin(ApiToken, ConsoleSession.token_id == ApiToken.id)
        .where(ConsoleSession.secret_hash == security.hash_token(secret))).first()
    if row is None:
        raise SignInRequired("your session has ended; please sign in again", "ended")
    console_session, user, token = row
    now = utcnow()
    if console_session.expires_at <= now:
        raise SignInRequired("your session expired; please sign in again", "expired")
    if token is not None and token.revoked_at is not None:
        raise SignInRequired(f"the token {token.prefix}… this session used was revoked",
                             "revoked")
    if user.disabled_at is not None or user.pending_approval:
        raise SignInRequired("your account is not active; please sign in again", "ended")
    return Viewer(user, console_session.id, console_session.token_id,
                  console_session.csrf_token)


def new_login_csrf() -> str:
    return secrets.token_urlsafe(32)


def sign_out(session: Session, viewer: Viewer, *, commit: bool = True) -> None:
    """End the viewer's console session (committed, with whatever the request wrote)."""
    console_sessions.end(session, viewer.session_id, commit=commit)


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


# ----- one-time messages ------------------------------------------------------------------
_TAG = 16  # bytes of the seal's authentication tag


def set_flash(session: Session, viewer: Viewer, request: Request, message: dict, *,
              commit: bool = True) -> None:
    """Keep `message` (JSON-able) for the next page of this session only (committed,
    with whatever the request wrote, before the redirect goes out)."""
    sealed = _seal(_flash_key(request), json.dumps(message).encode())
    console_sessions.put_flash(session, viewer.session_id, sealed, commit=commit)


def pop_flash(session: Session, viewer: Viewer, request: Request, *,
              commit: bool = True) -> dict:
    """The message `set_flash` kept, once ({} when there is none, or it does not open)."""
    sealed = console_sessions.take_flash(session, viewer.session_id, commit=commit)
    if not sealed:
        return {}
    opened = _open(_flash_key(request), sealed)
    return json.loads(opened) if opened is not None else {}


def _flash_key(request: Request) -> bytes:
    """A key only the browser's cookie gives: the row stores the cookie's hash only."""
    secret = request.cookies.get(SESSION_COOKIE, "")
    return hmac.new(secret.encode(), b"kuafu console flash", hashlib.sha256).digest()


def _stream(key: bytes, nonce: bytes, size: int) -> bytes:
    blocks = (hmac.new(key, nonce + i.to_bytes(4, "big"), hashlib.sha256).digest()
              for i in range(-(-size // 32)))
    return b"".join(blocks)[:size]


def _seal(key: bytes, data: bytes) -> str:
    """HMAC-SHA-256 in counter mode, then a tag over nonce and ciphertext."""
    nonce = secrets.token_bytes(16)
    body = nonce + bytes(a ^ b for a, b in zip(data, _stream(key, nonce, len(data)),
                                               strict=True))
    tag = hmac.new(key, b"tag" + body, hashlib.sha256).digest()[:_TAG]
    return base64.urlsafe_b64encode(body + tag).decode()


def _open(key: bytes, sealed: str) -> bytes | None:
    raw = base64.urlsafe_b64decode(sealed.encode())
    body, tag = raw[:-_TAG], raw[-_TAG:]
    if len(body) < 16 or not hmac.compare_digest(
            tag, hmac.new(key, b"tag" + body, hashlib.sha256).digest()[:_TAG]):
        return None
    nonce, data = body[:16], body[16:]
    return bytes(a ^ b for a, b in zip(data, _stream(key, nonce, len(data)), strict=True))
