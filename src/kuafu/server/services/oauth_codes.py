"""The one-time codes of the SDKs' browser sign-in (OAuth 2.0 authorization code with
PKCE, quafu_sdk/oauth.py): issuing one, and using one up. Only a code's hash is stored.

Each function commits (issue 15: the service that does a unit of work commits it): a code
is stored before the browser is sent back with it, and is used up even when the exchange
then fails (a code is good for one try).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy.orm import Session

from ..core import security
from ..models import OAuthCode, User, utcnow

__all__ = ["issue", "use"]


def issue(session: Session, user: User, *, client_id: str, redirect_uri: str,
          code_challenge: str, device_name: str | None, seconds: float,
          commit: bool = True) -> str:
    """A new code for `user`, good for `seconds`; the code itself (shown once)."""
    code = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(OAuthCode(code_hash=security.hash_token(code), user_id=user.id,
                          client_id=client_id, redirect_uri=redirect_uri,
                          code_challenge=code_challenge, device_name=device_name,
                          created_at=now, expires_at=now + timedelta(seconds=seconds)))
    session.flush()
    if commit:
        session.commit()
    return code


def use(session: Session, code: str, *, commit: bool = True) -> OAuthCode | None:
    """The code's row, marked used from now on; None when it is unknown, used or expired
    (nothing is changed then)."""
    row = session.get(OAuthCode, security.hash_token(code))
    now = utcnow()
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    row.used_at = now
    if commit:
        session.commit()
    return row
