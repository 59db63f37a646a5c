"""The chips as the API lists them, with their queues."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...schemas import BackendDetail, BackendStatus, BackendSummary, Calibration, JobStatus
from ..models import BackendStatusOverride, Job, User, utcnow
from . import execution

logger = logging.getLogger(__name__)


def queue_lengths(session: Session) -> dict[str, int]:
    rows = session.execute(select(Job.backend, func.count()).where(
        Job.status == JobStatus.QUEUED).group_by(Job.backend)).all()
    return {backend: count for backend, count in rows}


def status_overrides(session: Session) -> dict[str, BackendStatusOverride]:
    """The operators' overrides of backend status, by backend name."""
    return {row.backend: row for row in session.scalars(select(BackendStatusOverride))}


def backend_status(session: Session, name: str) -> str:
    """The status a backend has now: an operator's override, else its own."""
    override = session.get(BackendStatusOverride, name)
    return effective_status(name, override.status if override is not None else None)


def effective_status(name: str, override: str | None) -> str:
    """An operator's override (a status, or None) wins over the backend's own status."""
    return override if override is not None else execution.backend_status(name)


def set_backend_status(session: Session, name: str, status: BackendStatus, by: User,
                       reason: str | None = None) -> BackendSummary:
    """Set a backend online, in maintenance or offline, whatever its data file says.

    `maintenance` and `offline` hold the backend's queue (the scheduler starts none of
    its jobs); `offline` also refuses new jobs (409).

    Raises:
        NotFound: no such backend.
    """
    execution.get_backend(name)
    override = session.get(BackendStatusOverride, name)
    if override is None:
        override = BackendStatusOverride(backend=name)
        session.add(override)
    override.status = BackendStatus(status).value
    override.reason = reason
    override.updated_by = by.name
    override.updated_at = utcnow()
    session.flush()
    logger.info("%s set backend %s %s (%s)", by.name, name, override.status, reason or "")
    return BackendSummary(**_summary(name, queue_lengths(session).get(name, 0),
                                     override.status))


def _summary(name: str, queued: int, status: str | None = None) -> dict[str, Any]:
    backend = execution.get_backend(name)
    device = backend.device
    return {
        "name": name,
        "qubits": backend.num_qubits or 0,
        "status": status or str(backend.status().status),
        "native_gates": sorted(device.native_gates) if device is not None else [],
        "queue_length": queued,
        "calibration_time": getattr(device, "calibrated_at", None),
    }


def list_backends(session: Session) -> list[BackendSummary]:
    """Every backend that loads; one that fails to load is logged and left out."""
    queues = queue_lengths(session)
    overrides = status_overrides(session)
    out = []
    for name in execution.backend_names():
        override = overrides.get(name)
        try:
            out.append(BackendSummary(**_summary(name, queues.get(name, 0),
                                                 override.status if override else None)))
        except Exception:  # a broken plug-in must not hide the other chips
            logger.exception("backend %r failed to load; left out of the list", name)
    return out


def backend_detail(session: Session, name: str) -> BackendDetail:
    """One chip with its coupling map and full calibration."""
    queued = queue_lengths(session).get(name, 0)
    summary = _summary(name, queued, backend_status(session, name))
    device = execution.device_of(name)
    if device is None:
        return BackendDetail(**summary)
    data = device.to_dict()
    return BackendDetail(
        **summary,
        coupling_map=[tuple(pair) for pair in device.couplers],
        calibration=Calibration(**execution.calibration_snapshot(device)),
        calibration_data={"qubit_names": data["qubits"], **data["calibration"],
                          "durations_ns": data["durations_ns"],
                          "coordinates": data.get("coordinates"),
                          "averages": device.averages()})
