"""Two-qubit runs fused into dense 4x4 blocks (Quantum Volume), the dense 4x4 block kernel,
and flushing of subnormal floats: against the numpy reference, the unfused engine and Aer."""

from __future__ import annotations

import math
import platform

import numpy as np
import pytest

from kuafu.circuit import QuantumCircuit
from kuafu.sim import _kernels as k
from kuafu.sim.fusion import compile_block, fuse_pair_runs, pair_runs
from kuafu.sim.statevector import compile_gates, final_state, kernel_call

from .test_sv_kernels import random_state, random_unitary, reference_apply, structured


def _qv(n: int, seed: int, depth: int | None = None) -> QuantumCircuit:
    """Quantum Volume as Qiskit compiles it: random pairs, U3 on both, CX, ... (11 gates)."""
    rng = np.random.default_rng(seed)
    qc = QuantumCircuit(n)
    for _ in range(depth or n):
        order = rng.permutation(n)
        for a, b in zip(order[0::2], order[1::2], strict=False):
            for step in range(4):
                for q in (int(a), int(b)):
                    qc.u3(*rng.uniform(0, 2 * math.pi, 3), q)
                if step < 3:
                    qc.cx(int(a), int(b))
    return qc


def _mixed_gates(rng: np.random.Generator, n: int, size: int):
    """Random gates on 1, 2 or 3 qubits of every structure, in either qubit order."""
    gates = []
    for _ in range(size):
        width = int(rng.choice([1, 1, 1, 2, 2, 2, 3]))
        qubits = [int(q) for q in rng.choice(n, size=width, replace=False)]
        kind = ["dense", "dense", "diagonal", "monomial", "controlled"][int(rng.integers(5))]
        if width == 1 and kind == "controlled":
            kind = "dense"
        gates.append((structured(kind, width, rng), qubits))
    return gates


@pytest.mark.parametrize("seed", range(8))
def test_pair_runs_keep_every_gate_in_a_valid_order(seed):
    rng = np.random.default_rng(seed)
    gates = _mixed_gates(rng, 6, 80)
    runs = pair_runs(gates)
    assert sum(len(r) for r in runs) == len(gates)
    for run in runs:
        qubits = {q for _, qs in run for q in qs}
        assert len(qubits) <= 2 or len(run) == 1
    state = random_state(6, rng)
    expected, got = state.copy(), state.copy()
    for m, q in gates:
        expected = reference_apply(expected, m, q)
    for run in runs:
        for m, q in run:
            got = reference_apply(got, m, q)
    np.testing.assert_allclose(got, expected, atol=1e-12)


@pytest.mark.parametrize("seed", range(8))
def test_fused_pair_runs_give_the_product(seed):
    rng = np.random.default_rng(100 + seed)
    gates = _mixed_gates(rng, 6, 80)
    fused = fuse_pair_runs(gates)
    assert len(fused) <= len(gates)
    state = random_state(6, rng)
    expected, got = state.copy(), state.copy()
    for m, q in gates:
        expected = reference_apply(expected, m, q)
    for m, q in fused:
        got = reference_apply(got, np.asarray(m), q)
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_a_quantum_volume_block_becomes_one_dense_gate():
    qc = _qv(2, 0, depth=1)
    gates = [(i.matrix(), i.qubits) for i in qc.instructions]
    fused = fuse_pair_runs(gates)
    assert len(gates) == 11 and len(fused) == 1 and fused[0][0].shape == (4, 4)


def test_a_brickwork_run_stays_as_it_is():
    """Two U3, a CX and two U3 cost about as much in a block as a dense 4x4: not fused."""
    qc = QuantumCircuit(2)
    qc.u3(0.1, 0.2, 0.3, 0)
    qc.u3(0.4, 0.5, 0.6, 1)
    qc.cx(0, 1)
    qc.u3(0.7, 0.8, 0.9, 0)
    qc.u3(1.0, 1.1, 1.2, 1)
    gates = [(i.matrix(), i.qubits) for i in qc.instructions]
    assert len(fuse_pair_runs(gates)) == len(gates)


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
@pytest.mark.parametrize("seed", range(4))
def test_dense_4x4_groups_in_a_block(dtype, seed):
    """Dense two-qubit gates on every pair of a block (low, high and general qubits): the
    `OP_GROUP` 4x4 kernel against the reference, and the compiled lowering against the
    Python one."""
    rng = np.random.default_rng(200 + seed)
    n = 11
    qubits = tuple(sorted(int(q) for q in rng.choice(n, size=6, replace=False)))
    gates = []
    for _ in range(12):
        pair = [int(q) for q in rng.choice(qubits, size=2, replace=False)]
        gates.append((random_unitary(4, rng), pair))
        gates.append((random_unitary(2, rng), [pair[0]]))
    state = random_state(n, rng)
    expected = state.copy()
    for m, q in gates:
        expected = reference_apply(expected, m, q)
    for compiled in (True, False):
        program = compile_block(qubits, gates, compiled=compiled)
        assert 3 in program.kinds.tolist()  # OP_GROUP
        got = state.astype(dtype)
        call = kernel_call(program, got.dtype)
        call[0](got, *call[1])
        tol = 1e-10 if dtype == np.complex128 else 2e-5
        np.testing.assert_allclose(got, expected, atol=tol)


@pytest.mark.parametrize("n", [5, 12, 14])
@pytest.mark.parametrize("precision", ["double", "single"])
def test_quantum_volume_matches_the_unfused_engine(n, precision):
    qc = _qv(n, n)
    got = final_state(qc, precision=precision)
    ref = final_state(qc, precision="double", fusion=False)
    tol = 1e-10 if precision == "double" else 1e-5
    np.testing.assert_allclose(got, ref, atol=tol)


def _qv_statevector(qc: QuantumCircuit) -> np.ndarray:
    """Qiskit's statevector of a `_qv` circuit (U3 and CX only)."""
    import qiskit
    from qiskit.quantum_info import Statevector

    ref = qiskit.QuantumCircuit(qc.num_qubits)
    for inst in qc.instructions:
        if inst.name == "u3":
            ref.u(*inst.params, *inst.qubits)
        else:
            ref.cx(*inst.qubits)
    return Statevector(ref).data


@pytest.mark.parametrize("n", [6, 13])
def test_quantum_volume_matches_aer(n):
    pytest.importorskip("qiskit")
    pytest.importorskip("qiskit_aer")
    qc = _qv(n, 40 + n)
    expected = _qv_statevector(qc)
    np.testing.assert_allclose(final_state(qc), expected, atol=1e-10)
    np.testing.assert_allclose(final_state(qc, precision="single"), expected, atol=1e-5)


def test_block_fusion_multiplies_quantum_volume_blocks():
    """QV-12: 12 x 6 blocks of 11 gates; each becomes one dense 4x4 group in a block."""
    qc = _qv(12, 3)
    blocks = compile_gates(qc.instructions, num_qubits=12)
    groups = sum(int(np.count_nonzero((b.kinds == 3) & (b.aux == 2))) for b in blocks
                 if hasattr(b, "kinds"))
    assert groups >= 60


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"),
                    reason="MXCSR is x86")
def test_kernels_flush_subnormals_and_leave_the_fp_mode_alone():
    tiny = np.float32(1e-40)  # subnormal in single precision
    state = np.zeros(1 << 6, dtype=np.complex64)
    state[:] = tiny
    state[0] = 1
    h = np.array([[1, 1], [1, -1]], dtype=complex) / np.sqrt(2)
    program = compile_block(tuple(range(6)), [(h, [q]) for q in range(6)])
    call = kernel_call(program, state.dtype)
    call[0](state, *call[1])
    floats = state.view(np.float32)
    nonzero = floats[floats != 0]
    assert np.all(np.abs(nonzero) >= np.finfo(np.float32).tiny)
    # code outside the kernels keeps IEEE subnormals
    assert np.float32(1e-30) * np.float32(1e-10) != 0
    # a single-qubit kernel flushes as well
    state[:] = tiny
    k.apply_1q(state, 5, np.eye(2, dtype=np.complex64))
    assert not np.any(state)
