"""The console's identity pages: sign-in (password, API token, OpenID Connect), self
sign-up, invitations, password reset and change, and for administrators the people
page (invitations, approvals, reset links, roles) and the audit log.

One-time links carry their secret in the query string (`/console/invite?code=…`): the
access log records paths only, never query strings, so no link reaches the log; pages
send no Referer (`Referrer-Policy: no-referrer`). Forms shown before a session exists
use the double-submit CSRF cookie of the sign-in form; the others, the session's token.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from ..api.deps import PlatformDep, SessionDep
from ..errors import InvalidRequest, NotFound, QuotaExceeded, ServiceError
from ..models import User
from ..services import accounts, audit, identity, oidc
from . import session as auth
from .pages import ConsoleRoute, render
from .routes import AdminDep, CsrfField, ViewerDep, _safe_next, see_other

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)
AUDIT_PAGE = 100
#: Notices the sign-in form shows after a redirect (`?done=`).
DONE = {
    "reset": "Your password was changed. Sign in with the new one.",
    "signup": "Thank you. An administrator will look at your request; once it is "
              "approved you can sign in with the name and password you chose.",
}


def throttle(request: Request, settings) -> identity.SignInThrottle:
    """This server's sign-in throttle (made on first use, kept on the app)."""
    state = request.app.state
    if getattr(state, "sign_in_throttle", None) is None:
        state.sign_in_throttle = identity.SignInThrottle(
            settings.sign_in_burst, settings.sign_in_every,
            settings.sign_in_address_burst, settings.sign_in_address_every)
    return state.sign_in_throttle


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def _signed_in(request: Request, session, user, how: str, api_token=None,
               target: str = "/console/backends") -> RedirectResponse:
    """Open a fresh session (ending the one the old cookie named), log it, and send the
    browser on with the new cookie."""
    audit.record_event(session, actor_id=user.id, action="sign_in.ok",
                       subject=f"user {user.name}",
                       details={"method": how, "address": client_address(request)})
    _viewer, secret = auth.open_session(session, user, request, api_token)  # commits both
    response = see_other(target)
    auth.set_cookie(request, response, auth.SESSION_COOKIE, secret, auth.SESSION_HOURS * 3600)
    auth.clear_cookie(response, auth.LOGIN_CSRF_COOKIE)
    return response


def _pre_session_page(request: Request, template: str, status: int = 200,
                      **context: Any) -> HTMLResponse:
    """A page shown before sign-in, with the double-submit CSRF cookie its form needs."""
    csrf = request.cookies.get(auth.LOGIN_CSRF_COOKIE) or auth.new_login_csrf()
    settings = request.app.state.platform.settings
    response = render(request, template, status=status, login_csrf=csrf,
                      signup=settings.self_signup,
                      oidc=settings.oidc_name if settings.oidc_issuer else None, **context)
    auth.set_cookie(request, response, auth.LOGIN_CSRF_COOKIE, csrf, 3600)
    return response


# ----- sign-in ----------------------------------------------------------------------------
@router.get("/login")
def login_form(request: Request, next: str = "", why: str = "", done: str = "") -> HTMLResponse:
    """The sign-in form (name or e-mail and password; an API token; single sign-on when
    configured), saying why it is shown when a session ended (`why`)."""
    return _pre_session_page(request, "login.html", next=_safe_next(next),
                             why=auth.SIGNED_OUT_BECAUSE.get(why), done=DONE.get(done))


@router.post("/login")
def login(request: Request, session: SessionDep, platform: PlatformDep,
          login: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
          token: Annotated[str, Form()] = "", csrf_token: CsrfField = None,
          next: Annotated[str, Form()] = "") -> Response:
    auth.check_login_csrf(request, csrf_token)
    target = _safe_next(next) or "/console/backends"
    try:
        if token.strip():
            user, api_token = _token_sign_in(session, request, token,
                                             throttle(request, platform.settings))
            return _signed_in(request, session, user, "token", api_token, target)
        user = identity.password_sign_in(session, login, password, client_address(request),
                                         throttle(request, platform.settings))
    except ServiceError as exc:  # password_sign_in committed the attempt's audit line
        return _pre_session_page(request, "login.html", status=exc.status, error=exc.message,
                                 next=_safe_next(next), login=login[:254])
    return _signed_in(request, session, user, "password", None, target)


def _token_sign_in(session, request: Request, token: str,
                   limiter: identity.SignInThrottle):
    """A pasted API token's owner; wrong tokens count against the address's tries."""
    address = client_address(request)
    wait = limiter.wait(None, address)
    if wait > 0:
        raise QuotaExceeded(f"too many sign-in attempts; try again in {int(wait) + 1} s")
    try:
        return accounts.authenticate(session, token.strip())
    except ServiceError:
        limiter.failed(None, address)
        audit.record_event(session, actor_id=None, action="sign_in.failed",
                           subject="API token", details={"address": client_address(request)})
        raise


# ----- self sign-up -----------------------------------------------------------------------
def _signup_enabled(platform) -> None:
    if not platform.settings.self_signup:
        raise InvalidRequest("this server does not take sign-ups; ask an administrator "
                             "for an invitation")


@router.get("/signup")
def signup_form(request: Request, platform: PlatformDep) -> HTMLResponse:
    _signup_enabled(platform)
    return _pre_session_page(request, "signup.html")


@router.post("/signup")
def signup(request: Request, session: SessionDep, platform: PlatformDep,
           name: Annotated[str, Form()] = "", email: Annotated[str, Form()] = "",
           password: Annotated[str, Form()] = "", confirm: Annotated[str, Form()] = "",
           csrf_token: CsrfField = None) -> Response:
    """Ask for an account. A taken name or e-mail gets the same answer as a free one."""
    _signup_enabled(platform)
    auth.check_login_csrf(request, csrf_token)
    form = {"name": name.strip(), "email": email.strip()}
    try:
        if password != confirm:
            raise InvalidRequest("the two passwords differ")
        limiter = throttle(request, platform.settings)
        wait = limiter.wait(None, client_address(request))
        if wait > 0:
            raise QuotaExceeded(f"too many requests; try again in {int(wait) + 1} s")
        limiter.failed(None, client_address(request))  # every sign-up counts
        identity.sign_up(session, form["name"], form["email"], password)
    except ServiceError as exc:
        return _pre_session_page(request, "signup.html", status=exc.status, error=exc.message,
                                 form=form)
    return see_other("/console/login?done=signup")


# ----- invitations and password resets ----------------------------------------------------
@router.get("/invite")
def invitation_form(request: Request, session: SessionDep, code: str = "") -> HTMLResponse:
    link = identity.open_link(session, "invite", code)
    return _pre_session_page(request, "invite.html", code=code, link=link, form={})


@router.post("/invite")
def accept_invitation(request: Request, session: SessionDep, code: Annotated[str, Form()] = "",
                      name: Annotated[str, Form()] = "", email: Annotated[str, Form()] = "",
                      password: Annotated[str, Form()] = "",
                      confirm: Annotated[str, Form()] = "",
                      csrf_token: CsrfField = None) -> Response:
    """Create the invited account and sign its new owner in."""
    auth.check_login_csrf(request, csrf_token)
    link = identity.open_link(session, "invite", code)
    form = {"name": name.strip(), "email": email.strip()}
    try:
        if password != confirm:
            raise InvalidRequest("the two passwords differ")
        user = identity.accept_invitation(session, code, form["name"], form["email"], password)
    except ServiceError as exc:
        session.rollback()
        return _pre_session_page(request, "invite.html", status=exc.status, error=exc.message,
                                 code=code, link=link, form=form)
    return _signed_in(request, session, user, "invitation", None, "/console/account")


@router.get("/reset")
def reset_form(request: Request, session: SessionDep, code: str = "") -> HTMLResponse:
    link = identity.open_link(session, "reset", code)
    return _pre_session_page(request, "reset.html", code=code, name=_reset_user(session, link).name)


def _reset_user(session, link) -> User:
    user = session.get(User, link.user_id)
    if user is None:
        raise NotFound(identity.BAD_LINK)
    return user


@router.post("/reset")
def reset(request: Request, session: SessionDep, code: Annotated[str, Form()] = "",
          password: Annotated[str, Form()] = "", confirm: Annotated[str, Form()] = "",
          csrf_token: CsrfField = None) -> Response:
    """Set a new password with a reset link; the user then signs in with it."""
    auth.check_login_csrf(request, csrf_token)
    link = identity.open_link(session, "reset", code)
    name = _reset_user(session, link).name
    try:
        if password != confirm:
            raise InvalidRequest("the two passwords differ")
        identity.reset_password(session, code, password)
    except ServiceError as exc:
        session.rollback()
        return _pre_session_page(request, "reset.html", status=exc.status, error=exc.message,
                                 code=code, name=name)
    return see_other("/console/login?done=reset")


@router.post("/account/password")
def change_password(request: Request, session: SessionDep, viewer: ViewerDep,
                    current: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
                    confirm: Annotated[str, Form()] = "",
                    csrf_token: CsrfField = None) -> Response:
    """Change your password; your other console sessions end."""
    auth.check_csrf(viewer, csrf_token)
    try:
        if password != confirm:
            raise InvalidRequest("the two new passwords differ")
        identity.change_password(session, viewer.user, current, password, viewer.session_id)
    except ServiceError as exc:
        session.rollback()
        auth.set_flash(session, viewer, request, {"password_error": exc.message})
        return see_other("/console/account#password")
    auth.set_flash(session, viewer, request, {"password_notice": "Password changed; your "
                                              "other sessions were signed out."})
    return see_other("/console/account#password")


# ----- OpenID Connect ---------------------------------------------------------------------
OIDC_COOKIE = "kuafu_oidc"


def _provider(platform) -> oidc.Provider:
    provider = oidc.Provider.from_settings(platform.settings)
    if provider is None:
        raise NotFound("single sign-on is not set up on this server")
    return provider


def _callback_url(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/console/oidc/callback"


@router.get("/oidc/start")
def oidc_start(request: Request, platform: PlatformDep, next: str = "") -> Response:
    """Send the browser to the operator's identity provider."""
    url, kept = oidc.begin(_provider(platform), _callback_url(request))
    kept["next"] = _safe_next(next)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(OIDC_COOKIE, base64.urlsafe_b64encode(json.dumps(kept).encode())
                        .decode(), max_age=600, path="/console/oidc", httponly=True,
                        samesite="lax", secure=request.url.scheme == "https")
    return response


@router.get("/oidc/callback")
def oidc_callback(request: Request, session: SessionDep, platform: PlatformDep) -> Response:
    """The provider's answer: verify it, find or make the account, sign in."""
    provider = _provider(platform)
    try:
        kept = json.loads(base64.urlsafe_b64decode(request.cookies.get(OIDC_COOKIE, "")))
        if not isinstance(kept, dict):
            raise ValueError
    except ValueError:
        kept = {}
    try:
        claims = oidc.finish(provider, _callback_url(request), kept,
                             dict(request.query_params))
        user = oidc.user_for(session, provider, claims)
    except ServiceError as exc:
        audit.record_event(session, actor_id=None, action="sign_in.failed",
                           subject="single sign-on",
                           details={"address": client_address(request),
                                    "why": exc.message[:200]}, commit=True)
        response = _pre_session_page(request, "login.html", status=exc.status,
                                     error=exc.message, next=kept.get("next", ""))
        response.delete_cookie(OIDC_COOKIE, path="/console/oidc")
        return response
    response = _signed_in(request, session, user, "oidc", None,
                          kept.get("next") or "/console/backends")
    response.delete_cookie(OIDC_COOKIE, path="/console/oidc")
    return response


@router.post("/account/email")
def change_email(request: Request, session: SessionDep, viewer: ViewerDep,
                 email: Annotated[str, Form()] = "", csrf_token: CsrfField = None) -> Response:
    """Set or remove the e-mail you may sign in with."""
    auth.check_csrf(viewer, csrf_token)
    try:
        identity.set_email(session, viewer.user, email)
        message = {"password_notice": "E-mail address saved." if email.strip()
                   else "E-mail address removed."}
    except ServiceError as exc:
        session.rollback()
        message = {"password_error": exc.message}
    auth.set_flash(session, viewer, request, message)
    return see_other("/console/account#password")


@router.get("/keys")
def keys_page() -> RedirectResponse:
    """API keys and SDK logins live on the account page."""
    return see_other("/console/account#tokens")


# ----- administration: people -------------------------------------------------------------
def link_url(request: Request, kind: str, secret: str) -> str:
    base = str(request.base_url).rstrip("/")
    return f"{base}/console/{'invite' if kind == 'invite' else 'reset'}?code={secret}"


@router.get("/admin/people")
def people_page(request: Request, session: SessionDep, platform: PlatformDep,
                admin: AdminDep) -> HTMLResponse:
    """Invitations, sign-ups awaiting approval, reset links and roles; a link just made
    is shown once (the flash)."""
    flash = auth.pop_flash(session, admin, request)
    names = {u.id: u.name for u in accounts.list_users(session)}
    return render(request, "people.html", users=accounts.list_users(session),
                  pending=identity.list_pending(session), flash=flash,
                  invitations=identity.open_invitations(session), names=names,
                  link_days=platform.settings.link_days)


@router.post("/admin/invitations")
def invite(request: Request, session: SessionDep, platform: PlatformDep, admin: AdminDep,
           email: Annotated[str, Form()] = "", is_admin: Annotated[str, Form()] = "",
           days: Annotated[str, Form()] = "", csrf_token: CsrfField = None) -> Response:
    auth.check_csrf(admin, csrf_token)
    try:
        lifetime = float(days) if days.strip() else platform.settings.link_days
        secret = identity.create_link(session, "invite", admin.user, email=email or None,
                                      is_admin=bool(is_admin), days=lifetime)
        message = {"link": link_url(request, "invite", secret),
                   "link_what": f"Invitation{' for ' + email.strip() if email.strip() else ''}"}
    except ValueError:
        message = {"error": f"{days!r} is not a number of days"}
    except ServiceError as exc:
        session.rollback()
        message = {"error": exc.message}
    auth.set_flash(session, admin, request, message)
    return see_other("/console/admin/people#invite")


@router.post("/admin/invitations/{link_id}/revoke")
def revoke_invitation(request: Request, link_id: int, session: SessionDep, admin: AdminDep,
                      csrf_token: CsrfField = None) -> Response:
    auth.check_csrf(admin, csrf_token)
    identity.revoke_invitation(session, link_id, admin.user)
    auth.set_flash(session, admin, request, {"notice": f"Invitation {link_id} revoked."})
    return see_other("/console/admin/people#open-invitations")


@router.post("/admin/users/{name}/reset-link")
def reset_link(request: Request, name: str, session: SessionDep, platform: PlatformDep,
               admin: AdminDep, csrf_token: CsrfField = None) -> Response:
    auth.check_csrf(admin, csrf_token)
    user = accounts.get_user(session, name)
    secret = identity.create_link(session, "reset", admin.user, user=user,
                                  days=platform.settings.link_days)
    auth.set_flash(session, admin, request, {"link": link_url(request, "reset", secret),
                                             "link_what": f"Password reset link for {name}"})
    return see_other("/console/admin/people#people")


@router.post("/admin/users/{name}/approve")
def approve(request: Request, name: str, session: SessionDep, admin: AdminDep,
            csrf_token: CsrfField = None) -> Response:
    auth.check_csrf(admin, csrf_token)
    identity.approve(session, name, admin.user)
    auth.set_flash(session, admin, request, {"notice": f"{name} approved."})
    return see_other("/console/admin/people#pending")


@router.post("/admin/users/{name}/reject")
def reject(request: Request, name: str, session: SessionDep, admin: AdminDep,
           csrf_token: CsrfField = None) -> Response:
    auth.check_csrf(admin, csrf_token)
    identity.reject(session, name, admin.user)
    auth.set_flash(session, admin, request, {"notice": f"{name} turned down (disabled)."})
    return see_other("/console/admin/people#pending")


@router.post("/admin/users/{name}/role")
def set_role(request: Request, name: str, session: SessionDep, admin: AdminDep,
             role: Annotated[str, Form()] = "", csrf_token: CsrfField = None) -> Response:
    auth.check_csrf(admin, csrf_token)
    if role not in ("admin", "user"):
        raise InvalidRequest(f"unknown role {role!r}; one of admin, user")
    try:
        identity.set_role(session, name, role == "admin", admin.user)
        said = "an administrator" if role == "admin" else "a user"
        message = {"notice": f"{name} is now {said}."}
    except ServiceError as exc:
        session.rollback()
        message = {"error": exc.message}
    auth.set_flash(session, admin, request, message)
    return see_other("/console/admin/people#people")


# ----- administration: audit log ----------------------------------------------------------
def parse_day(text: str, field: str) -> datetime | None:
    """A date or ISO time (UTC unless it says otherwise), or None for an empty one."""
    if not text.strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidRequest(f"{field}: {text[:40]!r} is not a date (2026-12-01) or an ISO "
                             "time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _events(session, action: str, actor: str, subject: str, since: str, until: str,
            before: str, limit: int):
    try:
        before_id = int(before) if before.strip() else None
    except ValueError:
        raise InvalidRequest(f"before: {before[:20]!r} is not an event id") from None
    return audit.list_events(session, action=action or None, actor=actor or None,
                             subject=subject or None, since=parse_day(since, "since"),
                             until=parse_day(until, "until"), before_id=before_id, limit=limit)


@router.get("/admin/audit")
def audit_page(request: Request, session: SessionDep, admin: AdminDep, action: str = "",
               actor: str = "", subject: str = "", since: str = "", until: str = "",
               before: str = "") -> HTMLResponse:
    """The audit log, newest first, filtered; exported as CSV with the same filters."""
    events = _events(session, action, actor, subject, since, until, before, AUDIT_PAGE + 1)
    filters = {"action": action, "actor": actor, "subject": subject, "since": since,
               "until": until}
    from urllib.parse import urlencode

    query = {k: v for k, v in filters.items() if v}
    more = len(events) > AUDIT_PAGE
    events = events[:AUDIT_PAGE]
    return render(request, "audit.html", events=events, filters=filters,
                  actions=audit.ACTIONS, csv_url="/console/admin/audit.csv?" + urlencode(query),
                  next_url=("/console/admin/audit?" + urlencode({**query,
                                                                 "before": events[-1].id})
                            if more else None))


@router.get("/admin/audit.csv")
def audit_csv(session: SessionDep, admin: AdminDep, action: str = "", actor: str = "",
              subject: str = "", since: str = "", until: str = "") -> PlainTextResponse:
    events = _events(session, action, actor, subject, since, until, "", 10_000)
    return PlainTextResponse(audit.to_csv(events), media_type="text/csv",
                             headers={"Content-Disposition":
                                      'attachment; filename="kuafu-audit.csv"'})
