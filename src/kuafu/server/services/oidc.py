"""Sign-in with an OpenID Connect provider (a university's identity provider), set up by
the operator: `oidc_issuer`, `oidc_client_id`, `oidc_client_secret` (docs/operating.md).

The console runs the authorization code flow with PKCE (authlib's S256 challenge):
`begin` builds the provider's URL with a fresh state, nonce and code verifier, which the
browser keeps in a short-lived cookie; `finish` checks the state, exchanges the code
(the client authenticates with its secret), and verifies the ID token with the
provider's published keys (joserfc): signature, issuer, audience, expiry, nonce.

The person is then the user whose `oidc_subject` is "<issuer>|<sub>". The first time,
an account is made from the token's `preferred_username` (or the e-mail's local part,
made unique), waiting for an administrator's approval unless `oidc_auto_approve`; an
existing account with the same e-mail is linked only when the provider says the
address is verified (`email_verified`), else anyone who can register that address with
the provider could take the account over.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import Forbidden, InvalidRequest, Unauthenticated, Unavailable
from ..models import User, utcnow
from . import accounts, identity
from .audit import record_event

SCOPES = "openid email profile"
DISCOVERY_TTL = 300.0
TIMEOUT = 10.0
_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Provider:
    """The operator's OpenID Connect settings."""

    issuer: str
    client_id: str
    client_secret: str | None
    auto_approve: bool = False

    @classmethod
    def from_settings(cls, settings) -> Provider | None:
        if not settings.oidc_issuer:
            return None
        if not settings.oidc_client_id:
            raise Unavailable("single sign-on is misconfigured: oidc_client_id is not set")
        return cls(settings.oidc_issuer.rstrip("/"), settings.oidc_client_id,
                   settings.oidc_client_secret, settings.oidc_auto_approve)


_DISCOVERED: dict[str, tuple[float, dict[str, Any]]] = {}
_LOCK = threading.Lock()


def discover(provider: Provider) -> dict[str, Any]:
    """The provider's metadata (`/.well-known/openid-configuration`), kept 5 minutes.

    Raises:
        Unavailable: the provider does not answer, or answers for another issuer.
    """
    with _LOCK:
        cached = _DISCOVERED.get(provider.issuer)
        if cached and cached[0] > time.monotonic():
            return cached[1]
    url = provider.issuer + "/.well-known/openid-configuration"
    try:
        answer = httpx.get(url, timeout=TIMEOUT)
        answer.raise_for_status()
        metadata = answer.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise Unavailable(f"the sign-on provider {provider.issuer} did not answer: {exc}") \
            from None
    if metadata.get("issuer", "").rstrip("/") != provider.issuer:
        raise Unavailable(f"the sign-on provider at {provider.issuer} says it is "
                          f"{metadata.get('issuer')!r}")
    with _LOCK:
        _DISCOVERED[provider.issuer] = (time.monotonic() + DISCOVERY_TTL, metadata)
    return metadata


def begin(provider: Provider, redirect_uri: str) -> tuple[str, dict[str, str]]:
    """The provider's authorization URL, and what the browser keeps until it comes back
    (state, nonce, PKCE verifier)."""
    metadata = discover(provider)
    kept = {"state": secrets.token_urlsafe(24), "nonce": secrets.token_urlsafe(24),
            "verifier": secrets.token_urlsafe(48)}
    url = add_params_to_uri(metadata["authorization_endpoint"], [
        ("response_type", "code"), ("client_id", provider.client_id),
        ("redirect_uri", redirect_uri), ("scope", SCOPES), ("state", kept["state"]),
        ("nonce", kept["nonce"]),
        ("code_challenge", create_s256_code_challenge(kept["verifier"])),
        ("code_challenge_method", "S256")])
    return url, kept


def finish(provider: Provider, redirect_uri: str, kept: dict[str, str],
           params: dict[str, str]) -> dict[str, Any]:
    """The verified claims of the ID token the provider's answer leads to.

    Raises:
        Unauthenticated: the provider refused, the state does not match, or the ID
            token does not verify (saying which).
    """
    if params.get("error"):
        raise Unauthenticated(f"the sign-on provider refused: {params['error']}"
                              + (f" ({params['error_description'][:200]})"
                                 if params.get("error_description") else ""))
    if not kept.get("state") or not secrets.compare_digest(params.get("state", ""),
                                                           kept["state"]):
        raise Unauthenticated("the sign-on answer does not belong to this browser's "
                              "sign-in (state mismatch); start again")
    if not params.get("code"):
        raise InvalidRequest("the sign-on answer has no code")
    metadata = discover(provider)
    try:
        form = {"grant_type": "authorization_code", "code": params["code"],
                "redirect_uri": redirect_uri, "code_verifier": kept["verifier"]}
        if provider.client_secret:  # client_secret_basic, the default of RFC 6749
            auth = httpx.BasicAuth(quote(provider.client_id, safe=""),  # RFC 6749 2.3.1
                                   quote(provider.client_secret, safe=""))
        else:
            auth, form["client_id"] = None, provider.client_id
        answer = httpx.post(metadata["token_endpoint"], data=form, auth=auth,
                            headers={"Accept": "application/json"}, timeout=TIMEOUT)
        answer.raise_for_status()
        token = answer.json()
        keys = httpx.get(metadata["jwks_uri"], timeout=TIMEOUT)
        keys.raise_for_status()
        key_set = KeySet.import_key_set(keys.json())
    except (httpx.HTTPError, ValueError, JoseError) as exc:
        raise Unauthenticated(f"the sign-on provider did not give a token: {exc}") from None
    id_token = token.get("id_token")
    if not id_token:
        raise Unauthenticated("the sign-on provider gave no ID token")
    try:
        decoded = jwt.decode(id_token, key_set,
                             algorithms=metadata.get("id_token_signing_alg_values_supported")
                             or ["RS256"])
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": provider.issuer},
            aud={"essential": True, "value": provider.client_id},
            sub={"essential": True}, exp={"essential": True},
            nonce={"essential": True, "value": kept["nonce"]}).validate(decoded.claims)
    except (JoseError, ValueError) as exc:
        raise Unauthenticated(f"the sign-on provider's ID token does not verify: {exc}") \
            from None
    return decoded.claims


def user_for(session: Session, provider: Provider, claims: dict[str, Any]) -> User:
    """The account of the person the claims name, made on first sign-in.

    Raises:
        Forbidden: the account waits for approval or is disabled.
    """
    subject = f"{provider.issuer}|{claims['sub']}"[:500]
    user = session.scalar(select(User).where(User.oidc_subject == subject))
    email = _email(claims)
    if user is None and email and claims.get("email_verified") is True:
        user = session.scalar(select(User).where(User.email == email))
        if user is not None and user.oidc_subject is None:
            user.oidc_subject = subject
            record_event(session, actor_id=user.id, action="user.oidc_link",
                         subject=f"user {user.name}", details={"issuer": provider.issuer})
    if user is None:
        user = accounts.create_user(session, _free_name(session, claims, email), commit=False)
        user.oidc_subject = subject
        user.email = email if email and session.scalar(
            select(User.id).where(User.email == email)) is None else None
        user.pending_approval = not provider.auto_approve
        user.created_at = utcnow()
        record_event(session, actor_id=user.id, action="signup.request",
                     subject=f"user {user.name}",
                     details={"via": "oidc", "issuer": provider.issuer, "email": user.email})
        session.flush()
    if user.pending_approval:
        session.commit()  # the request stays, for an administrator to approve
        raise Forbidden("your account waits for an administrator's approval")
    if user.disabled_at is not None:
        raise Forbidden("your account is disabled; ask an administrator")
    return user


def _email(claims: dict[str, Any]) -> str | None:
    try:
        return identity.normalise_email(claims.get("email"))
    except InvalidRequest:
        return None


def _free_name(session: Session, claims: dict[str, Any], email: str | None) -> str:
    base = claims.get("preferred_username") or (email.split("@")[0] if email else "") \
        or "user"
    base = _NAME_CHARS.sub("-", str(base)).strip("-.")[:56] or "user"
    name, n = base, 1
    while session.scalar(select(User.id).where(User.name == name)) is not None:
        n += 1
        name = f"{base}-{n}"
    return name
