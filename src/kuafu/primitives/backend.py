"""What the primitives need from a backend.

The primitives sit below `kuafu.backends` and `kuafu.client` in the layers, so they do not
import them: a backend is anything with

    run(circuit, shots, *, seed=..., compile=...) -> object with `.counts`

(every `kuafu.backends.Backend` qualifies). When the object also has `run_batch(circuits,
shots, *, seed, compile)` the primitives hand it all circuits at once;
`kuafu.client.backend.RemoteBackend` does that with ONE request to a server, so a
parameter sweep or the measurement settings of an observable cost one HTTP round trip.

The physical qubit each circuit qubit was measured on is read from the result's
`final_mapping` (a local `BackendResult` and the remote backend's outcomes carry it);
readout mitigation needs it to pick the right qubit's calibration.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..circuit import QuantumCircuit


@runtime_checkable
class CountsBackend(Protocol):
    """Anything that runs a circuit and returns an object with `counts`."""

    def run(self, circuit: QuantumCircuit, shots: int = ..., **options: Any) -> Any:
        """Run `circuit` for `shots`; the answer has `.counts`."""
        ...


@dataclass(frozen=True)
class Outcome:
    """Counts of one circuit and the physical qubit each circuit qubit ended on."""

    counts: Mapping[str, int]
    final_mapping: Mapping[int, int] = field(default_factory=dict)

    @property
    def shots(self) -> int:
        return sum(self.counts.values())


def outcome_of(result: Any) -> Outcome:
    """Normalise a backend's result (`counts` and `final_mapping` attributes, the latter
    optional) or a plain counts mapping."""
    if isinstance(result, Outcome):
        return result
    if isinstance(result, Mapping):
        return Outcome(dict(result))
    mapping = getattr(result, "final_mapping", None)
    return Outcome(dict(result.counts), {int(k): int(v) for k, v in (mapping or {}).items()})


def run_circuits(backend: CountsBackend, circuits: Sequence[QuantumCircuit], shots: int, *,
                 seed: int | None = None, compile: bool = True) -> list[Outcome]:
    """Run every circuit; through `backend.run_batch` (one request) when it has one.

    Each circuit gets its own seed drawn from `seed`, so equal circuits do not share
    their shot noise and the whole batch is reproducible.
    """
    if not circuits:
        return []
    if hasattr(backend, "run_batch"):
        return [outcome_of(r) for r in backend.run_batch(list(circuits), shots, seed=seed,
                                                          compile=compile)]
    seeds = np.random.SeedSequence(seed).generate_state(len(circuits), np.uint32)
    return [outcome_of(backend.run(c, shots, seed=int(s), compile=compile))
            for c, s in zip(circuits, seeds, strict=True)]


def backend_width(backend: Any) -> int | None:
    """How many physical qubits the backend has (None: no fixed chip)."""
    getter = getattr(backend, "num_qubits", None)
    return int(getter) if isinstance(getter, int) else None


def calibrated_readout(backend: Any) -> dict[int, tuple[float, float]] | None:
    """Per physical qubit (p(1|0), p(0|1)) from the backend's calibration, if it has one."""
    if hasattr(backend, "readout_errors"):
        return backend.readout_errors()
    device = getattr(backend, "device", None)
    if device is None or not hasattr(device, "qubit_calibration"):
        return None
    return {i: (1 - c.readout_p00, 1 - c.readout_p11)
            for i, c in enumerate(device.qubit_calibration)}
