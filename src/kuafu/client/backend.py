"""`RemoteBackend`: a chip behind a Kuafu server, as `kuafu.primitives` see a backend.

The primitives (`Estimator`, `Sampler`) take anything with `run(circuit, shots, ...)`
returning an object with `counts` (and `final_mapping`), and use `run_batch` when it is
there. This adapter gives them a server's chip: `run_batch` sends every circuit of a run
in ONE `Client.submit_batch` request, so a parameter sweep or the measurement settings
of an observable cost one HTTP round trip, not one each. It lives on the client side
because it talks HTTP and reads the server's wire format; the core does no I/O.

    import kuafu
    from kuafu.client.backend import RemoteBackend
    from kuafu.primitives import Estimator

    backend = RemoteBackend(kuafu.Client(), "ScQ-P10")
    Estimator(backend, readout_mitigation="calibration").run(circuit, "ZZ").value
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..circuit import QuantumCircuit


@dataclass(frozen=True)
class RemoteOutcome:
    """Counts of one job and the physical qubit each circuit qubit was measured on."""

    counts: Mapping[str, int]
    final_mapping: Mapping[int, int] = field(default_factory=dict)


class RemoteBackend:
    """A chip behind a Kuafu server, as the primitives see it.

    Args:
        client: a `kuafu.Client` (anything with `submit_batch` and `backend`).
        name: the backend's name on the server (`ScQ-P10`).
        timeout: seconds to wait for a batch to finish.

    A batch carries one seed for all its jobs; with `seed=None` (the default) every job
    draws its own, so the shot noise of different settings is independent.
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
            compile: bool = True, **_: Any) -> RemoteOutcome:
        """One circuit as a one-job batch."""
        return self.run_batch([circuit], shots, seed=seed, compile=compile)[0]

    def run_batch(self, circuits: Sequence[QuantumCircuit], shots: int, *,
                  seed: int | None = None, compile: bool = True) -> list[RemoteOutcome]:
        """All circuits in ONE submission; waits for every job and returns their outcomes."""
        jobs = self.client.submit_batch(list(circuits), backend=self.name, shots=shots,
                                        compile=compile, seed=seed, name="primitives")
        return [_outcome(job.result(timeout=self.timeout, progress=False)) for job in jobs]

    def __repr__(self) -> str:
        return f"<RemoteBackend {self.name} at {getattr(self.client, 'url', '?')}>"


def _outcome(result: Any) -> RemoteOutcome:
    """A job's `Result` as counts and the final mapping (circuit qubit -> physical)."""
    mapping = result.final_mapping or result.initial_mapping
    return RemoteOutcome(dict(result.counts),
                         {int(k): int(v) for k, v in (mapping or {}).items()})
