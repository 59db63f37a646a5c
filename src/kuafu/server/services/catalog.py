"""The chips as the API lists them, with their queues."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...schemas import (
    BackendDetail,
    BackendStatus,
    BackendSummary,
    Calibration,
    JobStatus,
    calibration_figure,
)
from ..models import BackendStatusOverride, Job, User, utcnow
from . import execution, reservations, webhooks
from .audit import record_event

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


@dataclass(frozen=True)
class StatusInfo:
    """What a backend does now and why: `reason` and `until` are the operator's words (or
    the chip's own message), `until` None when nobody said when it is back."""

    backend: str
    status: str
    reason: str | None = None
    until: datetime | None = None

    @property
    def held(self) -> bool:
        """Its queue waits (maintenance or offline)."""
        return self.status != BackendStatus.ONLINE

    def describe(self) -> str:
        """"ScQ-P10 is in maintenance (recalibrating couplers), expected back at
        2026-12-01 14:00 UTC"; names the status, the reason and the end if known."""
        state = "in maintenance" if self.status == BackendStatus.MAINTENANCE else self.status
        text = f"{self.backend} is {state}"
        if self.reason:
            text += f" ({self.reason})"
        if self.until is not None:
            text += f", expected back at {self.until:%Y-%m-%d %H:%M} UTC"
        return text

    def waiting_notice(self) -> str | None:
        """Why a queued job on this backend waits (None when it is online)."""
        if not self.held:
            return None
        when = ("" if self.until is not None
                else "; no end time was given, so its jobs' start is unknown")
        return f"{self.describe()}: jobs wait in its queue until it is back online{when}"


def status_info(session: Session, name: str) -> StatusInfo:
    """The status, reason and expected end of backend `name`.

    Raises:
        NotFound: no such backend.
    """
    return _status_info(name, session.get(BackendStatusOverride, name))


def _status_info(name: str, override: BackendStatusOverride | None) -> StatusInfo:
    if override is not None:
        return StatusInfo(name, override.status, override.reason or None, override.until)
    own = execution.get_backend(name).status()
    status = str(own.status)
    return StatusInfo(name, status, (own.message or None) if status != "online" else None)


def set_backend_status(session: Session, name: str, status: BackendStatus, by: User | str,
                       reason: str | None = None,
                       until: datetime | None = None, *, commit: bool = True) -> BackendSummary:
    """Set a backend online, in maintenance or offline, whatever its data file says.

    `maintenance` and `offline` hold the backend's queue (the scheduler starts none of
    its jobs); `offline` also refuses new jobs (409). `reason` and `until` (when it is
    expected back, UTC) are shown to users wherever they pick the chip or wait on it;
    setting it online clears them.

    Raises:
        NotFound: no such backend.
    """
    execution.get_backend(name)
    override = session.get(BackendStatusOverride, name)
    if override is None:
        override = BackendStatusOverride(backend=name)
        session.add(override)
    online = BackendStatus(status) == BackendStatus.ONLINE
    override.status = BackendStatus(status).value
    override.reason = reason
    override.until = None if online or until is None else _utc(until)
    override.updated_by = by if isinstance(by, str) else by.name
    override.updated_at = utcnow()
    session.flush()
    record_event(session, actor_id=by.id if isinstance(by, User) else None,
                 action="backend.status", subject=f"backend {name}",
                 details={"status": override.status, "reason": reason, "by": override.updated_by,
                          "until": override.until.isoformat() if override.until else None})
    webhooks.enqueue_backend_status(session, name, override.status, reason,  # issue 17
                                    override.until)
    logger.info("backend_status backend=%s status=%s by=%s until=%s reason=%r", name,
                override.status, override.updated_by,
                override.until.isoformat() if override.until else "-", reason or "")
    if commit:
        session.commit()
    return BackendSummary(**_summary(name, queue_lengths(session).get(name, 0),
                                     _status_info(name, override)))


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _summary(name: str, queued: int, info: StatusInfo) -> dict[str, Any]:
    backend = execution.get_backend(name)
    device = backend.device
    return {
        "name": name,
        "qubits": backend.num_qubits or execution.DEFAULT_MAX_QUBITS,
        "status": info.status,
        "status_reason": info.reason,
        "status_until": info.until,
        "native_gates": sorted(device.native_gates) if device is not None else [],
        "queue_length": queued,
        "calibration_time": getattr(device, "calibrated_at", None),
        "fidelity_2q_median": _figure(device),
    }


def _figure(device: Any) -> float | None:
    if device is None:
        return None
    return calibration_figure(c.fidelity_2q for c in device.coupler_calibration.values())


def list_backends(session: Session, settings: Any = None) -> list[BackendSummary]:
    """Every backend that loads; one that fails to load is logged and left out. With
    the server's `settings`, a drifting chip's calibration time and figure are its
    snapshot in force (issue 18)."""
    queues = queue_lengths(session)
    overrides = status_overrides(session)
    booked = reservations.in_force(session)
    out = []
    for name in execution.backend_names():
        try:
            summary = _summary(name, queues.get(name, 0),
                               _status_info(name, overrides.get(name)))
            _in_force(session, settings, name, summary)
            _reserved(booked, name, summary)
            out.append(BackendSummary(**summary))
        except Exception:  # a broken plug-in must not hide the other chips
            logger.exception("backend %r failed to load; left out of the list", name)
    return out


def _reserved(booked: dict[str, tuple[str, datetime]], name: str,
              summary: dict[str, Any]) -> None:
    """Say in `summary` whom a reservation in force gives the chip to (issue 17)."""
    if name in booked:
        summary["reserved_for"], summary["reserved_until"] = booked[name]


def _in_force(session: Session, settings: Any, name: str, summary: dict[str, Any]) -> Any:
    """Put a drifting chip's snapshot in force into `summary`; the snapshot (or None)."""
    if settings is None:
        return None
    from . import calibration

    chip = calibration.timeline_of(name) if calibration.enabled(settings) else None
    if chip is None:
        return None
    snap = calibration.snapshot_in_force(session, settings, chip)
    summary["calibration_time"] = snap.calibrated_at
    summary["fidelity_2q_median"] = _figure(snap.device)
    if chip == name:  # a -sim twin is not held by its chip's recalibrations
        summary["next_recalibration"] = calibration.schedule(settings).next_start(utcnow())
    return snap


def backend_detail(session: Session, name: str, settings: Any = None) -> BackendDetail:
    """One chip with its coupling map and full calibration: with the server's
    `settings`, a drifting chip's snapshot in force and its unusable parts (issue 18)."""
    queued = queue_lengths(session).get(name, 0)
    summary = _summary(name, queued, status_info(session, name))
    _reserved(reservations.in_force(session), name, summary)
    device = execution.device_of(name)
    if device is None:
        return BackendDetail(**summary)
    snapshot = execution.calibration_snapshot(device)
    snap = _in_force(session, settings, name, summary)
    if snap is not None:
        device = snap.device
        snapshot = {"id": snap.id, "time": snap.calibrated_at}
    data = device.to_dict()
    return BackendDetail(
        **summary,
        coupling_map=[tuple(pair) for pair in device.couplers],
        calibration=Calibration(**snapshot),
        calibration_data={"qubit_names": data["qubits"], **data["calibration"],
                          "durations_ns": data["durations_ns"],
                          "coordinates": data.get("coordinates"),
                          "unusable": data.get("unusable"),
                          "averages": device.averages()})
