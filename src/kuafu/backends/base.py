"""The backend interface: what the job server calls to run a circuit somewhere.

A backend takes a `QuantumCircuit` and a number of shots and returns a `BackendResult`:
counts over the circuit's classical bits plus what was done to get them (the compiled
circuit as OpenQASM, the qubit mapping, the simulation method, timings).

Bit order (the same everywhere in Kuafu): a count key is a string of the circuit's
classical bits with clbit 0 RIGHTMOST, as Qiskit and Quafu print them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..circuit import QuantumCircuit
from ..circuit.counts import counts_summary
from ..compiler import check_circuit
from ..devices import Device, DeviceStatus


@dataclass(frozen=True)
class BackendStatus:
    """Whether a backend takes jobs now.

    Attributes:
        name: the backend's name.
        status: online, maintenance or offline.
        message: a sentence for people (why it is not online, or what it is).
    """

    name: str
    status: DeviceStatus
    message: str = ""

    @property
    def operational(self) -> bool:
        return self.status is DeviceStatus.ONLINE


@dataclass(frozen=True)
class BackendResult:
    """The outcome of one `Backend.run`.

    Attributes:
        backend: the backend's name.
        shots: how many shots were taken.
        counts: bitstring -> number of shots; clbit 0 is the rightmost character.
        compiled_qasm: the circuit that ran, as OpenQASM 2 (None if it could not be
            written, e.g. before `kuafu.qasm` is available).
        initial_mapping: circuit qubit -> physical qubit index at the start.
        final_mapping: circuit qubit -> physical qubit index at the end (after routing).
        physical_qubits: physical qubit names, indexed like the mappings' values.
        method: the simulation method used (`statevector`, `density_matrix`,
            `trajectories`, `stabilizer`, ...).
        method_details: how the method ran (`kuafu.sim`'s details: `bond_dimension`
            and `fidelity_estimate` for mps, `parts` of a split circuit, with physical
            qubit names, `trajectories`, `estimated_seconds`).
        timings: seconds spent in `compile`, `simulate` and `total`, and the
            simulator's own phases (`prepare`, `run`, `sample`, ...: `SimResult.timings`).
        seed: the seed the run used (draw it again to reproduce the counts).
        calibration_id: the calibration the chip was compiled for and emulated with
            (`Device.calibration_id`, or a drifting chip's snapshot); None without a chip.
        calibrated_at: when that calibration was taken (UTC), if known.
        calibration_point: where on a drifting chip's calibration timeline the run was
            (`backends.timeline.run_at`: drift seed, snapshot time, the moment whose
            noise it ran with, unusable parts); None for a chip that does not drift.
        metadata: anything else (compiler statistics, noise description).

    These names are the result's names at every hop: `to_dict`, the server's stored
    result and `kuafu.schemas.JobResult` (its wire form), and `kuafu.client.Result`.
    """

    backend: str
    shots: int
    counts: Mapping[str, int]
    compiled_qasm: str | None = None
    initial_mapping: Mapping[int, int] = field(default_factory=dict)
    final_mapping: Mapping[int, int] = field(default_factory=dict)
    physical_qubits: tuple[str, ...] = ()
    method: str = ""
    method_details: Mapping[str, Any] = field(default_factory=dict)
    timings: Mapping[str, float] = field(default_factory=dict)
    seed: int | None = None
    calibration_id: str | None = None
    calibrated_at: datetime | None = None
    calibration_point: Mapping[str, Any] | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def probabilities(self) -> dict[str, float]:
        """Counts divided by shots."""
        return {k: v / self.shots for k, v in self.counts.items()}

    def __repr__(self) -> str:
        """One line: backend, shots, method and the most frequent outcomes (the compiled
        program and every count stay in the fields)."""
        return (f"<BackendResult {self.backend} shots={self.shots} method={self.method or '?'}"
                f" counts={counts_summary(self.counts)}>")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (mapping keys become strings)."""
        return {
            "backend": self.backend,
            "shots": self.shots,
            "counts": dict(self.counts),
            "compiled_qasm": self.compiled_qasm,
            "initial_mapping": {str(k): v for k, v in self.initial_mapping.items()},
            "final_mapping": {str(k): v for k, v in self.final_mapping.items()},
            "physical_qubits": list(self.physical_qubits),
            "method": self.method,
            "method_details": dict(self.method_details),
            "timings": dict(self.timings),
            "seed": self.seed,
            "calibration_id": self.calibration_id,
            "calibrated_at": (self.calibrated_at.isoformat().replace("+00:00", "Z")
                              if self.calibrated_at else None),
            "calibration_point": (dict(self.calibration_point)
                                  if self.calibration_point is not None else None),
            "metadata": dict(self.metadata),
        }


class Backend(ABC):
    """Something that runs circuits: an emulated chip, an ideal simulator, a real device.

    Subclasses set `name` and implement `run`; those tied to a chip expose it as `device`
    (also called `target`, as in Qiskit).
    """

    name: str

    @property
    def device(self) -> Device | None:
        """The chip this backend runs on, or None for an all-to-all simulator."""
        return None

    @property
    def target(self) -> Device | None:
        """Alias of `device`."""
        return self.device

    @property
    def num_qubits(self) -> int | None:
        """How many qubits a circuit may use (None: limited only by memory)."""
        return self.device.num_qubits if self.device is not None else None

    def status(self) -> BackendStatus:
        """Whether the backend takes jobs now (a chip's status comes from its data)."""
        if self.device is None:
            return BackendStatus(self.name, DeviceStatus.ONLINE)
        return BackendStatus(self.name, self.device.status)

    @abstractmethod
    def run(
        self,
        circuit: QuantumCircuit,
        shots: int = 1024,
        *,
        compile: bool = True,
        seed: int | None = None,
        optimization_level: int = 1,
    ) -> BackendResult:
        """Run `circuit` for `shots` shots.

        Args:
            circuit: the circuit; counts are over its classical bits.
            shots: number of repetitions (at least 1).
            compile: compile for the chip first; when False the circuit must already be
                native and mapped (qubit i is physical qubit i) or a `CompileError` says
                which gate the chip cannot run.
            seed: seeds compilation and sampling; None draws a fresh seed (reported in
                the result).
            optimization_level: 0 (none) to 3 (most effort) for the compiler.

        Raises:
            CompileError: the circuit does not fit or cannot be compiled for the chip.
            SimulationError: the circuit cannot be simulated as asked.
            ValueError: for a bad argument (shots < 1, unknown level).
        """

    def check(self, circuit: QuantumCircuit, *, compile: bool = True) -> None:
        """Raise unless this backend can run `circuit`: the one acceptance rule
        (`kuafu.compiler.check_circuit` for this backend's chip), which the server applies
        at submission and every `run` applies first.

        Raises:
            CompileError: naming the instruction no backend, or this chip uncompiled, runs.
            CircuitTooWideError: the circuit has more qubits than the chip.
        """
        check_circuit(circuit, self.device, compile=compile)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


def check_run_arguments(shots: int, optimization_level: int) -> None:
    """Reject misuse before doing any work."""
    if not isinstance(shots, int) or shots < 1:
        raise ValueError(f"shots must be a positive integer, got {shots!r}")
    if optimization_level not in (0, 1, 2, 3):
        raise ValueError(f"optimization_level must be 0..3, got {optimization_level!r}")
