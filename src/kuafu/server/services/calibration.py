"""The chips' calibration timelines: recalibrations, snapshots, faults, history.

Each emulated chip drifts (`kuafu.devices.drift`, a pure function of time and the
server's `calibration_seed`). What the store adds is which recalibrations happened: a
row of `calibration_snapshots` per recalibration (scheduled daily at
`recalibrate_daily_at`, or asked for by an administrator), whose window
[`started_at`, `calibrated_at`) keeps the chip `calibrating` (its jobs wait, with the
reason and the end, through the backend status machinery of `catalog`). The snapshot
in force at a moment is that of the latest recalibration finished by then, else the
data file's own calibration. An administrator's marks of unusable qubits and couplers
(`chip_faults`) go with every job to the compiler.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...backends.emulator import EmulatedBackend
from ...backends.sim_twin import SimTwin
from ...backends.timeline import CalibrationPoint, Device, drift, published
from ..core.config import Settings
from ..errors import Conflict, InvalidRequest, NotFound
from ..models import BackendStatusOverride, CalibrationSnapshot, ChipFault, User, utcnow
from . import execution

logger = logging.getLogger(__name__)

FALLBACK_ORIGIN = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
"""The first calibration of a chip whose data file gives no time."""

CALIBRATING = "calibrating"
SERIES_DAYS = 30


# ----- settings ------------------------------------------------------------------------

def enabled(settings: Settings) -> bool:
    return bool(getattr(settings, "calibration_drift", True))


def seed(settings: Settings) -> int:
    return int(getattr(settings, "calibration_seed", 1))


def schedule(settings: Settings) -> drift.Schedule:
    return drift.Schedule.parse(getattr(settings, "recalibrate_daily_at", None),
                                float(getattr(settings, "recalibration_minutes", 10.0)))


# ----- chips ---------------------------------------------------------------------------

def base_device(name: str) -> Device | None:
    """The data-file device of an emulated chip that drifts; None for anything else
    (an ideal simulator, a chip served by a device agent, a chip's `-sim` twin)."""
    backend = execution.get_backend(name)
    return backend.device if type(backend) is EmulatedBackend else None


def timeline_of(name: str) -> str | None:
    """The chip whose timeline a backend's jobs run on: a drifting chip's own, its
    `-sim` twin's the chip's; None for a backend that does not drift."""
    if base_device(name) is not None:
        return name
    backend = execution.get_backend(name)
    if isinstance(backend, SimTwin) and type(backend.emulator) is EmulatedBackend:
        return backend.chip if base_device(backend.chip) is not None else None
    return None


def chip_device(name: str) -> Device:
    """Like `base_device`, refusing what is not a drifting chip.

    Raises:
        NotFound: no such backend.
        InvalidRequest: the backend is not an emulated chip.
    """
    device = base_device(name)
    if device is None:
        raise InvalidRequest(f"{name} is not an emulated chip: it has no calibration "
                             "timeline", code="not_a_chip")
    return device


def drifting_chips() -> list[str]:
    out = []
    for name in execution.backend_names():
        try:
            if base_device(name) is not None:
                out.append(name)
        except Exception:  # a broken plug-in is reported where backends are listed
            continue
    return out


def origin(device: Device) -> datetime:
    when = device.calibrated_at or FALLBACK_ORIGIN
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


# ----- recalibrations ------------------------------------------------------------------

def recalibrations(session: Session, chip: str, *, since: datetime | None = None,
                   until: datetime | None = None) -> list[CalibrationSnapshot]:
    """The chip's recalibrations (rows), oldest first, finished in [since, until]."""
    rows = (select(CalibrationSnapshot).where(CalibrationSnapshot.chip == chip,
                                              CalibrationSnapshot.source.is_not(None))
            .order_by(CalibrationSnapshot.calibrated_at))
    if since is not None:
        rows = rows.where(CalibrationSnapshot.calibrated_at >= since)
    if until is not None:
        rows = rows.where(CalibrationSnapshot.calibrated_at <= until)
    return list(session.scalars(rows))


def in_force_since(session: Session, chip: str, at: datetime) -> datetime:
    """When the calibration in force at `at` finished."""
    row = session.scalars(
        select(CalibrationSnapshot.calibrated_at)
        .where(CalibrationSnapshot.chip == chip, CalibrationSnapshot.source.is_not(None),
               CalibrationSnapshot.calibrated_at <= at)
        .order_by(CalibrationSnapshot.calibrated_at.desc()).limit(1)).first()
    base = chip_device(chip)
    return row if row is not None and row > origin(base) else origin(base)


def point(session: Session, settings: Settings, chip: str,
          at: datetime | None = None) -> CalibrationPoint | None:
    """Where a job on `chip` starting at `at` (default now) runs on the timeline; None
    when the chip does not drift (drift off, or not an emulated chip)."""
    chip = timeline_of(chip) if enabled(settings) else None
    if chip is None:
        return None
    at = _utc(at or utcnow())
    qubits, couplers = faults(session, chip)
    return CalibrationPoint(seed(settings), in_force_since(session, chip, at), at,
                            tuple(qubits), tuple(couplers))


def snapshot_in_force(session: Session, settings: Settings, chip: str,
                      at: datetime | None = None) -> drift.Snapshot:
    """The snapshot in force on `chip` at `at` (default now), with the faults of now.

    Raises:
        NotFound, InvalidRequest: see `chip_device`.
    """
    chip_device(chip)
    p = point(session, settings, chip, at)
    if p is None:  # drift switched off: the data file's calibration, always
        base = chip_device(chip)
        return drift.Snapshot(drift.snapshot_id(chip, origin(base), 0), chip, origin(base),
                              0, base)
    return published(chip_device(chip), p)


def snapshot_by_id(session: Session, settings: Settings, snapshot_id: str) -> dict[str, Any]:
    """A snapshot by id: a recorded recalibration, or a chip's first calibration.

    Raises:
        NotFound: no recalibration has this id.
    """
    try:
        chip, when, timeline = drift.parse_snapshot_id(snapshot_id)
        base = chip_device(chip)
    except (ValueError, NotFound, InvalidRequest):
        raise NotFound(f"no calibration snapshot {snapshot_id!r}") from None
    row = session_row(session, snapshot_id)
    if row is None and when != drift._second(origin(base)):
        raise NotFound(f"no calibration snapshot {snapshot_id!r}")
    snap = drift.snapshot(base, seed=timeline, calibrated_at=when)
    return describe(snap, row)


def session_row(session: Session, snapshot_id: str) -> CalibrationSnapshot | None:
    """The recorded recalibration of this id (None for a chip's first calibration)."""
    row = session.get(CalibrationSnapshot, snapshot_id)
    return row if row is not None and row.source is not None else None


def describe(snap: drift.Snapshot, row: CalibrationSnapshot | None = None) -> dict[str, Any]:
    """A snapshot as the API gives it: id, chip, time, how it came, and the figures."""
    data = snap.device.to_dict()
    return {"id": snap.id, "chip": snap.chip, "calibrated_at": snap.calibrated_at,
            "seed": snap.seed,
            "source": row.source if row is not None else "data file",
            "started_at": row.started_at if row is not None else None,
            "requested_by": row.requested_by if row is not None else None,
            "qubit_names": data["qubits"], "qubits": data["calibration"]["qubits"],
            "couplers": data["calibration"]["couplers"],
            "unusable": data.get("unusable") or {"qubits": [], "couplers": []},
            "averages": snap.device.averages()}


def recalibrate(session: Session, settings: Settings, chip: str, by: User | str,
                now: datetime | None = None, *, source: str = "admin",
                commit: bool = True) -> CalibrationSnapshot:
    """Start a recalibration of `chip` now: it is `calibrating` (its jobs wait) for
    `recalibration_minutes`, then its new snapshot is in force.

    Raises:
        NotFound, InvalidRequest: see `chip_device`.
        Conflict: it is calibrating already.
    """
    chip_device(chip)
    now = drift._second(now or utcnow())
    if current_window(session, chip, now) is not None:
        raise Conflict(f"{chip} is calibrating already")
    end = now + max(schedule(settings).duration, timedelta(seconds=1))
    row = _record(session, settings, chip, now, end, source,
                  by if isinstance(by, str) else by.name)
    if row is None:
        raise Conflict(f"{chip} was recalibrated at this very second already")
    hold(session, chip, row, now)
    if commit:
        session.commit()
    return row


def _record(session: Session, settings: Settings, chip: str, start: datetime,
            end: datetime, source: str, by: str | None) -> CalibrationSnapshot | None:
    end = drift._second(end)
    snap = drift.snapshot(chip_device(chip), seed=seed(settings), calibrated_at=end)
    if session.get(CalibrationSnapshot, snap.id) is not None:
        return None
    row = CalibrationSnapshot(id=snap.id, chip=chip, calibrated_at=end,
                              data=snap.device.to_dict()["calibration"], source=source,
                              started_at=start, requested_by=by)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # another server recorded it meanwhile
        return None
    logger.info("recalibration chip=%s source=%s by=%s window=%s..%s snapshot=%s", chip,
                source, by or "-", start.isoformat(), end.isoformat(), snap.id)
    return row


def current_window(session: Session, chip: str, now: datetime) -> CalibrationSnapshot | None:
    """The recalibration whose window holds `now`, if any."""
    return session.scalars(
        select(CalibrationSnapshot)
        .where(CalibrationSnapshot.chip == chip, CalibrationSnapshot.source.is_not(None),
               CalibrationSnapshot.started_at <= now,
               CalibrationSnapshot.calibrated_at > now).limit(1)).first()


def hold(session: Session, chip: str, row: CalibrationSnapshot, now: datetime) -> None:
    """Show `chip` as calibrating until the window's end (an operator's maintenance or
    offline status is left as it is: it says more)."""
    override = session.get(BackendStatusOverride, chip)
    if override is not None and override.status not in ("online", CALIBRATING):
        return
    if override is None:
        override = BackendStatusOverride(backend=chip)
        session.add(override)
    override.status = CALIBRATING
    override.reason = ("scheduled recalibration" if row.source == "scheduled"
                       else f"recalibration requested by {row.requested_by}")
    override.until = row.calibrated_at
    override.updated_by = row.requested_by or "schedule"
    override.updated_at = now
    session.flush()


def tick(session: Session, settings: Settings, now: datetime | None = None) -> bool:
    """Start the scheduled recalibrations that are due and end the finished ones;
    whether any chip's status changed (the scheduler then looks at its queues again)."""
    if not enabled(settings):
        return False
    now = drift._second(now or utcnow())
    changed = False
    sched = schedule(settings)
    start = sched.last_start(now)
    if start is not None:
        for chip in drifting_chips():
            if _record(session, settings, chip, start, start + sched.duration, "scheduled",
                       None) is not None:
                changed = True
    for chip in drifting_chips():
        window = current_window(session, chip, now)
        if window is not None:
            override = session.get(BackendStatusOverride, chip)
            if override is None or override.status != CALIBRATING:
                hold(session, chip, window, now)
                changed = True
    finished = session.scalars(select(BackendStatusOverride).where(
        BackendStatusOverride.status == CALIBRATING)).all()
    for override in finished:
        if override.until is None or override.until <= now:
            session.delete(override)
            changed = True
    session.flush()
    return changed


# ----- faults --------------------------------------------------------------------------

_COUPLER = re.compile(r"^([A-Za-z0-9_]+)-([A-Za-z0-9_]+)$")


def faults(session: Session, chip: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The qubits and couplers of `chip` marked unusable."""
    qubits, couplers = [], []
    for target in session.scalars(select(ChipFault.target).where(ChipFault.chip == chip)
                                  .order_by(ChipFault.target)):
        m = _COUPLER.match(target)
        if m:
            couplers.append((m.group(1), m.group(2)))
        else:
            qubits.append(target)
    return qubits, couplers


def set_faults(session: Session, chip: str, qubits: list[str], couplers: list[list[str]],
               by: User, reason: str | None = None, *, commit: bool = True) -> dict[str, Any]:
    """Replace the chip's unusable marks (empty lists clear them).

    Raises:
        InvalidRequest: an unknown qubit, a pair without a coupler, or every qubit.
    """
    base = chip_device(chip)
    try:
        pairs = [(a, b) for a, b in couplers]
        marked = base.with_unusable(qubits, pairs)
    except (ValueError, TypeError) as exc:
        raise InvalidRequest(str(exc), code="bad_fault") from None
    if len(marked.unusable_qubits) >= base.num_qubits:
        raise InvalidRequest(f"marking every qubit of {chip} unusable leaves nothing to "
                             "run on; set it offline instead", code="bad_fault")
    session.execute(delete(ChipFault).where(ChipFault.chip == chip))
    names = base.qubits
    for q in sorted(marked.unusable_qubits):
        session.add(ChipFault(chip=chip, target=names[q], reason=reason, created_by=by.name))
    for a, b in sorted(marked.unusable_couplers):
        session.add(ChipFault(chip=chip, target=f"{names[a]}-{names[b]}", reason=reason,
                              created_by=by.name))
    session.flush()
    logger.info("chip_faults chip=%s by=%s qubits=%s couplers=%s", chip, by.name,
                [names[q] for q in sorted(marked.unusable_qubits)],
                [f"{names[a]}-{names[b]}" for a, b in sorted(marked.unusable_couplers)])
    if commit:
        session.commit()
    return faults_public(session, chip)


def faults_public(session: Session, chip: str) -> dict[str, Any]:
    chip_device(chip)
    qubits, couplers = faults(session, chip)
    return {"chip": chip, "qubits": qubits, "couplers": [list(c) for c in couplers]}


# ----- history -------------------------------------------------------------------------

@dataclass(frozen=True)
class Series:
    """Per-qubit and per-coupler figures at regular times."""

    times: list[datetime]
    qubits: dict[str, dict[str, list[float]]]
    couplers: dict[str, list[float]]
    recalibrations: list[datetime]


def series(session: Session, settings: Settings, chip: str, *, days: float = SERIES_DAYS,
           step_hours: float = 1.0, end: datetime | None = None) -> Series:
    """The chip's T1, T2, 1q fidelity and readout per qubit and the CZ fidelity per
    coupler, every `step_hours` over the `days` before `end` (default now).

    Raises:
        InvalidRequest: a window or step out of range.
    """
    base = chip_device(chip)
    if not 0 < days <= 366 or not 0.1 <= step_hours <= 24 or days * 24 / step_hours > 2000:
        raise InvalidRequest("days must be in (0, 366], step_hours in [0.1, 24], at most "
                             "2000 points", code="bad_window")
    end = _utc(end or utcnow())
    start = end - timedelta(days=days)
    ends = [r.calibrated_at for r in recalibrations(session, chip, until=end)]
    first = origin(base)
    step = timedelta(hours=step_hours)
    times = []
    t = max(start, first)
    while t <= end:
        times.append(t)
        t += step
    names = base.qubits
    qubits: dict[str, dict[str, list[float]]] = {
        q: {"t1_us": [], "t2_us": [], "fidelity_1q": [], "readout_fidelity": []}
        for q in names}
    couplers: dict[str, list[float]] = {f"{names[a]}-{names[b]}": [] for a, b in base.couplers}
    timeline = seed(settings)
    for t in times:
        cal = drift.in_force(ends, t, first)
        dev = drift.calibration_at(base, seed=timeline, calibrated_at=cal, at=t)
        for q, c in zip(names, dev.qubit_calibration, strict=True):
            qubits[q]["t1_us"].append(c.t1_us)
            qubits[q]["t2_us"].append(c.t2_us)
            qubits[q]["fidelity_1q"].append(c.fidelity_1q)
            qubits[q]["readout_fidelity"].append(c.readout_fidelity)
        for a, b in base.couplers:
            couplers[f"{names[a]}-{names[b]}"].append(dev.coupler_fidelity(a, b))
    return Series(times, qubits, couplers, [e for e in ends if e >= start])


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# ----- the scheduler's view ------------------------------------------------------------

class Timelines:
    """What the scheduler needs of the timelines: the recalibrations' start and end
    (`tick`, at most once a second) and, for each job it hands out, the point it runs
    at (the snapshot in force and the faults, read once a second, and the moment)."""

    def __init__(self, db: Any, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self._checked = 0.0
        self._stale = False
        self._swept = -1e9
        self._state: dict[str, tuple[datetime, tuple, tuple]] = {}

    def refresh(self, force: bool = False) -> bool:
        """Tick and reload when a second has passed; whether a status changed."""
        import time

        if not enabled(self.settings) and not getattr(self.settings, "retention_days", None):
            return False
        if not force and time.monotonic() - self._checked < 1.0:
            return False
        self._checked = time.monotonic()
        with self.db.writing(), self.db.transaction() as session:  # rare, short writes
            days = getattr(self.settings, "retention_days", None)
            if days and time.monotonic() - self._swept > min(60.0, days * 86400 / 4):
                from .jobdata import sweep_retention  # retention (issue 18)

                sweep_retention(session, days)
                self._swept = time.monotonic()
            changed = tick(session, self.settings)
            now = utcnow()
            self._state = {}
            for chip in drifting_chips() if enabled(self.settings) else []:
                qubits, couplers = faults(session, chip)
                self._state[chip] = (in_force_since(session, chip, now), tuple(qubits),
                                     tuple(couplers))
        return changed

    def invalidate(self) -> None:
        """Reload before the next job is handed out (faults or a recalibration changed)."""
        self._stale = True

    def point_for(self, backend: str, pin: dict[str, Any] | None) -> dict[str, Any] | None:
        """The calibration point of a job about to run: its pin (a replay), else the
        chip's snapshot in force now and the moment; None for a backend that does not
        drift."""
        if pin:
            return pin
        if self._stale:
            self._stale = False
            self.refresh(force=True)
        state = self._state.get(backend)
        if state is None and backend.endswith("-sim"):
            twin = backend.removesuffix("-sim")
            state = self._state.get(twin) if timeline_of(backend) == twin else None
        if state is None:
            return None
        since, qubits, couplers = state
        return CalibrationPoint(seed(self.settings), since, utcnow(), qubits,
                                couplers).to_dict()
