"""Users (administrators only): create, list, disable, and issue a first token."""

from __future__ import annotations

from fastapi import APIRouter

from ....schemas import TokenCreate, TokenCreated, UserCreate, UserPublic
from ...services import accounts
from ..deps import AdminUser, PlatformDep, SessionDep
from ..handlers import described
from .tokens import token_public, user_public

router = APIRouter(prefix="/users", tags=["accounts"])


@router.post("", status_code=201, responses=described(409))
def create_user(body: UserCreate, session: SessionDep, admin: AdminUser) -> UserPublic:
    user = accounts.create_user(session, body.name, body.admin, actor=admin)
    return user_public(user)


@router.get("")
def list_users(session: SessionDep, _admin: AdminUser) -> list[UserPublic]:
    return [user_public(u) for u in accounts.list_users(session)]


@router.post("/{name}/tokens", status_code=201)
def create_token_for(name: str, body: TokenCreate, session: SessionDep,
                     admin: AdminUser) -> TokenCreated:
    user = accounts.get_user(session, name)
    token, secret = accounts.create_token(session, user, body.name, body.expires_in_days,
                                          actor=admin)
    return TokenCreated(**token_public(token).model_dump(), token=secret)


@router.post("/{name}/disable")
def disable_user(name: str, session: SessionDep, admin: AdminUser,
                 platform: PlatformDep) -> UserPublic:
    """Refuse the user's tokens and end their console sessions from now on, and cancel
    their queued and running jobs (error "account disabled: cancelled …"; a running
    one's computation is stopped); `enable` undoes the rest, not the cancellations."""
    user = accounts.set_disabled(session, name, True, actor=admin,
                                 stop_job=platform.scheduler.stop_job)
    return user_public(user)


@router.post("/{name}/enable")
def enable_user(name: str, session: SessionDep, admin: AdminUser) -> UserPublic:
    user = accounts.set_disabled(session, name, False, actor=admin)
    return user_public(user)
