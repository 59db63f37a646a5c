"""The chips: list, detail, and (administrators) their status."""

from __future__ import annotations

from fastapi import APIRouter

from ....schemas import BackendDetail, BackendStatusUpdate, BackendSummary
from ...services import catalog
from ..deps import AdminUser, CurrentUser, PlatformDep, SessionDep

router = APIRouter(prefix="/backends", tags=["backends"])


@router.get("")
def list_backends(session: SessionDep, platform: PlatformDep,
                  _user: CurrentUser) -> list[BackendSummary]:
    """Every chip with its status (and the reason and expected end when it is not
    online), size, native gates, queue length, calibration time and headline figure."""
    return catalog.list_backends(session, platform.settings)


@router.get("/{name}")
def get_backend(name: str, session: SessionDep, platform: PlatformDep,
                _user: CurrentUser) -> BackendDetail:
    """One chip with its coupling map and the calibration in force (a drifting chip's
    latest snapshot, with the qubits and couplers marked unusable)."""
    return catalog.backend_detail(session, name, platform.settings)


@router.put("/{name}/status")
def set_status(name: str, body: BackendStatusUpdate, platform: PlatformDep,
               session: SessionDep, admin: AdminUser) -> BackendSummary:
    """Set a chip online, in maintenance (its queue waits) or offline (new jobs are
    refused with 409 too), with a reason and when it is expected back (`until`): users
    see both in the backend list, at submission, and on their waiting jobs."""
    summary = catalog.set_backend_status(session, name, body.status, admin, body.reason,
                                         body.until)
    platform.scheduler.wake()
    return summary
