"""Typed dependencies of the routes: the platform, a DB session, the calling user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from ..errors import Forbidden
from ..models import User
from ..services import accounts
from ..services.platform import Platform

bearer = HTTPBearer(auto_error=False, description="an API token from `kuafu token create`")


async def get_platform(request: Request) -> Platform:
    return request.app.state.platform  # async: no hop to the thread pool for this


PlatformDep = Annotated[Platform, Depends(get_platform)]


def get_session(platform: PlatformDep) -> Iterator[Session]:
    """A session for the request (`Database.transaction`): the services it calls commit
    what must be committed before the answer (`jobs.submit_job`, `jobs.cancel`); what is
    left is committed at the end of the request."""
    with platform.db.transaction() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


async def get_current_user(request: Request, platform: PlatformDep,
                           credentials: Credentials) -> User:
    """The caller. A token seen in the last seconds is taken from memory
    (`accounts.RECENT`); otherwise it is looked up in a session of its own, closed at
    once, so that long-polling routes hold no database connection while they wait.
    Its name goes to the access log (`request.state.user`)."""
    secret = credentials.credentials if credentials else None
    user = accounts.RECENT.user(secret)
    if user is None:
        user = await run_in_threadpool(_look_up, platform, secret)
    request.state.user = user.name
    return user


def _look_up(platform: Platform, secret: str | None) -> User:
    generation = accounts.RECENT.generation()
    with platform.db.transaction() as session:
        user, token = accounts.authenticate(session, secret)
    accounts.RECENT.remember(token, user, generation)
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_admin(user: CurrentUser) -> User:
    if not user.is_admin:
        raise Forbidden("this needs an administrator's token")
    return user


AdminUser = Annotated[User, Security(get_admin, scopes=["admin"])]  # scope: shown in OpenAPI
