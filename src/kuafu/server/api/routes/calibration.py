"""Calibration history of the chips, recalibrations and unusable parts (issue 18)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from ....schemas.calibration import (
    CalibrationSeries,
    FaultsPublic,
    FaultsUpdate,
    SnapshotPublic,
    SnapshotSummary,
)
from ...errors import NotFound
from ...services import calibration
from ..deps import AdminUser, CurrentUser, PlatformDep, SessionDep
from ..handlers import described

router = APIRouter(tags=["calibration"])


@router.get("/backends/{name}/calibrations")
def history(name: str, session: SessionDep, platform: PlatformDep, _user: CurrentUser,
            since: datetime | None = None,
            until: datetime | None = None) -> list[SnapshotSummary]:
    """The chip's recalibrations, oldest first (the data file's calibration first),
    finished between `since` and `until` when given. Kept for good."""
    base = calibration.chip_device(name)
    first = calibration.snapshot_by_id(
        session, platform.settings,
        calibration.drift.snapshot_id(name, calibration.origin(base),
                                      calibration.seed(platform.settings)))
    out = [] if since is not None and first["calibrated_at"] < since else [
        SnapshotSummary(**first)]
    out += [SnapshotSummary(id=r.id, chip=r.chip, calibrated_at=r.calibrated_at,
                            source=r.source, started_at=r.started_at,
                            requested_by=r.requested_by)
            for r in calibration.recalibrations(session, name, since=since, until=until)
            if r.calibrated_at > calibration.origin(base)]
    return out


@router.get("/backends/{name}/calibration")
def in_force(name: str, session: SessionDep, platform: PlatformDep, _user: CurrentUser,
             at: datetime | None = None) -> SnapshotPublic:
    """The snapshot in force on the chip at `at` (UTC; default now): the one a job
    running then names."""
    snap = calibration.snapshot_in_force(session, platform.settings, name, at)
    row = calibration.session_row(session, snap.id)
    return SnapshotPublic(**calibration.describe(snap, row))


@router.get("/backends/{name}/calibration/series")
def time_series(name: str, session: SessionDep, platform: PlatformDep, _user: CurrentUser,
                days: Annotated[float, Query(gt=0, le=366)] = 30.0,
                step_hours: Annotated[float, Query(ge=0.1, le=24)] = 1.0,
                ) -> CalibrationSeries:
    """Per-qubit T1, T2, 1q fidelity and readout, per-coupler CZ fidelity, every
    `step_hours` over the last `days` (as the chip drifted and was recalibrated)."""
    s = calibration.series(session, platform.settings, name, days=days,
                           step_hours=step_hours)
    return CalibrationSeries(chip=name, times=s.times, qubits=s.qubits, couplers=s.couplers,
                             recalibrations=s.recalibrations)


@router.get("/backends/{name}/calibrations/{snapshot_id}")
def by_id(name: str, snapshot_id: str, session: SessionDep, platform: PlatformDep,
          _user: CurrentUser) -> SnapshotPublic:
    """Any snapshot of the chip by its id (as results name it), also of a chip taken
    out of service. (`/calibrations/{id}` is quafu-sdk's, in QUAFU's schema.)"""
    snap = calibration.snapshot_by_id(session, platform.settings, snapshot_id)
    if snap["chip"] != name:
        raise NotFound(f"no calibration snapshot {snapshot_id!r} of {name}")
    return SnapshotPublic(**snap)


@router.post("/backends/{name}/recalibrate", status_code=202, responses=described(409))
def recalibrate(name: str, session: SessionDep, platform: PlatformDep,
                admin: AdminUser) -> SnapshotSummary:
    """Recalibrate the chip now (administrators): it is `calibrating` for the
    configured minutes, its jobs wait with that reason, then the new snapshot (this
    answer's id) is in force."""
    row = calibration.recalibrate(session, platform.settings, name, admin)
    platform.scheduler.timelines.invalidate()
    platform.scheduler.wake()
    return SnapshotSummary(id=row.id, chip=row.chip, calibrated_at=row.calibrated_at,
                           source=row.source, started_at=row.started_at,
                           requested_by=row.requested_by)


@router.get("/backends/{name}/faults")
def get_faults(name: str, session: SessionDep, _user: CurrentUser) -> FaultsPublic:
    """The chip's qubits and couplers marked unusable."""
    return FaultsPublic(**calibration.faults_public(session, name))


@router.put("/backends/{name}/faults")
def set_faults(name: str, body: FaultsUpdate, session: SessionDep, platform: PlatformDep,
               admin: AdminUser) -> FaultsPublic:
    """Mark qubits and couplers unusable (administrators; replaces earlier marks): the
    compiler avoids them from the next job on, and the chip drawing shows them."""
    out = calibration.set_faults(session, name, body.qubits,
                                 [list(c) for c in body.couplers], admin, body.reason)
    platform.scheduler.timelines.invalidate()  # the next job handed out avoids them
    return FaultsPublic(**out)
