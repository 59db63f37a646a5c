"""Exact operators of small circuits, for tests and users who want the matrix.

Whole-circuit convention: little-endian, as Qiskit's `Operator` and `Statevector`:
qubit k is bit k of a basis-state index, so |q2 q1 q0> is index 4*q2 + 2*q1 + q0.
"""

from __future__ import annotations

import numpy as np

from ..errors import CircuitError
from .circuit import QuantumCircuit

MAX_UNITARY_QUBITS = 14


def apply_gate(tensor: np.ndarray, matrix: np.ndarray, qubits: tuple[int, ...],
               num_qubits: int) -> np.ndarray:
    """Apply a big-endian gate matrix to the qubit axes of a little-endian state tensor.

    `tensor` has shape (2,)*num_qubits + extra axes; axis j stands for qubit
    num_qubits-1-j (C order of a little-endian index). Returns the new tensor.
    """
    k = len(qubits)
    gate = matrix.reshape((2,) * (2 * k))
    axes = [num_qubits - 1 - q for q in qubits]
    moved = np.tensordot(gate, tensor, axes=(list(range(k, 2 * k)), axes))
    # tensordot puts the gate's output axes first; move them back where they were.
    return np.moveaxis(moved, list(range(k)), axes)


def unitary(circuit: QuantumCircuit) -> np.ndarray:
    """The circuit's unitary, little-endian (barriers and delays are identities).

    Raises:
        CircuitError: for measurements, resets, conditions, opaque gates, or more than
            `MAX_UNITARY_QUBITS` qubits.
        TypeError: when a parameter is unbound.
    """
    n = circuit.num_qubits
    if n > MAX_UNITARY_QUBITS:
        raise CircuitError(f"unitary of {n} qubits is too large (at most {MAX_UNITARY_QUBITS})")
    dim = 2**n
    tensor = np.eye(dim, dtype=complex).reshape((2,) * n + (dim,))
    for inst in circuit.instructions:
        if inst.name in ("barrier", "delay"):
            continue
        if not inst.is_gate or inst.condition is not None:
            what = f"conditioned {inst.name}" if inst.condition else inst.name
            raise CircuitError(f"circuit has no unitary: it contains {what}")
        tensor = apply_gate(tensor, inst.matrix(), inst.qubits, n)
    return tensor.reshape(dim, dim)


def statevector(circuit: QuantumCircuit) -> np.ndarray:
    """The state the circuit prepares from |0...0>, little-endian (reference, unoptimised)."""
    n = circuit.num_qubits
    if n > 2 * MAX_UNITARY_QUBITS:
        raise CircuitError(f"reference statevector of {n} qubits is too large")
    tensor = np.zeros((2,) * n, dtype=complex)
    tensor[(0,) * n] = 1
    for inst in circuit.instructions:
        if inst.name in ("barrier", "delay"):
            continue
        if not inst.is_gate or inst.condition is not None:
            raise CircuitError(f"reference statevector cannot run {inst.name}")
        tensor = apply_gate(tensor, inst.matrix(), inst.qubits, n)
    return tensor.reshape(-1)
