"""Devices, targets and calibrations as quafu-sdk reads them.

Targets: each chip by its name (`ScQ-P10`...), `<chip>-sim` (the chip's calibrated noisy
emulator: Kuafu's backend of that name, `kuafu.backends.SimTwin`, with the chip's device
but a queue and status of its own, so it runs while the chip is in maintenance) and `sim`
(Kuafu's ideal simulator). Calibrations are QUAFU's schema (times in µs with the unit in
the field name, fidelities as 0..1 fractions), kept in `calibration_snapshots` under the
id results carry, so a past run's calibration stays readable after the chip is
recalibrated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..core.config import Settings
from ..models import CalibrationSnapshot
from ..services import calibration, catalog, execution
from .errors import SdkError, unknown_device

SIM_TARGET = "sim"
SIM_SUFFIX = "-sim"
IDEAL_BACKEND = "simulator"


@dataclass(frozen=True)
class Target:
    """What a target name means: the Kuafu backend that runs it, and the chip behind it."""

    name: str
    backend: str
    chip: str | None  # None for the ideal simulator

    @property
    def kind(self) -> str:
        return "real" if self.chip is not None and self.name == self.chip else "sim"


def chips() -> list[str]:
    """The backends that are chips (have a device description), less `<chip>-sim` twins."""
    names = execution.backend_names()
    return [n for n in names if _device(n) is not None and not _is_twin(n, names)]


def _is_twin(name: str, names: list[str]) -> bool:
    return name.endswith(SIM_SUFFIX) and name.removesuffix(SIM_SUFFIX) in names


def has_twin(chip: str) -> bool:
    """Whether the chip's `<chip>-sim` backend exists."""
    return chip + SIM_SUFFIX in execution.backend_names()


def _device(name: str) -> Any:
    try:
        return execution.device_of(name)
    except Exception:  # a broken plug-in is left out, as catalog.list_backends does
        return None


def target_names() -> list[str]:
    names = chips()
    return [*names, *(n + SIM_SUFFIX for n in names if has_twin(n)), SIM_TARGET]


def resolve(name: Any) -> Target:
    """The target called `name`.

    Raises:
        SdkError: 400 `unknown_device`, naming the targets there are.
    """
    if isinstance(name, str):
        known = chips()
        if name in known:
            return Target(name, name, name)
        chip = name.removesuffix(SIM_SUFFIX)
        if chip != name and chip in known and has_twin(chip):
            return Target(name, name, chip)
        if name == SIM_TARGET and IDEAL_BACKEND in execution.backend_names():
            return Target(name, IDEAL_BACKEND, None)
    raise unknown_device(str(name), target_names())


def stored(name: str, backend: str) -> Target:
    """A group's target as stored (not looked up: its backend may be gone since)."""
    return Target(name, backend,
                  None if backend == IDEAL_BACKEND else name.removesuffix(SIM_SUFFIX))


def limits(settings: Settings, target: Target) -> dict[str, Any]:
    """The target's resource limits, as `/backends/<target>/metadata` gives them."""
    backend = execution.get_backend(target.backend)
    return {"max_qubits": backend.num_qubits or execution.DEFAULT_MAX_QUBITS,
            "qubit_count": "declared", "min_shots": 1, "max_shots": settings.max_shots,
            "shots_step": 1, "max_tasks_per_job": settings.max_batch,
            "max_qasm_bytes": settings.max_qasm_bytes, "wall_s": settings.max_run_seconds,
            "max_depth": None}


def listing(session: Session, settings: Settings) -> dict[str, Any]:
    """`GET /devices`: the ideal simulator and each chip (with its `-sim` twin)."""
    summaries = {s.name: s for s in catalog.list_backends(session)}
    sim = resolve(SIM_TARGET) if IDEAL_BACKEND in summaries else None
    out: dict[str, Any] = {"devices": []}
    if sim is not None:
        out["simulator"] = {"name": SIM_TARGET, "status": summaries[IDEAL_BACKEND].status,
                            "max_qubits": limits(settings, sim)["max_qubits"],
                            "limits": limits(settings, sim)}
    for name in chips():
        if name not in summaries:
            continue
        out["devices"].append(device_row(session, settings, resolve(name),
                                         summaries[name]))
    return out


def device_row(session: Session, settings: Settings, target: Target,
               summary: Any = None) -> dict[str, Any]:
    """One device as `GET /devices/<name>` gives it."""
    if summary is None:
        summary = next(s for s in catalog.list_backends(session) if s.name == target.backend)
    device = _device(target.backend)
    row: dict[str, Any] = {
        "name": target.name, "kind": target.kind, "backend": target.backend,
        "status": summary.status, "status_reason": summary.status_reason,
        "status_until": (summary.status_until.isoformat()
                         if summary.status_until is not None else None),
        "n_qubits": summary.qubits, "queue": summary.queue_length,
        "basis_gates": summary.native_gates or None,
        "limits": limits(settings, target),
        "calibration_id": None, "calibration_source": None, "calibrated_at": None}
    if device is not None:
        snapshot = in_force(session, settings, device)
        twin = has_twin(target.chip) if target.chip is not None else False
        row.update(simulator_available=twin,
                   sim_limits=limits(settings, resolve(target.chip + SIM_SUFFIX))
                   if twin else None,
                   calibration_id=snapshot["id"], calibrated_at=snapshot["time"],
                   calibration_source="kuafu-emulator",
                   coupling_map=[list(pair) for pair in device.couplers])
    return row


def metadata(session: Session, settings: Settings, target: Target) -> dict[str, Any]:
    """`GET /backends/<target>/metadata`: what quafu-sdk's Qiskit backend builds its
    Target from (n_qubits, basis_gates, coupling_map both ways), and the limits."""
    device = _device(target.backend)
    status = catalog.backend_status(session, target.backend)
    out: dict[str, Any] = {"name": target.name, "status": status,
                           "simulator": target.kind == "sim",
                           "noise": "none" if target.chip is None else "calibrated",
                           "device": target.chip or SIM_TARGET,
                           "limits": limits(settings, target)}
    if device is None:
        out.update(n_qubits=limits(settings, target)["max_qubits"], basis_gates=None,
                   coupling_map=[])
    else:
        pairs = [list(p) for p in device.couplers]
        out.update(n_qubits=len(device.qubits),
                   basis_gates=sorted(g for g in device.native_gates
                                      if g not in ("barrier", "delay")),
                   coupling_map=pairs + [[b, a] for a, b in pairs],
                   calibration_id=in_force(session, settings, device)["id"])
    return out


def in_force(session: Session, settings: Settings | None, device: Any) -> dict[str, Any]:
    """Id, time and device of the calibration in force on a chip now: its drifting
    timeline's snapshot (`services.calibration`), else its data file's calibration."""
    if settings is not None and calibration.enabled(settings):
        base = calibration.base_device(device.name)
        if base is not None:
            snap = calibration.snapshot_in_force(session, settings, device.name)
            return {"id": snap.id, "time": snap.calibrated_at.isoformat(),
                    "device": snap.device}
    return {**execution.calibration_snapshot(device), "device": device}


def calibration_payload(device: Any, snapshot: dict[str, Any] | None = None,
                        ) -> dict[str, Any]:
    """A chip's calibration in QUAFU's schema: `snapshot` (`in_force`'s answer) or the
    device's own."""
    if snapshot is not None:
        device = snapshot["device"]
    else:
        snapshot = execution.calibration_snapshot(device)
    cz_ns = device.durations_ns.get("cz")
    coordinates = list(getattr(device, "coordinates", None) or [])
    if coordinates:
        rows = max(r for r, _c in coordinates) + 1
        cols = max(c for _r, c in coordinates) + 1
    else:
        rows, cols = 1, len(device.qubits)
    qubits = []
    for index, (name, cal) in enumerate(zip(device.qubits, device.qubit_calibration,
                                            strict=True)):
        item = {"index": index, "name": name, "t1_us": cal.t1_us, "t2_us": cal.t2_us,
                "fidelity_1q": cal.fidelity_1q, "readout_fidelity": cal.readout_fidelity,
                "readout_p00": cal.readout_p00, "readout_p11": cal.readout_p11}
        if coordinates:
            item["row"], item["col"] = coordinates[index]
        qubits.append(item)
    couplers = [{"qubits": [a, b], "names": [device.qubits[a], device.qubits[b]],
                 "cz_fidelity": device.coupler_calibration[(a, b)].fidelity_2q,
                 "cz_duration_ns": cz_ns} for a, b in device.couplers]
    return {"id": snapshot["id"], "chip": device.name, "calibrated_at": snapshot["time"],
            "source": "kuafu-emulator", "basis_gates": sorted(device.native_gates),
            "grid": {"rows": rows, "cols": cols}, "qubits": qubits, "couplers": couplers,
            "durations_ns": dict(device.durations_ns), "measured": None}


def current_calibration(session: Session, target: Target,
                        settings: Settings | None = None) -> dict[str, Any]:
    """The calibration the target's chip holds now, recorded under its id.

    Raises:
        SdkError: 404 `no_calibration` for the ideal simulator.
    """
    device = _device(target.backend) if target.chip is not None else None
    if device is None:
        raise SdkError(404, "no_calibration",
                       f"{target.name} is an ideal simulator: it has no calibration")
    payload = calibration_payload(device, in_force(session, settings, device))
    record(session, payload)
    return payload


def record(session: Session, payload: dict[str, Any]) -> None:
    """Keep a calibration snapshot under its id (once; ids are digests of the data)."""
    if session.get(CalibrationSnapshot, payload["id"]) is not None:
        return
    from datetime import datetime

    when = payload.get("calibrated_at")
    try:
        with session.begin_nested():
            session.add(CalibrationSnapshot(
                id=payload["id"], chip=payload["chip"], data=payload,
                calibrated_at=datetime.fromisoformat(when.replace("Z", "+00:00"))
                if when else None))
    except IntegrityError:  # another request recorded it meanwhile
        pass


def record_chip(session: Session, chip: str, settings: Settings | None = None) -> None:
    device = _device(chip)
    if device is not None:
        record(session, calibration_payload(device, in_force(session, settings, device)))


def by_id(session: Session, calibration_id: str,
          settings: Settings | None = None) -> dict[str, Any]:
    """The calibration snapshot with this id: as recorded, else a chip's current one.

    Raises:
        SdkError: 404 `unknown_calibration`.
    """
    if len(calibration_id) <= 100:
        row = session.get(CalibrationSnapshot, calibration_id)
        if row is not None and row.source is None:
            return row.data
    if settings is not None:  # a drifting chip's snapshot (issue 18)
        from ..errors import NotFound

        try:
            snap = calibration.snapshot_by_id(session, settings, calibration_id)
        except NotFound:
            pass
        else:
            chip = calibration.chip_device(snap["chip"])
            from ...backends.timeline import drift

            published = drift.snapshot(chip, seed=snap["seed"],
                                       calibrated_at=snap["calibrated_at"])
            return calibration_payload(chip, {"id": published.id,
                                              "time": published.calibrated_at.isoformat(),
                                              "device": published.device})
    for name in chips():
        device = _device(name)
        if execution.calibration_snapshot(device)["id"] == calibration_id:
            payload = calibration_payload(device)
            record(session, payload)
            return payload
    raise SdkError(404, "unknown_calibration", f"no calibration {calibration_id!r}")
