"""`Sampler`: counts (and readout-mitigated quasi-probabilities) of measured circuits.

    >>> from kuafu import Parameter, QuantumCircuit, backends
    >>> gamma, beta = Parameter("gamma"), Parameter("beta")
    >>> qaoa = QuantumCircuit(2, 2)
    >>> _ = qaoa.h([0, 1]), qaoa.rzz(gamma, 0, 1), qaoa.rx(beta, [0, 1])
    >>> _ = qaoa.measure([0, 1], [0, 1])
    >>> res = Sampler(backends.get("ScQ-P18"), shots=2000, seed=3,
    ...               readout_mitigation="calibration").run(
    ...     qaoa, parameter_values=[[0.1, 0.2], [0.3, 0.4]])     # a sweep: one batch
    >>> len(res.counts), sum(res.counts[0].values())
    (2, 2000)
    >>> round(sum(res.quasi_dists[0].values()), 9)    # quasi_dists: readout mitigated
    1.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..circuit import QuantumCircuit
from . import readout
from ._common import ParameterValues, bind_all, parameter_sets
from .backend import CountsBackend, Outcome, run_circuits


@dataclass(frozen=True)
class SamplerResult:
    """One entry per circuit run (per circuit, then per parameter set).

    Attributes:
        counts: bitstring -> shots, classical bit 0 rightmost.
        quasi_dists: with readout mitigation, bitstring -> quasi-probability (may be
            slightly negative); otherwise None.
        metadata: `shots`, `circuits`, `readout_mitigation`.
    """

    counts: list[dict[str, int]]
    quasi_dists: list[dict[str, float]] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def probabilities(self, index: int = 0) -> dict[str, float]:
        """Counts of run `index` divided by its shots."""
        total = sum(self.counts[index].values())
        return {k: v / total for k, v in self.counts[index].items()}


class Sampler:
    """Runs measured circuits on a backend in one batch.

    Args:
        backend: a local backend, a server's chip (`kuafu.client.backend.RemoteBackend`),
            anything with `run(...).counts`; or None for the noiseless simulator
            (`kuafu.sim.simulate`).
        shots: shots per circuit.
        seed: makes the run reproducible.
        readout_mitigation: None, `calibration` or `circuits` (as for the Estimator);
            adds `quasi_dists` (up to 20 measured bits).
        compile: let the backend compile the circuits for its chip.
    """

    def __init__(self, backend: CountsBackend | None = None, *, shots: int = 1024,
                 seed: int | None = None, readout_mitigation: str | None = None,
                 calibration_shots: int = 8192, compile: bool = True) -> None:
        if readout_mitigation not in (None, "calibration", "circuits"):
            raise ValueError("readout_mitigation must be None, 'calibration' or 'circuits'")
        self.backend = backend
        self.shots = shots
        self.seed = seed
        self.readout_mitigation = readout_mitigation
        self.calibration_shots = calibration_shots
        self.compile = compile

    def run(self, circuits: QuantumCircuit | Sequence[QuantumCircuit],
            parameter_values: ParameterValues | None = None) -> SamplerResult:
        """Sample every circuit (for every parameter set) in one batch.

        Args:
            circuits: one circuit or a list; each must measure something.
            parameter_values: for a single circuit: one set or a list of sets (a sweep);
                for a list of circuits: one set per circuit (or None).

        Raises:
            ValueError: for a circuit without measurements or missing parameter values.
        """
        bound = self._bind(circuits, parameter_values)
        for qc in bound:
            if not any(i.name == "measure" for i in qc.instructions):
                raise ValueError(f"circuit {qc.name!r} measures nothing")
        if self.backend is None:
            outcomes = self._ideal(bound)
        else:
            outcomes = run_circuits(self.backend, bound, self.shots, seed=self.seed,
                                    compile=self.compile)
        quasi = None
        if self.readout_mitigation is not None and self.backend is not None:
            quasi = self._mitigate(bound, outcomes)
        return SamplerResult([dict(o.counts) for o in outcomes], quasi, {
            "shots": self.shots, "circuits": len(bound),
            "readout_mitigation": self.readout_mitigation})

    def _bind(self, circuits, parameter_values) -> list[QuantumCircuit]:
        if isinstance(circuits, QuantumCircuit):
            return bind_all(circuits, parameter_sets(circuits, parameter_values))
        circuits = list(circuits)
        sets = parameter_values if parameter_values is not None else [None] * len(circuits)
        if len(sets) != len(circuits):
            raise ValueError(f"{len(sets)} parameter sets for {len(circuits)} circuits")
        return [qc if s is None else qc.bind(s) for qc, s in zip(circuits, sets, strict=True)]

    def _ideal(self, bound: list[QuantumCircuit]) -> list[Outcome]:
        import numpy as np

        from ..sim import simulate

        seeds = np.random.SeedSequence(self.seed).generate_state(len(bound), np.uint32)
        return [Outcome(dict(simulate(qc, self.shots, seed=int(s)).counts))
                for qc, s in zip(bound, seeds, strict=True)]

    def _mitigate(self, bound: list[QuantumCircuit], outcomes: list[Outcome]
                  ) -> list[dict[str, float]]:
        reads = [_clbit_qubits(qc) for qc in bound]
        physical = [[o.final_mapping.get(q, q) for q in r] for o, r in zip(outcomes, reads,
                                                                            strict=True)]
        if self.readout_mitigation == "calibration":
            cal = readout.from_backend(self.backend)
            if cal is None:
                raise ValueError("this backend publishes no readout calibration; use "
                                 "readout_mitigation='circuits'")
        else:
            cal = readout.measure(self.backend, {q for p in physical for q in p},
                                  self.calibration_shots, seed=self.seed)
        return [cal.mitigate_probabilities(o.counts, p) for o, p in zip(outcomes, physical,
                                                                         strict=True)]


def _clbit_qubits(circuit: QuantumCircuit) -> list[int]:
    """For each classical bit, the circuit qubit last measured into it."""
    reads: dict[int, int] = {}
    for inst in circuit.instructions:
        if inst.name == "measure":
            reads[inst.clbits[0]] = inst.qubits[0]
    missing = [c for c in range(circuit.num_clbits) if c not in reads]
    if missing:
        raise ValueError(f"classical bits {missing} are never measured; readout mitigation "
                         "needs every bit read from a qubit")
    return [reads[c] for c in range(circuit.num_clbits)]


__all__ = ["Sampler", "SamplerResult"]
