"""Running a (small, already mapped) circuit for counts through `kuafu.sim`."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..circuit import QuantumCircuit, statevector
from ..errors import SimulationError


def fresh_seed(seed: int | None) -> int:
    """`seed`, or a new random one to report so the run can be repeated."""
    if seed is not None:
        return int(seed)
    return secrets.randbelow(2**31 - 1)


def simulate_counts(circuit: QuantumCircuit, shots: int, *, noise: Any = None,
                    seed: int, method: str = "auto",
                    details: dict[str, Any] | None = None,
                    timings: dict[str, float] | None = None) -> tuple[dict[str, int], str]:
    """Counts over the circuit's classical bits and the method `kuafu.sim` chose; the
    method's details (see `emulator.method_details`) go into `details`, and the
    simulator's seconds per phase (`SimResult.timings`) into `timings`, when given."""
    try:
        from ..sim import simulate
    except ImportError:  # kuafu.sim not installed yet: exact reference, terminal measures only
        if noise is not None:
            raise SimulationError("noisy simulation needs kuafu.sim") from None
        return _reference_counts(circuit, shots, seed), "reference"
    result = simulate(circuit, shots, noise=noise, method=method, seed=seed)
    if details is not None:
        from .emulator import method_details

        n = circuit.num_qubits
        details.update(method_details(result, tuple(range(n)),
                                      tuple(f"q{q}" for q in range(n))))
    if timings is not None:
        timings.update(result.timings)
    return dict(result.counts), str(getattr(result, "method", method))


def _reference_counts(circuit: QuantumCircuit, shots: int, seed: int) -> dict[str, int]:
    gates = circuit.copy_empty()
    measured: dict[int, int] = {}
    for inst in circuit.instructions:
        if inst.name == "measure":
            measured[inst.clbits[0]] = inst.qubits[0]
        elif inst.name not in ("barrier", "delay"):
            if set(measured.values()) & set(inst.qubits):
                raise SimulationError("the reference sampler runs only final measurements")
            gates.instructions.append(inst)
    probs = np.abs(statevector(gates)) ** 2
    rng = np.random.default_rng(seed)
    outcomes = rng.choice(len(probs), size=shots, p=probs / probs.sum())
    return bits_to_counts(outcomes, measured, circuit.num_clbits)


def bits_to_counts(outcomes: np.ndarray, measured: Mapping[int, int],
                   num_clbits: int) -> dict[str, int]:
    """Counts keyed by clbit strings (clbit 0 rightmost) from basis-state outcomes."""
    keys: dict[str, int] = {}
    values, freq = np.unique(outcomes, return_counts=True)
    for value, n in zip(values.tolist(), freq.tolist(), strict=True):
        bits = ["0"] * num_clbits
        for clbit, qubit in measured.items():
            bits[num_clbits - 1 - clbit] = "1" if (value >> qubit) & 1 else "0"
        key = "".join(bits)
        keys[key] = keys.get(key, 0) + n
    return keys
