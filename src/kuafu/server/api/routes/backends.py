"""The chips: list and detail."""

from __future__ import annotations

from fastapi import APIRouter

from ....schemas import BackendDetail, BackendSummary
from ...services import catalog
from ..deps import CurrentUser, SessionDep

router = APIRouter(prefix="/backends", tags=["backends"])


@router.get("")
def list_backends(session: SessionDep, _user: CurrentUser) -> list[BackendSummary]:
    """Every chip with its status, size, native gates, queue length and calibration time."""
    return catalog.list_backends(session)


@router.get("/{name}")
def get_backend(name: str, session: SessionDep, _user: CurrentUser) -> BackendDetail:
    """One chip with its coupling map and full calibration."""
    return catalog.backend_detail(session, name)
