"""`Device`: a chip described as data (topology, native gates, durations, calibration).

A device is parsed from a plain mapping (the JSON of a data file) by `Device.from_dict`,
which does no I/O; `kuafu.devices.get` finds the built-in data files. Qubits are named
`Q1..Qn` in the data and indexed 0..n-1 in code (index i is `qubits[i]`).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from types import MappingProxyType
from typing import Any

import numpy as np

SCHEMA = "kuafu.device/1"

NATIVE_GATES: tuple[str, ...] = (
    "cx", "cz", "rx", "ry", "rz", "x", "y", "z", "h", "sx", "sy", "id", "delay", "barrier",
)
"""The gates the Quafu chips accept; CZ is the physical two-qubit interaction."""


class DeviceStatus(StrEnum):
    """Whether a device takes jobs."""

    ONLINE = "online"
    MAINTENANCE = "maintenance"
    OFFLINE = "offline"


@dataclass(frozen=True)
class QubitCalibration:
    """Calibration of one qubit.

    Attributes:
        t1_us: energy relaxation time in microseconds.
        t2_us: dephasing time (echo) in microseconds; at most 2*T1.
        fidelity_1q: average gate fidelity of a single-qubit gate (a pi/2 pulse).
        readout_p00: probability of reading 0 when the qubit is in |0>.
        readout_p11: probability of reading 1 when the qubit is in |1>.
    """

    t1_us: float
    t2_us: float
    fidelity_1q: float
    readout_p00: float
    readout_p11: float

    def __post_init__(self) -> None:
        if not (self.t1_us > 0 and 0 < self.t2_us <= 2 * self.t1_us + 1e-9):
            raise ValueError(f"need 0 < T2 <= 2 T1, got T1={self.t1_us}, T2={self.t2_us}")
        for name in ("fidelity_1q", "readout_p00", "readout_p11"):
            if not 0.5 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be a probability in [0.5, 1]")

    @property
    def readout_fidelity(self) -> float:
        """Average assignment fidelity (p(0|0) + p(1|1)) / 2."""
        return (self.readout_p00 + self.readout_p11) / 2


@dataclass(frozen=True)
class CouplerCalibration:
    """Calibration of one coupler: the average gate fidelity of its CZ."""

    fidelity_2q: float

    def __post_init__(self) -> None:
        if not 0.25 <= self.fidelity_2q <= 1:
            raise ValueError(f"fidelity_2q must be in [0.25, 1], got {self.fidelity_2q}")


@dataclass(frozen=True, eq=False)
class Device:
    """A superconducting chip: what it can run and how well.

    Attributes:
        name: the chip name used by backends and users (`ScQ-P18`).
        qubits: qubit names; index i in circuits is `qubits[i]`.
        couplers: undirected pairs of qubit indices (smaller first), sorted.
        native_gates: gate names the chip accepts without compilation.
        durations_ns: duration of each operation in ns (`measure`, `cz`, `rx`, ...).
        qubit_calibration: per qubit, in index order.
        coupler_calibration: per coupler (the pairs of `couplers`).
        status: online, maintenance or offline.
        calibrated_at: when the calibration was taken (UTC).
        description: free text for people.
        coordinates: optional (row, column) of each qubit, for drawing the lattice.
        unusable_qubits: qubit indices an operator marked unusable (the compiler
            places nothing on them).
        unusable_couplers: couplers an operator marked unusable (no CZ on them).
    """

    name: str
    qubits: tuple[str, ...]
    couplers: tuple[tuple[int, int], ...]
    native_gates: frozenset[str]
    durations_ns: Mapping[str, float]
    qubit_calibration: tuple[QubitCalibration, ...]
    coupler_calibration: Mapping[tuple[int, int], CouplerCalibration]
    status: DeviceStatus = DeviceStatus.ONLINE
    calibrated_at: datetime | None = None
    description: str = ""
    coordinates: tuple[tuple[int, int], ...] | None = field(default=None, repr=False)
    unusable_qubits: frozenset[int] = frozenset()
    unusable_couplers: frozenset[tuple[int, int]] = frozenset()

    def __post_init__(self) -> None:
        n = len(self.qubits)
        if any(not 0 <= q < n for q in self.unusable_qubits):
            raise ValueError(f"{self.name}: unusable qubit out of range")
        if not set(self.unusable_couplers) <= set(self.couplers):
            raise ValueError(f"{self.name}: unusable coupler that the chip lacks")
        if len(set(self.qubits)) != n:
            raise ValueError(f"{self.name}: duplicate qubit names")
        if len(self.qubit_calibration) != n:
            raise ValueError(f"{self.name}: calibration for {len(self.qubit_calibration)} "
                             f"of {n} qubits")
        for a, b in self.couplers:
            if not (0 <= a < b < n):
                raise ValueError(f"{self.name}: bad coupler ({a}, {b})")
            if (a, b) not in self.coupler_calibration:
                raise ValueError(f"{self.name}: coupler {self.qubits[a]}-{self.qubits[b]} "
                                 "has no calibration")
        if len(set(self.couplers)) != len(self.couplers):
            raise ValueError(f"{self.name}: duplicate couplers")

    # ----- structure -------------------------------------------------------------------
    @property
    def num_qubits(self) -> int:
        return len(self.qubits)

    def index(self, qubit: str | int) -> int:
        """The index of a qubit given by name (`Q3`) or index."""
        if isinstance(qubit, int | np.integer):
            if not 0 <= qubit < self.num_qubits:
                raise ValueError(f"{self.name} has no qubit index {qubit}")
            return int(qubit)
        try:
            return self._index_of[qubit]
        except KeyError:
            raise ValueError(f"{self.name} has no qubit {qubit!r}") from None

    @cached_property
    def _index_of(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.qubits)}

    @cached_property
    def _coupler_set(self) -> frozenset[tuple[int, int]]:
        return frozenset(self.couplers)

    @cached_property
    def calibration_id(self) -> str:
        """The id of this calibration: the chip's name and a digest of its calibration
        data (`ScQ-P10-0a1b2c3d4e5f`), so that the same data always has the same id.
        Results carry it (`BackendResult.calibration_id`), with `calibrated_at`."""
        digest = hashlib.sha256(repr(self.to_dict()["calibration"]).encode()).hexdigest()
        return f"{self.name}-{digest[:12]}"

    def has_coupler(self, a: int, b: int) -> bool:
        """Whether qubits `a` and `b` (indices, either order) share a coupler."""
        return (min(a, b), max(a, b)) in self._coupler_set

    @cached_property
    def neighbors(self) -> tuple[tuple[int, ...], ...]:
        """For each qubit, the indices coupled to it."""
        adj: list[list[int]] = [[] for _ in self.qubits]
        for a, b in self.couplers:
            adj[a].append(b)
            adj[b].append(a)
        return tuple(tuple(sorted(x)) for x in adj)

    @property
    def coupling_map(self) -> list[list[int]]:
        """Both directions of every coupler, as Qiskit's `CouplingMap` takes it."""
        return [[a, b] for a, b in self.couplers] + [[b, a] for a, b in self.couplers]

    @cached_property
    def distance(self) -> np.ndarray:
        """Shortest-path lengths (in couplers) between all qubit pairs; -1 when unreachable."""
        n = self.num_qubits
        dist = np.full((n, n), -1, dtype=np.int64)
        for s in range(n):
            dist[s, s] = 0
            frontier = [s]
            while frontier:
                nxt = []
                for u in frontier:
                    for v in self.neighbors[u]:
                        if dist[s, v] < 0:
                            dist[s, v] = dist[s, u] + 1
                            nxt.append(v)
                frontier = nxt
        dist.setflags(write=False)
        return dist

    @property
    def has_unusable(self) -> bool:
        """Whether an operator marked any qubit or coupler unusable."""
        return bool(self.unusable_qubits or self.unusable_couplers)

    def with_unusable(self, qubits: Iterable[int | str] = (),
                      couplers: Iterable[tuple[int | str, int | str]] = ()) -> Device:
        """This chip with these qubits and couplers marked unusable (replacing any
        earlier marks).

        Raises:
            ValueError: an unknown qubit or a pair without a coupler.
        """
        qs = frozenset(self.index(q) for q in qubits)
        cs = set()
        for a, b in couplers:
            i, j = sorted((self.index(a), self.index(b)))
            if not self.has_coupler(i, j):
                raise ValueError(f"{self.name} has no coupler "
                                 f"{self.qubits[i]}-{self.qubits[j]}")
            cs.add((i, j))
        return replace(self, unusable_qubits=qs, unusable_couplers=frozenset(cs))

    def usable_part(self) -> tuple[Device, tuple[int, ...]]:
        """The chip without its unusable qubits and couplers, renumbered, and the
        physical index of each of its qubits: the compiler works on it."""
        keep = tuple(q for q in range(self.num_qubits) if q not in self.unusable_qubits)
        new = {q: i for i, q in enumerate(keep)}
        pairs = tuple((new[a], new[b]) for a, b in self.couplers
                      if a in new and b in new and (a, b) not in self.unusable_couplers)
        part = replace(
            self, qubits=tuple(self.qubits[q] for q in keep), couplers=pairs,
            qubit_calibration=tuple(self.qubit_calibration[q] for q in keep),
            coupler_calibration=MappingProxyType({
                (new[a], new[b]): c for (a, b), c in self.coupler_calibration.items()
                if (new.get(a), new.get(b)) in set(pairs)}),
            coordinates=(tuple(self.coordinates[q] for q in keep)
                         if self.coordinates is not None else None),
            unusable_qubits=frozenset(), unusable_couplers=frozenset())
        return part, keep

    # ----- calibration -----------------------------------------------------------------
    def coupler_fidelity(self, a: int, b: int) -> float:
        """The calibrated CZ fidelity of the coupler between `a` and `b`."""
        key = (min(a, b), max(a, b))
        try:
            return self.coupler_calibration[key].fidelity_2q
        except KeyError:
            raise ValueError(f"{self.name} has no coupler {self.qubits[a]}-{self.qubits[b]}"
                             ) from None

    def duration(self, gate: str) -> float:
        """Duration of `gate` in ns (0 for virtual gates such as `rz`)."""
        if gate in self.durations_ns:
            return float(self.durations_ns[gate])
        if gate in ("barrier", "id"):
            return 0.0
        raise ValueError(f"{self.name} lists no duration for {gate!r}")

    def averages(self) -> dict[str, float]:
        """Average calibrated figures: 1q, 2q and readout fidelity, T1 and T2 (us)."""
        cal = self.qubit_calibration
        twoq = [c.fidelity_2q for c in self.coupler_calibration.values()]
        return {
            "fidelity_1q": float(np.mean([c.fidelity_1q for c in cal])),
            "fidelity_2q": float(np.mean(twoq)) if twoq else math.nan,
            "readout_fidelity": float(np.mean([c.readout_fidelity for c in cal])),
            "t1_us": float(np.mean([c.t1_us for c in cal])),
            "t2_us": float(np.mean([c.t2_us for c in cal])),
        }

    # ----- (de)serialisation -----------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Device:
        """Parse the JSON form of a device (see `docs/devices.md`).

        Raises:
            ValueError: when a field is missing or inconsistent (named in the message).
        """
        try:
            return _parse(data)
        except KeyError as exc:
            raise ValueError(f"device data lacks field {exc.args[0]!r}") from None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of this device (inverse of `from_dict`)."""
        names = self.qubits
        out: dict[str, Any] = {
            "schema": SCHEMA,
            "name": self.name,
            "description": self.description,
            "status": str(self.status),
            "calibrated_at": (self.calibrated_at.isoformat().replace("+00:00", "Z")
                              if self.calibrated_at else None),
            "qubits": list(names),
            "couplers": [[names[a], names[b]] for a, b in self.couplers],
            "native_gates": sorted(self.native_gates),
            "durations_ns": dict(self.durations_ns),
            "calibration": {
                "qubits": {
                    names[i]: {
                        "t1_us": c.t1_us, "t2_us": c.t2_us, "fidelity_1q": c.fidelity_1q,
                        "readout_p00": c.readout_p00, "readout_p11": c.readout_p11,
                    }
                    for i, c in enumerate(self.qubit_calibration)
                },
                "couplers": [
                    {"qubits": [names[a], names[b]],
                     "fidelity_2q": self.coupler_calibration[(a, b)].fidelity_2q}
                    for a, b in self.couplers
                ],
            },
        }
        if self.coordinates is not None:
            out["coordinates"] = {names[i]: list(rc) for i, rc in enumerate(self.coordinates)}
        if self.has_unusable:
            out["unusable"] = {
                "qubits": [names[q] for q in sorted(self.unusable_qubits)],
                "couplers": [[names[a], names[b]] for a, b in sorted(self.unusable_couplers)]}
        return out

    def __repr__(self) -> str:
        return (f"<Device {self.name}: {self.num_qubits} qubits, {len(self.couplers)} "
                f"couplers, {self.status}>")


def _parse(data: Mapping[str, Any]) -> Device:
    schema = data.get("schema", SCHEMA)
    if schema != SCHEMA:
        raise ValueError(f"unsupported device schema {schema!r} (expected {SCHEMA})")
    name = str(data["name"])
    qubits = tuple(str(q) for q in data["qubits"])
    index = {q: i for i, q in enumerate(qubits)}

    def idx(q: str) -> int:
        if q not in index:
            raise ValueError(f"{name}: unknown qubit {q!r}")
        return index[q]

    cal = data["calibration"]
    qcal = tuple(QubitCalibration(**{k: float(v) for k, v in cal["qubits"][q].items()})
                 for q in qubits)
    ccal: dict[tuple[int, int], CouplerCalibration] = {}
    for entry in cal["couplers"]:
        a, b = sorted(idx(q) for q in entry["qubits"])
        ccal[(a, b)] = CouplerCalibration(float(entry["fidelity_2q"]))
    couplers = tuple(sorted(tuple(sorted((idx(a), idx(b)))) for a, b in data["couplers"]))
    stamp = data.get("calibrated_at")
    coords = data.get("coordinates")
    unusable = data.get("unusable") or {}
    bad_q = frozenset(idx(q) for q in unusable.get("qubits", ()))
    bad_c = frozenset(tuple(sorted((idx(a), idx(b)))) for a, b in unusable.get("couplers", ()))
    return Device(
        name=name,
        qubits=qubits,
        couplers=couplers,  # type: ignore[arg-type]
        native_gates=frozenset(data["native_gates"]),
        durations_ns=MappingProxyType({k: float(v) for k, v in data["durations_ns"].items()}),
        qubit_calibration=qcal,
        coupler_calibration=MappingProxyType(ccal),
        status=DeviceStatus(data.get("status", "online")),
        calibrated_at=datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else None,
        description=str(data.get("description", "")),
        coordinates=(tuple(tuple(coords[q]) for q in qubits) if coords else None),
        unusable_qubits=bad_q,
        unusable_couplers=bad_c,  # type: ignore[arg-type]
    )
