"""`partition(..., seeds=k)`: a block may start from any of the first k front gates."""

from __future__ import annotations

import numpy as np
import pytest

from kuafu.sim.fusion import compile_block, partition
from kuafu.sim.statevector import compile_gates, final_state, kernel_call

from .test_pair_runs import _qv, _qv_statevector
from .test_sv_kernels import KINDS, _random_structured_circuit


def _circuit(rng: np.random.Generator, n: int, size: int):
    """Mostly two-qubit gates, dense twice as often: blocks worth seeding."""
    return _random_structured_circuit(rng, n, size, widths=(1, 2, 2, 2, 3),
                                      kinds=("dense", *KINDS))


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
@pytest.mark.parametrize("seeds", [2, 4, 16])
@pytest.mark.parametrize("split", [0, 3, 4])
@pytest.mark.parametrize("seed", range(4))
def test_seeded_blocks_preserve_the_product(dtype, seeds, split, seed):
    gates, state, expected = _circuit(np.random.default_rng(700 + seed), 9, 150)
    blocks = partition(gates, 4, split=split, seeds=seeds)
    assert sum(len(ops) for _, ops in blocks) == len(gates)
    for qubits, ops in blocks:
        assert len(qubits) <= 4 or len(ops) == 1
        assert set(qubits) == {q for _, qs in ops for q in qs}
        first = ops[0][1]
        if split and max(first) < split:
            assert max(qubits) < split
        elif split and min(first) >= split:
            assert min(qubits) >= split
    got = state.astype(dtype)
    for qubits, ops in blocks:
        call = kernel_call(compile_block(qubits, ops), got.dtype)
        if call is not None:
            call[0](got, *call[1])
    tol = 1e-10 if dtype == np.complex128 else 1e-5
    np.testing.assert_allclose(got, expected, atol=tol)


@pytest.mark.parametrize("seed", range(3))
def test_one_seed_is_the_first_gate_greedy(seed):
    """seeds=1 (the default, used by the density matrix): every block starts with the first
    gate left, and more seeds never give more blocks on Quantum Volume."""
    gates, _, _ = _circuit(np.random.default_rng(800 + seed), 9, 120)
    left = [(m, tuple(q)) for m, q in gates]
    for _, ops in partition(gates, 4, split=4):
        assert ops[0][1] == left[0][1] and ops[0][0] is left[0][0]
        ids = {id(m) for m, _ in ops}
        left = [g for g in left if id(g[0]) not in ids]
    qv = [(inst.matrix(), inst.qubits) for inst in _qv(16, 60 + seed).instructions]
    assert (len(partition(qv, 6, split=6, seeds=16))
            <= len(partition(qv, 6, split=6)))


@pytest.mark.parametrize("precision", ["double", "single"])
@pytest.mark.parametrize("n", [13, 15])
def test_quantum_volume_with_seeded_blocks_matches_the_unfused_engine(precision, n):
    qc = _qv(n, 90 + n)
    programs = compile_gates(qc.instructions, num_qubits=n, precision=precision)
    assert len(programs) < 3 * n
    got = final_state(qc, precision=precision)
    ref = final_state(qc, precision="double", fusion=False)
    tol = 1e-10 if precision == "double" else 1e-5
    np.testing.assert_allclose(got, ref, atol=tol)


def test_quantum_volume_with_seeded_blocks_matches_aer():
    pytest.importorskip("qiskit")
    pytest.importorskip("qiskit_aer")
    qc = _qv(14, 123)
    expected = _qv_statevector(qc)
    np.testing.assert_allclose(final_state(qc), expected, atol=1e-10)
    np.testing.assert_allclose(final_state(qc, precision="single"), expected, atol=1e-5)
