"""quafu-sdk's browser login: OAuth 2.0 authorization code with PKCE (RFC 6749, 7636,
8252) for the public client `quafu-sdk`, and token revocation (RFC 7009).

    quafu.login()  ──► prints / opens {BASE_URL}/oauth/authorize?client_id=quafu-sdk
                       &redirect_uri=http://127.0.0.1:<port>/callback (or {BASE_URL}/oauth/code)
                       &code_challenge=<S256>&state=…&device_name=<host>
    browser        ──► /console/oauth/authorize: sign in to the console if needed, see
                       which program on which computer asks, Authorize or Deny
                   ◄── 303 to redirect_uri?code=…&state=… (or ?error=access_denied)
    quafu-sdk      ──► POST /api/v1/oauth/token (code, code_verifier, redirect_uri)
                   ◄── {access_token: qf_…, token_type: Bearer, expires_in, expires_at}

The access token is an ordinary Kuafu API token (hashed, listed on the console's account
page as "quafu-sdk login (<computer>)", revocable there or by `POST /oauth/revoke`) that
expires after `LOGIN_DAYS`, as QUAFU's browser logins do. Codes are stored as SHA-256,
live `CODE_SECONDS`, and are used once. PKCE's S256 check is authlib's.
"""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from sqlalchemy.orm import Session

from ... import __version__
from ..api.deps import SessionDep
from ..api.limits import DEFAULT_CSP
from ..console import session as console_auth
from ..console.pages import HERE as CONSOLE_HERE
from ..console.pages import ConsoleRoute
from ..core import security
from ..errors import InvalidRequest
from ..models import ApiToken, User
from ..services import accounts, oauth_codes

CLIENT_ID = "quafu-sdk"
CODE_SECONDS = 600
LOGIN_DAYS = 90
CALLBACK_PATH = "/callback"
MANUAL_PATH = "/oauth/code"
PARAMS = ("response_type", "client_id", "redirect_uri", "code_challenge",
          "code_challenge_method", "state", "device_name")
TEMPLATES = Jinja2Templates(directory=[str(Path(__file__).with_name("templates")),
                                       str(CONSOLE_HERE / "templates")])


class OAuthError(Exception):
    """An RFC 6749 §5.2 error of the token endpoint."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status

    def response(self) -> JSONResponse:
        return JSONResponse({"error": self.error, "error_description": self.description,
                             "code": self.error}, status_code=self.status,
                            headers={"Cache-Control": "no-store"})


@dataclass(frozen=True)
class AuthorizeRequest:
    client_id: str
    redirect_uri: str
    code_challenge: str
    state: str
    device_name: str | None

    def params(self) -> dict[str, str]:
        return {"response_type": "code", "client_id": self.client_id,
                "redirect_uri": self.redirect_uri, "code_challenge": self.code_challenge,
                "code_challenge_method": "S256", "state": self.state,
                "device_name": self.device_name or ""}

    def redirect(self, **answer: str) -> RedirectResponse:
        return RedirectResponse(f"{self.redirect_uri}?{urlencode({**answer, 'state': self.state})}",
                                status_code=303)


def token_name(device: str | None) -> str:
    return f"quafu-sdk login ({device or 'unknown computer'})"[:100]


def _allowed_redirect(uri: str, origin: str) -> bool:
    """A loopback callback on any port (RFC 8252 §7.3), or this server's code page."""
    if uri == origin + MANUAL_PATH:
        return True
    parts = urlsplit(uri)
    try:
        port = parts.port
    except ValueError:
        return False
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    return (parts.scheme == "http" and loopback and port is not None
            and parts.path == CALLBACK_PATH and not parts.query and not parts.fragment)


def parse_authorize(params: dict[str, str], origin: str) -> AuthorizeRequest:
    """Check an authorization request.

    Raises:
        InvalidRequest: shown as a page, never redirected (an unknown client or
            redirect_uri must not send the browser anywhere), naming the problem.
    """
    if params.get("client_id") != CLIENT_ID:
        raise InvalidRequest(f"unknown client {params.get('client_id')!r}; this server "
                             f"serves {CLIENT_ID}'s browser login")
    uri = params.get("redirect_uri", "")
    if not _allowed_redirect(uri, origin):
        raise InvalidRequest(f"redirect_uri {uri!r} is neither a loopback callback "
                             f"(http://127.0.0.1:<port>{CALLBACK_PATH}) nor {origin}{MANUAL_PATH}")
    if params.get("response_type") != "code" or params.get("code_challenge_method") != "S256":
        raise InvalidRequest("response_type must be code and code_challenge_method S256")
    challenge, state = params.get("code_challenge", ""), params.get("state", "")
    if not 43 <= len(challenge) <= 128 or not state or len(state) > 500:
        raise InvalidRequest("code_challenge (43-128 characters) and state are required")
    device = "".join(ch for ch in params.get("device_name", "") if ch.isprintable())[:64]
    return AuthorizeRequest(CLIENT_ID, uri, challenge, state, device or None)


def issue_code(session: Session, user: User, request: AuthorizeRequest) -> str:
    """A new code for `user`'s allowed request (stored and committed)."""
    return oauth_codes.issue(session, user, client_id=request.client_id,
                             redirect_uri=request.redirect_uri,
                             code_challenge=request.code_challenge,
                             device_name=request.device_name, seconds=CODE_SECONDS)


def exchange(session: Session, form: dict[str, str]) -> dict[str, Any]:
    """The token endpoint: a code and its PKCE verifier for an API token.

    Raises:
        OAuthError: unsupported_grant_type, invalid_client, invalid_request or
            invalid_grant (unknown, used or expired code; another redirect_uri; a
            verifier that does not match the challenge).
    """
    if form.get("grant_type") != "authorization_code":
        raise OAuthError("unsupported_grant_type", "only authorization_code is served")
    if form.get("client_id") != CLIENT_ID:
        raise OAuthError("invalid_client", f"unknown client {form.get('client_id')!r}", 401)
    code, verifier = form.get("code", ""), form.get("code_verifier", "")
    if not code or not 43 <= len(verifier) <= 128:
        raise OAuthError("invalid_request", "code and code_verifier (43-128) are required")
    row = oauth_codes.use(session, code)  # used once (committed), even when the rest fails
    if row is None:
        raise OAuthError("invalid_grant", "the code is unknown, used or expired")
    if form.get("redirect_uri") != row.redirect_uri:
        raise OAuthError("invalid_grant", "redirect_uri differs from the authorization's")
    if not hmac.compare_digest(create_s256_code_challenge(verifier), row.code_challenge):
        raise OAuthError("invalid_grant", "code_verifier does not match code_challenge")
    user = session.get(User, row.user_id)
    if user is None or user.disabled_at is not None:
        raise OAuthError("invalid_grant", "the account is disabled")
    token, secret = accounts.create_token(session, user, token_name(row.device_name),
                                          expires_in_days=LOGIN_DAYS, kind="oauth")
    return {"access_token": secret, "token_type": "Bearer",
            "expires_in": LOGIN_DAYS * 86400, "expires_at": token.expires_at.isoformat(),
            "scope": "api"}


def revoke(session: Session, secret: str) -> None:
    """RFC 7009: revoke the token if it exists; unknown tokens are no error."""
    token = session.scalar(select(ApiToken).where(
        ApiToken.token_hash == security.hash_token(secret)))
    if token is not None:
        accounts.revoke_token(session, token.user, token.id)


# ── routes ──────────────────────────────────────────────────────────

def _origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def _render(request: Request, template: str, status: int = 200,
            **context: Any) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(
        request, template, {"viewer": getattr(request.state, "viewer", None),
                            "version": __version__, "path": request.url.path,
                            "csrf_header": console_auth.CSRF_HEADER, **context},
        status_code=status)


pages = APIRouter(include_in_schema=False)
"""`/oauth/…` at the server's root, where quafu-sdk sends the browser."""

console_pages = APIRouter(prefix="/console/oauth", route_class=ConsoleRoute,
                          include_in_schema=False)
"""The authorization page, a console page (signed-in users only)."""

api = APIRouter(include_in_schema=False)
"""`/api/v1/oauth/…`, where quafu-sdk exchanges and revokes tokens."""


@pages.get("/oauth/authorize")
def authorize_entry(request: Request) -> RedirectResponse:
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"/console/oauth/authorize{query}", status_code=303)


@pages.get(MANUAL_PATH)
def code_page(request: Request, code: str = "", state: str = "", error: str = "") -> HTMLResponse:
    """Where the manual login lands: the code to paste back (`code#state`)."""
    if code and state:
        return _render(request, "oauth_code.html", pasted=f"{code}#{state}")
    return _render(request, "oauth_code.html", status=400,
                   message=f"no code: {error or 'the request carries none'}")


def _viewer(request: Request, session: SessionDep) -> console_auth.Viewer:
    viewer = console_auth.viewer_of(session, request)
    request.state.viewer = viewer
    return viewer


ViewerDep = Annotated[console_auth.Viewer, Depends(_viewer)]


@console_pages.get("/authorize")
def authorize_page(request: Request, viewer: ViewerDep) -> HTMLResponse:
    """Which program on which computer asks; Authorize or Deny."""
    asked = parse_authorize(dict(request.query_params), _origin(request))
    page = _render(request, "oauth_authorize.html", client_id=asked.client_id,
                   device_name=asked.device_name, params=asked.params(), days=LOGIN_DAYS,
                   token_name=token_name(asked.device_name))
    # the form's answer redirects to the program's loopback address: let the policy allow it
    target = urlsplit(asked.redirect_uri)
    page.headers["Content-Security-Policy"] = DEFAULT_CSP.replace(
        "form-action 'self'", f"form-action 'self' {target.scheme}://{target.netloc}")
    return page


@console_pages.post("/authorize")
async def authorize(request: Request, session: SessionDep, viewer: ViewerDep) -> RedirectResponse:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    console_auth.check_csrf(viewer, form.get(console_auth.CSRF_FIELD))
    asked = parse_authorize(form, _origin(request))
    if form.get("decision") != "allow":
        return asked.redirect(error="access_denied")

    def issue() -> str:
        return issue_code(session, viewer.user, asked)

    return asked.redirect(code=await run_in_threadpool(issue))


@api.post("/oauth/token")
async def token(request: Request, session: SessionDep) -> JSONResponse:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        answer = await run_in_threadpool(exchange, session, form)
    except OAuthError as exc:
        return exc.response()
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})


@api.post("/oauth/revoke")
async def revoke_token(request: Request, session: SessionDep,
                       token: Annotated[str, Form()] = "") -> JSONResponse:
    if token:
        await run_in_threadpool(revoke, session, token)
    return JSONResponse({}, headers={"Cache-Control": "no-store"})
