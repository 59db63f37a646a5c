"""Identity administration (administrators only): the audit log (JSON or CSV), roles,
approval of self sign-ups, invitation and password reset links."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy import select

from ....schemas import UserPublic
from ....schemas.identity import (
    AuditEventPublic,
    InvitationPublic,
    LinkCreate,
    LinkCreated,
    RoleUpdate,
)
from ...core import security
from ...models import AccountLink, User
from ...services import accounts, audit, identity
from ..deps import AdminUser, PlatformDep, SessionDep
from ..handlers import described
from .tokens import user_public

router = APIRouter(tags=["administration"])


@router.get("/admin/audit", responses={200: {"content": {"text/csv": {}}}})
def audit_log(session: SessionDep, _admin: AdminUser,
              action: Annotated[str | None, Query(max_length=64, description=
                                "an action, or a prefix ending in '.' (sign_in.)")] = None,
              actor: Annotated[str | None, Query(max_length=100)] = None,
              subject: Annotated[str | None, Query(max_length=300,
                                                   description="text it contains")] = None,
              since: datetime | None = None, until: datetime | None = None,
              before_id: Annotated[int | None, Query(ge=1, description=
                                   "older than this event (the next page)")] = None,
              limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
              format: Literal["json", "csv"] = "json"):
    """The audit log, newest first: sign-ins (ok, failed, throttled), keys made and
    revoked, roles, approvals, invitations, resets, chip status, allocations,
    reservations. `format=csv` exports the same rows."""
    events = audit.list_events(session, action=action, actor=actor, subject=subject,
                               since=since, until=until, before_id=before_id, limit=limit)
    if format == "csv":
        return PlainTextResponse(audit.to_csv(events), media_type="text/csv",
                                 headers={"Content-Disposition":
                                          'attachment; filename="kuafu-audit.csv"'})
    return [AuditEventPublic(**audit.event_public(e)) for e in events]


@router.put("/users/{name}/role", responses=described(404, 409))
def set_role(name: str, body: RoleUpdate, session: SessionDep, admin: AdminUser) -> UserPublic:
    """Make a user an administrator, or a user again (not yourself)."""
    user = identity.set_role(session, name, body.admin, admin)
    return user_public(user)


@router.post("/users/{name}/approve", responses=described(404, 409))
def approve(name: str, session: SessionDep, admin: AdminUser) -> UserPublic:
    """Let in a user who signed up and waits for approval."""
    user = identity.approve(session, name, admin)
    return user_public(user)


@router.post("/users/{name}/reject", responses=described(404, 409))
def reject(name: str, session: SessionDep, admin: AdminUser) -> UserPublic:
    """Turn down a user who signed up: the account is disabled, its name stays taken."""
    user = identity.reject(session, name, admin)
    return user_public(user)


def _link(request: Request, session, kind: str, secret: str) -> LinkCreated:
    link = session.scalar(select(AccountLink).where(
        AccountLink.secret_hash == security.hash_token(secret)))
    path = "invite" if kind == "invite" else "reset"
    base = str(request.base_url).rstrip("/")
    return LinkCreated(url=f"{base}/console/{path}?code={secret}", expires_at=link.expires_at)


@router.post("/invitations", status_code=201, responses=described(400))
def invite(request: Request, body: LinkCreate, session: SessionDep, platform: PlatformDep,
           admin: AdminUser) -> LinkCreated:
    """An invitation link (shown once): its holder picks a name and password."""
    secret = identity.create_link(session, "invite", admin, email=body.email,
                                  is_admin=body.admin,
                                  days=body.days or platform.settings.link_days)
    answer = _link(request, session, "invite", secret)
    return answer


@router.get("/invitations")
def list_invitations(session: SessionDep, _admin: AdminUser) -> list[InvitationPublic]:
    """Invitations not used yet and not expired (their links are not shown again)."""
    names = dict(session.execute(select(User.id, User.name)).all())
    return [InvitationPublic(id=link.id, email=link.email, admin=link.is_admin,
                             created_by=names.get(link.created_by), created_at=link.created_at,
                             expires_at=link.expires_at)
            for link in identity.open_invitations(session)]


@router.delete("/invitations/{invitation_id}", status_code=204, responses=described(404))
def revoke_invitation(invitation_id: int, session: SessionDep, admin: AdminUser) -> None:
    """End an invitation link before its time."""
    identity.revoke_invitation(session, invitation_id, admin)


@router.post("/users/{name}/reset-link", status_code=201, responses=described(404))
def reset_link(request: Request, name: str, session: SessionDep, platform: PlatformDep,
               admin: AdminUser) -> LinkCreated:
    """A one-time password reset link for user `name` (shown once)."""
    user = accounts.get_user(session, name)
    secret = identity.create_link(session, "reset", admin, user=user,
                                  days=platform.settings.link_days)
    answer = _link(request, session, "reset", secret)
    return answer



