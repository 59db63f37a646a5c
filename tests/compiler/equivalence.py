"""Helpers: is a compiled circuit the input up to the reported qubit permutation?"""

from __future__ import annotations

import numpy as np

from kuafu.circuit import Instruction, QuantumCircuit, unitary
from kuafu.compiler import CompiledCircuit


def _index(bits: dict[int, int], positions: dict[int, int]) -> int:
    return sum(bit << positions[q] for q, bit in bits.items())


def compiled_unitary_on_input(qc: QuantumCircuit, compiled: CompiledCircuit) -> np.ndarray:
    """The compiled circuit's action, as a matrix over the input's qubits (ancillas in |0>)."""
    active = compiled.active_qubits
    compact = {p: i for i, p in enumerate(active)}
    small = QuantumCircuit(len(active))
    for inst in compiled.circuit.instructions:
        if inst.name in ("barrier", "measure"):
            continue
        small.instructions.append(
            Instruction(inst.name, tuple(compact[q] for q in inst.qubits), (), inst.params))
    full = unitary(small)
    n = qc.num_qubits
    cols = [_index({compiled.initial_mapping[v]: (x >> v) & 1 for v in range(n)}, compact)
            for x in range(2**n)]
    rows = [_index({compiled.final_mapping[v]: (x >> v) & 1 for v in range(n)}, compact)
            for x in range(2**n)]
    return full[np.ix_(rows, cols)]


def assert_equivalent(qc: QuantumCircuit, compiled: CompiledCircuit, atol: float = 1e-7):
    """Assert the compiled circuit equals `qc` up to global phase and the mappings."""
    expected = unitary(qc)
    got = compiled_unitary_on_input(qc, compiled)
    k = np.unravel_index(np.argmax(np.abs(expected)), expected.shape)
    phase = got[k] / expected[k]
    assert abs(abs(phase) - 1) < 1e-6, "compiled circuit leaks out of the ancilla-|0> subspace"
    np.testing.assert_allclose(got, phase * expected, atol=atol)
