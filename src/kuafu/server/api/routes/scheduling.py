"""Chip sessions (open, read, close) and reservations (list; administrators book and
cancel)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path

from ....schemas.projects import (
    ChipSessionCreate,
    ChipSessionPublic,
    ReservationCreate,
    ReservationPublic,
)
from ...models import Project
from ...services import chip_sessions, reservations
from ..deps import AdminUser, CurrentUser, PlatformDep, SessionDep
from ..handlers import described

router = APIRouter(tags=["scheduling"])
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post("/sessions", status_code=201, responses=described(403, 404))
def open_session(body: ChipSessionCreate, platform: PlatformDep, session: SessionDep,
                 user: CurrentUser) -> ChipSessionPublic:
    """Open a session on a chip: jobs submitted with `session` = its id run ahead of the
    general queue until it is closed, idle for `idle_seconds`, or `max_seconds` old."""
    row = chip_sessions.open_session(session, user, body)
    platform.scheduler.rules_changed()
    return chip_sessions.to_public(session, row)


@router.get("/sessions/{session_id}")
def get_session(session_id: str, session: SessionDep, user: CurrentUser) -> ChipSessionPublic:
    """A session of yours: open or closed (and why), its jobs and chip-seconds."""
    return chip_sessions.to_public(session, chip_sessions.get(session, user, session_id))


@router.post("/sessions/{session_id}/close")
def close_session(session_id: str, platform: PlatformDep, session: SessionDep,
                  user: CurrentUser) -> ChipSessionPublic:
    """End a session; its jobs still waiting go on in the general queue."""
    row = chip_sessions.close(session, user, session_id)
    platform.scheduler.rules_changed()
    return chip_sessions.to_public(session, row)


@router.get("/reservations")
def list_reservations(session: SessionDep, _user: CurrentUser,
                      since: datetime | None = None,
                      until: datetime | None = None) -> list[ReservationPublic]:
    """Reservations not yet over (or ending after `since`), soonest first."""
    return reservations.listing(session, since, until)


@router.post("/reservations", status_code=201, responses=described(404, 409))
def create_reservation(body: ReservationCreate, platform: PlatformDep, session: SessionDep,
                       admin: AdminUser) -> ReservationPublic:
    """Book a chip for a project over a window (administrators): during it only that
    project's jobs run there; the others wait, saying why and until when."""
    row = reservations.create(session, admin, body)
    platform.scheduler.rules_changed()
    return reservations.to_public(row, session.get(Project, row.project_id).name)


@router.delete("/reservations/{reservation_id}")
def cancel_reservation(reservation_id: RowId, platform: PlatformDep, session: SessionDep,
                       admin: AdminUser) -> ReservationPublic:
    """Cancel a reservation (administrators)."""
    row = reservations.cancel(session, admin, reservation_id)
    name = session.get(Project, row.project_id)
    platform.scheduler.rules_changed()
    return reservations.to_public(row, name.name if name else "?")
