"""Running on a drifting chip: a job at a point of its chip's calibration timeline.

A `CalibrationPoint` says which calibration was in force (the drift seed and when the
last recalibration finished), the moment of the run, and what the operator had marked
unusable. `run_at` compiles for that published snapshot (with the unusable parts
avoided) and simulates with the noise of the moment (`kuafu.devices.drift`). The server's
workers and a local replay (`kuafu jobs replay --from-archive`) both call it, so the same
point, circuit, options and seed give the same counts, bit for bit.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..circuit import QuantumCircuit
from ..devices import Device, drift
from .base import BackendResult
from .emulator import EmulatedBackend

__all__ = ["CalibrationPoint", "Device", "drift", "published", "run_at", "software_versions"]


@dataclass(frozen=True)
class CalibrationPoint:
    """Where on its chip's timeline a run happens.

    Attributes:
        seed: the timeline's drift seed.
        calibrated_at: when the calibration in force finished (UTC).
        at: the moment of the run (its noise is the calibration drifted until then).
        unusable_qubits: qubit names an operator marked unusable.
        unusable_couplers: couplers (pairs of qubit names) marked unusable.
    """

    seed: int
    calibrated_at: datetime
    at: datetime
    unusable_qubits: tuple[str, ...] = ()
    unusable_couplers: tuple[tuple[str, str], ...] = field(default=())

    def snapshot_id(self, chip: str) -> str:
        return drift.snapshot_id(chip, self.calibrated_at, self.seed)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (kept with each result, and in an export archive)."""
        return {"seed": self.seed, "calibrated_at": _iso(self.calibrated_at),
                "at": _iso(self.at), "unusable_qubits": list(self.unusable_qubits),
                "unusable_couplers": [list(c) for c in self.unusable_couplers]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CalibrationPoint:
        """Inverse of `to_dict`.

        Raises:
            ValueError: a field missing or malformed.
        """
        try:
            return cls(int(data["seed"]), _parse(data["calibrated_at"]), _parse(data["at"]),
                       tuple(str(q) for q in data.get("unusable_qubits") or ()),
                       tuple((str(a), str(b)) for a, b in data.get("unusable_couplers") or ()))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"bad calibration point: {exc}") from None


def published(base: Device, point: CalibrationPoint) -> drift.Snapshot:
    """The snapshot in force at `point`, with the operator's unusable marks."""
    snap = drift.snapshot(base, seed=point.seed, calibrated_at=point.calibrated_at)
    if point.unusable_qubits or point.unusable_couplers:
        device = snap.device.with_unusable(point.unusable_qubits, point.unusable_couplers)
        snap = dataclasses.replace(snap, device=device)
    return snap


def run_at(backend: EmulatedBackend, circuit: QuantumCircuit, shots: int, *,
           point: CalibrationPoint, compile: bool = True, seed: int | None = None,
           optimization_level: int = 1) -> BackendResult:
    """Run on `backend`'s chip as it was at `point`; the result's metadata names the
    snapshot (`calibration`: id, time, the moment of the noise, seed, unusable parts).
    A chip's `-sim` twin runs on its chip's timeline.
    """
    from .sim_twin import SimTwin

    if isinstance(backend, SimTwin):
        out = run_at(backend.emulator, circuit, shots, point=point, compile=compile,
                     seed=seed, optimization_level=optimization_level)
        return dataclasses.replace(out, backend=backend.name)
    base = backend.device
    options = (backend.noisy, backend.twirl_cliffords, backend.max_seconds,
               backend.max_memory_bytes, backend.max_bond_dimension,
               backend.wide_trajectories)
    key = (base.name, point.snapshot_id(base.name), point.unusable_qubits,
           point.unusable_couplers, options)
    runner = _BACKENDS.get(key)
    if runner is None:
        runner = _new_backend(published(base, point).device, *options)
        _BACKENDS[key] = runner
        while len(_BACKENDS) > 32:
            _BACKENDS.pop(next(iter(_BACKENDS)))
    snap = published(base, point)
    moment = drift.calibration_at(base, seed=point.seed, calibrated_at=point.calibrated_at,
                                  at=point.at)
    out = runner.run(circuit, shots, compile=compile, seed=seed,
                     optimization_level=optimization_level, noise_device=moment)
    return dataclasses.replace(
        out, calibration_id=snap.id, calibrated_at=snap.calibrated_at,
        calibration_point={"noise_at": _iso(max(drift._floor(point.at),
                                                drift._second(point.calibrated_at))),
                           **point.to_dict()})


_BACKENDS: dict[tuple, EmulatedBackend] = {}
"""One emulator per published snapshot and marks (its compiled-circuit cache is per
snapshot: the compiler's layout reads the calibration)."""


def _new_backend(device: Device, *options: Any) -> EmulatedBackend:
    noisy, twirl, max_seconds, memory, bond, wide = options
    return EmulatedBackend(device, noisy=noisy, twirl_cliffords=twirl, max_seconds=max_seconds,
                           max_memory_bytes=memory, max_bond_dimension=bond,
                           wide_trajectories=wide)


@functools.cache
def software_versions() -> dict[str, str]:
    """Versions of Kuafu and of the libraries a run's counts depend on (a replay compares
    them); "-" for one that is not installed."""
    from importlib import metadata

    from .. import __version__

    out = {"kuafu": __version__}
    for name in ("numpy", "numba", "stim", "scipy"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "-"
    return out


def _iso(moment: datetime) -> str:
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.isoformat().replace("+00:00", "Z")


def _parse(text: str) -> datetime:
    moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
