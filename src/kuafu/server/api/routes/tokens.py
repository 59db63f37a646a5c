"""Your API tokens: create (shown once), list, revoke."""

from __future__ import annotations

from fastapi import APIRouter

from ....schemas import TokenCreate, TokenCreated, TokenPublic, UserPublic
from ...models import ApiToken, User
from ...services import accounts
from ..deps import CurrentUser, SessionDep

router = APIRouter(tags=["accounts"])


def token_public(token: ApiToken) -> TokenPublic:
    return TokenPublic(id=token.id, name=token.name, prefix=token.prefix,
                       created_at=token.created_at, expires_at=token.expires_at,
                       revoked_at=token.revoked_at, last_used_at=token.last_used_at,
                       kind=token.kind)


def user_public(user: User) -> UserPublic:
    return UserPublic(id=user.id, name=user.name, admin=user.is_admin,
                      created_at=user.created_at, disabled=user.disabled_at is not None,
                      email=user.email, pending=user.pending_approval)


@router.get("/me")
def me(user: CurrentUser) -> UserPublic:
    """Who the token belongs to."""
    return user_public(user)


@router.post("/tokens", status_code=201)
def create_token(body: TokenCreate, session: SessionDep, user: CurrentUser) -> TokenCreated:
    """A new token for you; the secret is in this answer only."""
    token, secret = accounts.create_token(session, user, body.name, body.expires_in_days)
    return TokenCreated(**token_public(token).model_dump(), token=secret)


@router.get("/tokens")
def list_tokens(session: SessionDep, user: CurrentUser) -> list[TokenPublic]:
    return [token_public(t) for t in accounts.list_tokens(session, user)]


@router.delete("/tokens/{token_id}")
def revoke_token(token_id: int, session: SessionDep, user: CurrentUser) -> TokenPublic:
    """Revoke one of your tokens; requests with it get 401 'revoked' from now on."""
    token = accounts.revoke_token(session, user, token_id)
    return token_public(token)
