"""`IdealSimulator`: a noiseless all-to-all backend, for checking programs."""

from __future__ import annotations

import time
from typing import Any

from ..circuit import QuantumCircuit
from ._execution import fresh_seed, simulate_counts
from .base import Backend, BackendResult, check_run_arguments
from .qasm_text import to_qasm

MAX_QUBITS = 256
"""The widest program the ideal simulator takes: more than the widest chip (136), so
any program a chip here could run can be checked on it. Below it, the cost estimate
decides (`estimate`): independent parts, stabilizer and MPS run wide circuits that a
state vector could not hold, and what no method can do is refused with its cost."""


class IdealSimulator(Backend):
    """Runs any circuit exactly as written, with no noise and no connectivity limits."""

    name = "simulator"

    @property
    def num_qubits(self) -> int:
        """`MAX_QUBITS`: the absolute width cap (the cost estimate decides below it)."""
        return MAX_QUBITS

    def run(self, circuit: QuantumCircuit, shots: int = 1024, *, compile: bool = True,
            seed: int | None = None, optimization_level: int = 1) -> BackendResult:
        """Simulate `circuit` exactly; `compile` and `optimization_level` are ignored.

        Raises:
            CompileError: for an opaque gate (`Backend.check`).
        """
        check_run_arguments(shots, optimization_level)
        self.check(circuit)
        seed = fresh_seed(seed)
        start = time.perf_counter()
        details: dict = {}
        timings: dict = {}
        counts, method = simulate_counts(circuit, shots, seed=seed, details=details,
                                         timings=timings)
        elapsed = time.perf_counter() - start
        identity = {q: q for q in range(circuit.num_qubits)}
        return BackendResult(
            backend=self.name, shots=shots, counts=counts, compiled_qasm=to_qasm(circuit),
            initial_mapping=identity, final_mapping=identity,
            physical_qubits=tuple(f"q{q}" for q in range(circuit.num_qubits)),
            method=method, method_details=details,
            timings={**timings, "compile": 0.0, "simulate": elapsed, "total": elapsed},
            seed=seed,
        )

    def estimate(self, circuit: QuantumCircuit, shots: int = 1024, *, compile: bool = True,
                 optimization_level: int = 1, max_memory_bytes: int | None = None) -> Any:
        """How a run would simulate `circuit` (the `kuafu.sim` plan), decided without
        simulating; `compile` and `optimization_level` are ignored, as in `run`.

        Raises:
            CircuitTooCostlyError: no method fits the limits (with the estimate).
        """
        from ..sim.api import plan_simulation

        check_run_arguments(shots, optimization_level)
        return plan_simulation(circuit, shots, max_memory_bytes=max_memory_bytes)
