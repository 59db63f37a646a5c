"""Webhooks: create (the secret shown once), list, delete, and their deliveries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from ....schemas.projects import DeliveryPublic, WebhookCreate, WebhookCreated, WebhookPublic
from ...services import webhooks
from ..deps import CurrentUser, PlatformDep, SessionDep
from ..handlers import described

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post("", status_code=201, responses=described(403, 404))
def create_webhook(body: WebhookCreate, platform: PlatformDep, session: SessionDep,
                   user: CurrentUser) -> WebhookCreated:
    """POST your events (`job.ended`, `backend.status`) to `url`, signed with
    HMAC-SHA256 under the returned `secret` (shown this once): header
    `X-Kuafu-Signature: sha256=HMAC(secret, "<X-Kuafu-Timestamp>.<body>")`. With
    `project` (owners), the events of every job of the project too."""
    row, secret = webhooks.create(session, user, body)
    if platform.webhooks is not None:
        platform.webhooks.wake()
    return WebhookCreated(**webhooks.to_public(session, row).model_dump(), secret=secret)


@router.get("")
def list_webhooks(session: SessionDep, user: CurrentUser) -> list[WebhookPublic]:
    return [webhooks.to_public(session, w) for w in webhooks.listing(session, user)]


@router.delete("/{webhook_id}")
def delete_webhook(webhook_id: RowId, session: SessionDep, user: CurrentUser) -> WebhookPublic:
    row = webhooks.get(session, user, webhook_id)
    public = webhooks.to_public(session, row)
    webhooks.delete(session, user, webhook_id)
    return public


@router.get("/{webhook_id}/deliveries")
def list_deliveries(webhook_id: RowId, session: SessionDep,
                    user: CurrentUser) -> list[DeliveryPublic]:
    """The webhook's newest deliveries: status (pending, delivered, failed), tries, the
    last answer."""
    return webhooks.deliveries(session, user, webhook_id)
