"""Shared test helpers: the Bell and GHZ programs, random circuits, operator comparisons."""

from __future__ import annotations

import math

import numpy as np

from kuafu.circuit import GATES, QuantumCircuit

BELL = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
cx q[0],q[1];
measure q -> c;
"""
"""The Bell program every service test submits: counts '00' and '11' only."""

GHZ3 = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[3];
creg c[3];
h q[0];
cx q[0],q[1];
cx q[1],q[2];
measure q -> c;
"""
"""Three-qubit GHZ program: counts '000' and '111' only."""


def bell() -> QuantumCircuit:
    """`BELL` as a circuit."""
    return ghz(2)


def ghz(num_qubits: int = 3) -> QuantumCircuit:
    """H on qubit 0, a CX chain, every qubit measured into its own clbit (`GHZ3` for 3)."""
    qc = QuantumCircuit(num_qubits, num_qubits)
    qc.h(0)
    for q in range(num_qubits - 1):
        qc.cx(q, q + 1)
    qc.measure(list(range(num_qubits)), list(range(num_qubits)))
    return qc


# Gates that Qiskit's OpenQASM 2 reader knows from qelib1.inc (sy/sydg are Quafu's own).
QELIB1_GATES = sorted(name for name in GATES if name not in ("sy", "sydg"))


def random_circuit(
    num_qubits: int,
    depth: int,
    rng: np.random.Generator,
    *,
    gates: list[str] | None = None,
    measure: bool = False,
) -> QuantumCircuit:
    """A random circuit over the gate library (gates that fit in `num_qubits`)."""
    names = [g for g in (gates or sorted(GATES)) if GATES[g].num_qubits <= num_qubits]
    qc = QuantumCircuit(num_qubits, num_qubits if measure else 0)
    for _ in range(depth):
        spec = GATES[names[rng.integers(len(names))]]
        qubits = [int(q) for q in rng.choice(num_qubits, spec.num_qubits, replace=False)]
        params = [float(x) for x in rng.uniform(-2 * math.pi, 2 * math.pi, spec.num_params)]
        qc.append(spec.name, qubits, params)
    if measure:
        qc.measure(list(range(num_qubits)), list(range(num_qubits)))
    return qc


def equal_up_to_phase(a: np.ndarray, b: np.ndarray, atol: float = 1e-9) -> bool:
    """Whether two operators differ only by a global phase."""
    index = np.unravel_index(np.argmax(np.abs(b)), b.shape)
    if abs(a[index]) < atol:
        return False
    phase = b[index] / a[index]
    return bool(np.allclose(a * phase, b, atol=atol)) and math.isclose(abs(phase), 1, abs_tol=1e-9)


def random_layers(n: int, depth: int, seed: int = 0) -> QuantumCircuit:
    """Layers of random U3 gates on every qubit and CX on a random pairing of all qubits,
    every qubit measured: entangling fast, the case method choice must refuse when wide."""
    rng = np.random.default_rng(seed)
    qc = QuantumCircuit(n, n)
    for _ in range(depth):
        for q in range(n):
            qc.u3(*(float(x) for x in rng.uniform(0, 2 * np.pi, 3)), q)
        perm = rng.permutation(n)
        for a, b in zip(perm[::2], perm[1::2], strict=True):
            qc.cx(int(a), int(b))
    qc.measure(list(range(n)), list(range(n)))
    return qc


def ones_fraction(counts: dict[str, int], n: int) -> np.ndarray:
    """P(clbit c reads 1) for each of `n` clbits, from counts (clbit 0 rightmost)."""
    total = sum(counts.values())
    p = np.zeros(n)
    for key, v in counts.items():
        p += v * np.array([key[n - 1 - c] == "1" for c in range(n)])
    return p / total


def teleport(qc: QuantumCircuit) -> QuantumCircuit:
    """Append the teleportation of qubit 0 onto qubit 2 (qubit 1 the Bell partner): the
    Bell pair, the Bell measurement into clbits 0 and 1, and the X and Z corrections
    conditioned on them. What prepares qubit 0 and what follows is the caller's."""
    qc.h(1)
    qc.cx(1, 2)
    qc.cx(0, 1)
    qc.h(0)
    qc.measure(0, 0)
    qc.measure(1, 1)
    qc.x(2).c_if(1, 1)
    qc.z(2).c_if(0, 1)
    return qc


def mid_circuit() -> QuantumCircuit:
    """Three qubits with a mid-circuit measurement, a condition on it, a reset and
    measurements after: what every noisy engine must agree on beyond final readout."""
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure(1, 0)
    qc.x(2).c_if(0, 1)
    qc.rx(0.7, 1)
    qc.reset(0)
    qc.ry(0.4, 0)
    qc.measure(0, 1)
    qc.cx(2, 1)
    qc.measure(1, 2)
    return qc
