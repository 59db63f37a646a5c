"""The chips as the API lists them, with their queues."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...schemas import BackendDetail, BackendSummary, Calibration, JobStatus
from ..models import Job
from . import execution

logger = logging.getLogger(__name__)


def queue_lengths(session: Session) -> dict[str, int]:
    rows = session.execute(select(Job.backend, func.count()).where(
        Job.status == JobStatus.QUEUED).group_by(Job.backend)).all()
    return {backend: count for backend, count in rows}


def _summary(name: str, queued: int) -> dict[str, Any]:
    backend = execution.get_backend(name)
    device = backend.device
    return {
        "name": name,
        "qubits": backend.num_qubits or 0,
        "status": str(backend.status().status),
        "native_gates": sorted(device.native_gates) if device is not None else [],
        "queue_length": queued,
        "calibration_time": getattr(device, "calibrated_at", None),
    }


def list_backends(session: Session) -> list[BackendSummary]:
    """Every backend that loads; one that fails to load is logged and left out."""
    queues = queue_lengths(session)
    out = []
    for name in execution.backend_names():
        try:
            out.append(BackendSummary(**_summary(name, queues.get(name, 0))))
        except Exception:  # a broken plug-in must not hide the other chips
            logger.exception("backend %r failed to load; left out of the list", name)
    return out


def backend_detail(session: Session, name: str) -> BackendDetail:
    """One chip with its coupling map and full calibration."""
    queued = queue_lengths(session).get(name, 0)
    summary = _summary(name, queued)
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
