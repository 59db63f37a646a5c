"""Typed dependencies of the routes: the platform, a DB session, the calling user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from ..errors import Forbidden
from ..models import User
from ..services import accounts
from ..services.platform import Platform

bearer = HTTPBearer(auto_error=False, description="an API token from `kuafu token create`")


def get_platform(request: Request) -> Platform:
    return request.app.state.platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


def get_session(platform: PlatformDep) -> Iterator[Session]:
    """A session for the request, committed at its end (routes that must see their
    writes committed before answering call `session.commit()` themselves)."""
    with platform.db.sessions() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


SessionDep = Annotated[Session, Depends(get_session)]


def get_current_user(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    user, _token = accounts.authenticate(session, credentials.credentials if credentials
                                         else None)
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_current_user_briefly(
    platform: PlatformDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    """The caller, checked in a session of its own that is closed at once: for
    long-polling routes, which must not hold a database connection while they wait."""
    with platform.db.session() as session:
        user, _token = accounts.authenticate(session, credentials.credentials if credentials
                                             else None)
    return user


BriefUser = Annotated[User, Depends(get_current_user_briefly)]


def get_admin(user: CurrentUser) -> User:
    if not user.is_admin:
        raise Forbidden("this needs an administrator's token")
    return user


AdminUser = Annotated[User, Security(get_admin, scopes=["admin"])]  # scope: shown in OpenAPI
