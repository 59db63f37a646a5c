"""What the primitives need from a backend, and the adapter for a remote one.

The primitives sit below `kuafu.backends` and `kuafu.client` in the layers, so they do not
import them: a backend is anything with

    run(circuit, shots, *, seed=..., compile=...) -> object with `.counts`

(every `kuafu.backends.Backend` qualifies). When the object also has `run_batch(circuits,
shots, *, seed, compile)` the primitives hand it all circuits at once; `RemoteBackend`
does that with ONE `Client.submit_batch` request, so a parameter sweep or the measurement
settings of an observable cost one HTTP round trip, not one each.

The physical qubit each circuit qubit was measured on is read from the result's
`final_mapping` (local `BackendResult` and remote `JobResult` both carry it); readout
mitigation needs it to pick the right qubit's calibration.
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

    def run(self, circuit: QuantumCircuit, shots: int = ..., **options: Any) -> Any: ...


@dataclass(frozen=True)
class Outcome:
    """Counts of one circuit and the physical qubit each circuit qubit ended on."""

    counts: Mapping[str, int]
    final_mapping: Mapping[int, int] = field(default_factory=dict)

    @property
    def shots(self) -> int:
        return sum(self.counts.values())


def outcome_of(result: Any) -> Outcome:
    """Normalise a local `BackendResult`, a client `Result` or a plain counts mapping."""
    if isinstance(result, Mapping):
        return Outcome(dict(result))
    counts = dict(result.counts)
    mapping = getattr(result, "final_mapping", None)
    if mapping is None and hasattr(result, "data"):  # kuafu.client.Result
        mapping = getattr(result.data, "final_mapping", None) or result.data.mapping
    return Outcome(counts, {int(k): int(v) for k, v in (mapping or {}).items()})


def run_circuits(backend: CountsBackend, circuits: Sequence[QuantumCircuit], shots: int, *,
                 seed: int | None = None, compile: bool = True) -> list[Outcome]:
    """Run every circuit; through `backend.run_batch` (one request) when it has one.

    Each circuit gets its own seed drawn from `seed`, so equal circuits do not share
    their shot noise and the whole batch is reproducible.
    """
    if not circuits:
        return []
    if hasattr(backend, "run_batch"):
        return backend.run_batch(list(circuits), shots, seed=seed, compile=compile)
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


class RemoteBackend:
    """A chip behind a Kuafu server, as the primitives see it.

    Args:
        client: a `kuafu.Client` (anything with `submit_batch` and `backend`).
        name: the backend's name on the server (`ScQ-P10`).
        timeout: seconds to wait for a batch to finish.

    A batch carries one seed for all its jobs; with `seed=None` (the default) every job
    draws its own, so the shot noise of different settings is independent.

    Example:
        >>> backend = RemoteBackend(kuafu.Client(), "ScQ-P10")
        >>> Estimator(backend).run(circuit, "ZZ").value
    """

    def __init__(self, client: Any, name: str, *, timeout: float | None = 600.0) -> None:
        self.client = client
        self.name = name
        self.timeout = timeout
        self._detail: Any = None

    @property
    def detail(self) -> Any:
        """The server's `BackendDetail` (topology and calibration), fetched once."""
        if self._detail is None:
            self._detail = self.client.backend(self.name)
        return self._detail

    @property
    def num_qubits(self) -> int:
        return int(self.detail.qubits)

    def readout_errors(self) -> dict[int, tuple[float, float]] | None:
        """Per physical qubit (p(1|0), p(0|1)) from the server's calibration data."""
        data = self.detail.calibration_data or {}
        names, qubits = data.get("qubit_names"), data.get("qubits")
        if not names or not qubits:
            return None
        return {i: (1 - qubits[n]["readout_p00"], 1 - qubits[n]["readout_p11"])
                for i, n in enumerate(names)}

    def run(self, circuit: QuantumCircuit, shots: int = 1000, *, seed: int | None = None,
            compile: bool = True, **_: Any) -> Outcome:
        """One circuit as a one-job batch."""
        return self.run_batch([circuit], shots, seed=seed, compile=compile)[0]

    def run_batch(self, circuits: Sequence[QuantumCircuit], shots: int, *,
                  seed: int | None = None, compile: bool = True) -> list[Outcome]:
        """All circuits in ONE submission; waits for every job and returns their outcomes."""
        jobs = self.client.submit_batch(list(circuits), backend=self.name, shots=shots,
                                        compile=compile, seed=seed, name="primitives")
        return [outcome_of(job.result(timeout=self.timeout, progress=False)) for job in jobs]

    def __repr__(self) -> str:
        return f"<RemoteBackend {self.name} at {getattr(self.client, 'url', '?')}>"
