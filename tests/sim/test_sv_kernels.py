"""Kernels and fusion on raw matrices, against a plain numpy reference."""

from __future__ import annotations

import numpy as np
import pytest

from kuafu.circuit import QuantumCircuit
from kuafu.sim import _kernels as k
from kuafu.sim.fusion import (
    CostModel,
    GateKind,
    PhaseProgram,
    classify,
    compile_block,
    fuse,
    partition,
    phase_program,
    to_little_endian,
)
from kuafu.sim.statevector import apply_matrix, compile_gates, final_state, kernel_call


def reference_apply(state: np.ndarray, matrix: np.ndarray, qubits) -> np.ndarray:
    """Big-endian gate matrix on a little-endian state, by tensor contraction."""
    n = state.size.bit_length() - 1
    m = len(qubits)
    t = state.astype(complex).reshape((2,) * n)
    gate = np.asarray(matrix).reshape((2,) * (2 * m))
    axes = [n - 1 - q for q in qubits]
    moved = np.tensordot(gate, t, axes=(list(range(m, 2 * m)), axes))
    return np.moveaxis(moved, list(range(m)), axes).reshape(-1)


def random_unitary(dim: int, rng: np.random.Generator) -> np.ndarray:
    z = rng.normal(size=(dim, dim)) + 1j * rng.normal(size=(dim, dim))
    q, r = np.linalg.qr(z)
    return q * (np.diag(r) / abs(np.diag(r)))


def random_state(n: int, rng: np.random.Generator) -> np.ndarray:
    s = rng.normal(size=2**n) + 1j * rng.normal(size=2**n)
    return s / np.linalg.norm(s)


def structured(kind: str, k_: int, rng: np.random.Generator) -> np.ndarray:
    dim = 1 << k_
    if kind == "dense":
        return random_unitary(dim, rng)
    if kind == "diagonal":
        return np.diag(np.exp(1j * rng.uniform(0, 6, dim)))
    if kind == "monomial":
        perm = rng.permutation(dim)
        out = np.zeros((dim, dim), complex)
        out[perm, np.arange(dim)] = np.exp(1j * rng.uniform(0, 6, dim))
        return out
    out = np.eye(dim, dtype=complex)  # controlled: the last qubit in the list is the target
    out[dim - 2:, dim - 2:] = random_unitary(2, rng)
    return out


@pytest.mark.parametrize("kind", ["dense", "diagonal", "monomial", "controlled"])
@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
@pytest.mark.parametrize("seed", range(12))
def test_kernels_match_reference(kind, dtype, seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 15))
    width = int(rng.integers(1, min(n, 5) + 1))
    if kind == "controlled" and width < 2:
        width = min(2, n)
    qubits = [int(q) for q in rng.choice(n, size=width, replace=False)]
    matrix = structured(kind, width, rng) if width >= 2 or kind != "controlled" else \
        random_unitary(2, rng)
    state = random_state(n, rng)
    expected = reference_apply(state, matrix, qubits)
    got = state.astype(dtype)
    apply_matrix(got, matrix, qubits)
    tol = 1e-12 if dtype == np.complex128 else 2e-6
    np.testing.assert_allclose(got, expected, atol=tol)


@pytest.mark.parametrize("n", [1, 3, 6, 13, 14])
def test_every_single_qubit_target(n):
    rng = np.random.default_rng(n)
    u = random_unitary(2, rng)
    for q in range(n):
        state = random_state(n, rng)
        got = state.copy()
        k.apply_1q(got, q, u)
        np.testing.assert_allclose(got, reference_apply(state, u, [q]), atol=1e-12)


@pytest.mark.parametrize("n", [3, 9, 13, 14])
def test_dense_kernel_on_low_and_high_qubits(n):
    rng = np.random.default_rng(5)
    for qubits in ([0, 1, 2], [0, 2], [1, n - 1], [2, n - 2, n - 1], [0, 1, 2, n - 1]):
        if len(set(qubits)) < len(qubits):
            continue
        u = random_unitary(1 << len(qubits), rng)
        state = random_state(n, rng)
        order, m = to_little_endian(u, qubits)
        got = state.copy()
        k.apply_dense(got, np.array(order), m)
        np.testing.assert_allclose(got, reference_apply(state, u, qubits), atol=1e-12)


def test_to_little_endian_of_cx():
    cx = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]], complex)
    order, m = to_little_endian(cx, [3, 1])  # control 3, target 1
    assert order == (1, 3)
    # little-endian over (1, 3): index bit 0 = qubit 1 (target), bit 1 = qubit 3 (control)
    assert np.array_equal(np.argmax(abs(m), axis=0), [0, 1, 3, 2])


def test_classify():
    cz = np.diag([1, 1, 1, -1]).astype(complex)
    assert classify(cz) is GateKind.DIAGONAL
    assert classify(np.eye(4)) is GateKind.IDENTITY
    swap = np.eye(4)[[0, 2, 1, 3]].astype(complex)
    assert classify(swap) is GateKind.MONOMIAL
    cu = np.eye(4, dtype=complex)
    cu[2:, 2:] = random_unitary(2, np.random.default_rng(0))
    assert classify(to_little_endian(cu, [0, 1])[1]) is GateKind.CONTROLLED
    assert classify(random_unitary(4, np.random.default_rng(1))) is GateKind.DENSE


KINDS = ("dense", "diagonal", "monomial", "controlled")


def _random_structured_circuit(rng: np.random.Generator, n: int, size: int,
                               widths=(1, 1, 2, 2, 3), kinds=KINDS):
    """`size` random gates of every structure on up to 3 of `n` qubits (width and kind
    drawn uniformly from `widths` and `kinds`), a random state, and that state after the
    gates (by the reference product)."""
    gates = []
    for _ in range(size):
        width = int(rng.choice(widths))
        qubits = [int(q) for q in rng.choice(n, size=width, replace=False)]
        kind = kinds[int(rng.integers(len(kinds)))]
        if width == 1 and kind == "controlled":
            kind = "dense"
        gates.append((structured(kind, width, rng), qubits))
    state = random_state(n, rng)
    expected = state.copy()
    for m, q in gates:
        expected = reference_apply(expected, m, q)
    return gates, state, expected


@pytest.mark.parametrize("max_qubits", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("seed", range(6))
def test_fusion_preserves_the_product(max_qubits, seed):
    gates, state, expected = _random_structured_circuit(np.random.default_rng(seed), 7, 60)
    fused = fuse(gates, CostModel(max_qubits=max_qubits))
    assert sum(g.num_gates for g in fused) == len(gates)
    assert all(len(g.qubits) <= max(max_qubits, 3) for g in fused)
    if max_qubits >= 3:
        assert len(fused) < len(gates)
    got = state.copy()
    for g in fused:
        call = kernel_call(g, got.dtype)
        if call is not None:
            call[0](got, *call[1])
    np.testing.assert_allclose(got, expected, atol=1e-11)


@pytest.mark.parametrize("split", [0, 3, 4])
@pytest.mark.parametrize("seed", range(6))
def test_partition_and_block_programs_preserve_the_product(split, seed):
    """Light-cone blocks (low, high and general when split) in order give the circuit's state,
    with every block within its width and on its side of the split."""
    gates, state, expected = _random_structured_circuit(np.random.default_rng(100 + seed),
                                                        8, 120)
    blocks = partition(gates, 4, split=split)
    assert sum(len(ops) for _, ops in blocks) == len(gates)
    for qubits, ops in blocks:
        assert len(qubits) <= 4 or len(ops) == 1
        first = ops[0][1]
        if split and max(first) < split:
            assert max(qubits) < split
        elif split and min(first) >= split:
            assert min(qubits) >= split
    got = state.copy()
    for qubits, ops in blocks:
        call = kernel_call(compile_block(qubits, ops), got.dtype)
        if call is not None:
            call[0](got, *call[1])
    np.testing.assert_allclose(got, expected, atol=1e-11)


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
@pytest.mark.parametrize("seed", range(4))
def test_permutation_blocks_move_runs_along_cycles(dtype, seed):
    """A block of X, CX, SWAP and CCX on qubits 4 and up becomes `permute_groups` (cycles of
    runs, fixed points untouched) and gives the reference state."""
    rng = np.random.default_rng(300 + seed)
    n = 12
    x = np.array([[0, 1], [1, 0]], complex)
    cx = np.eye(4, dtype=complex)[[0, 1, 3, 2]]
    swap = np.eye(4, dtype=complex)[[0, 2, 1, 3]]
    ccx = np.eye(8, dtype=complex)[[0, 1, 2, 3, 4, 5, 7, 6]]
    gates = []
    for _ in range(15):
        m = [x, cx, swap, ccx][int(rng.integers(4))]
        width = m.shape[0].bit_length() - 1
        gates.append((m, [int(q) for q in rng.choice(np.arange(4, n), width, replace=False)]))
    state = random_state(n, rng).astype(dtype)
    expected = state.astype(complex)
    for m, q in gates:
        expected = reference_apply(expected, m, q)
    qubits = tuple(sorted({q for _, qs in gates for q in qs}))
    call = kernel_call(compile_block(qubits, gates), state.dtype)
    assert call[1][0].tolist() == list(qubits) and len(call[1]) == 3  # qubits, cycles
    call[0](state, *call[1])
    np.testing.assert_allclose(state, expected, atol=1e-6)


def test_fused_diagonals_use_the_diagonal_kernel():
    rng = np.random.default_rng(0)
    gates = [(structured("diagonal", 2, rng), [0, 1]), (structured("diagonal", 2, rng), [1, 2]),
             (structured("diagonal", 1, rng), [2])]
    fused = fuse(gates)
    assert len(fused) == 1 and fused[0].kind is GateKind.DIAGONAL
    assert kernel_call(fused[0], np.dtype(np.complex128))[0] is k.apply_diagonal


def test_cancelling_gates_vanish():
    x = np.array([[0, 1], [1, 0]], complex)
    fused = fuse([(x, [0]), (x, [0])])
    assert [g.kind for g in fused] == [GateKind.IDENTITY]
    assert kernel_call(fused[0], np.dtype(np.complex128)) is None


@pytest.mark.slow
def test_single_qubit_kernel_on_far_apart_partners():
    """The top qubits of a 256 MiB state (partners 128 MiB apart)."""
    rng = np.random.default_rng(3)
    n = 24
    state = (rng.normal(size=2**n) + 1j * rng.normal(size=2**n)) / 2 ** (n / 2 + 0.5)
    u = random_unitary(2, rng)
    for q in (n - 1, n - 2):
        got = state.copy()
        k.apply_1q(got, q, u)
        np.testing.assert_allclose(got, reference_apply(state, u, [q]), atol=1e-12)


@pytest.mark.parametrize("n", [1, 2, 5, 12, 13, 15])
@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_phase_gates_kernel_matches_reference(n, dtype):
    """One- and two-qubit diagonals on low, high and straddling qubits (tasks are 2**12)."""
    rng = np.random.default_rng(n)
    gates = []
    for _ in range(40):
        width = 1 if n == 1 else int(rng.choice([1, 2, 2]))
        qubits = [int(q) for q in rng.choice(n, size=width, replace=False)]
        gates.append((structured("diagonal", width, rng), qubits))
    state = random_state(n, rng)
    expected = state.copy()
    for m, q in gates:
        expected = reference_apply(expected, m, q)
    program = phase_program(gates)
    assert isinstance(program, PhaseProgram) and program.num_gates == len(gates)
    got = state.astype(dtype)
    fn, args = kernel_call(program, got.dtype)
    assert fn is k.apply_phase_gates
    fn(got, *args)
    np.testing.assert_allclose(got, expected, atol=1e-5 if dtype == np.complex64 else 1e-12)


def test_phase_program_refuses_other_gates():
    rng = np.random.default_rng(0)
    assert phase_program([(structured("dense", 1, rng), [0])]) is None
    assert phase_program([(structured("diagonal", 3, rng), [0, 1, 2])]) is None


def _qft(n: int) -> QuantumCircuit:
    qc = QuantumCircuit(n)
    for j in range(n - 1, -1, -1):
        qc.h(j)
        for i in range(j - 1, -1, -1):
            qc.cp(np.pi / 2 ** (j - i), i, j)
    for q in range(n // 2):
        qc.swap(q, n - 1 - q)
    return qc


def test_block_lowering_of_qft_uses_a_phase_pass():
    """QFT on 14 qubits with 9-qubit blocks: the controlled phases between the halves run
    as one phase pass, and the state equals the one computed gate by gate."""
    qc = _qft(14)
    lowered = compile_gates(qc.instructions, num_qubits=14, precision="double")
    assert any(isinstance(g, PhaseProgram) for g in lowered)
    assert sum(g.num_gates for g in lowered) == len(qc.instructions)
    np.testing.assert_allclose(final_state(qc), final_state(qc, fusion=False), atol=1e-12)



@pytest.mark.parametrize("seed", range(6))
def test_compiled_lowering_matches_the_reference(seed):
    """The numba lowering gives the Python reference's program: same rows, kinds and final
    rows, parameters equal to rounding (dense, controlled, diagonal, monomial gates)."""
    rng = np.random.default_rng(500 + seed)
    gates = []
    for _ in range(60):
        width = int(rng.choice([1, 1, 2, 2, 3]))
        qubits = [int(q) for q in rng.choice(6, size=width, replace=False)]
        kind = ["dense", "diagonal", "monomial", "controlled"][int(rng.integers(4))]
        gates.append((structured("dense" if width == 1 and kind == "controlled" else kind,
                                 width, rng), qubits))
    gates += [(np.array([[1, 1], [1, -1]]) / np.sqrt(2), [q]) for q in range(6)]
    qubits = tuple(range(6))
    ref = compile_block(qubits, gates, compiled=False)
    got = compile_block(qubits, gates)
    for name in ("kinds", "row_start", "row_count", "rows", "par_start", "aux", "final_rows"):
        np.testing.assert_array_equal(getattr(got, name), getattr(ref, name))
    np.testing.assert_allclose(got.par_re, ref.par_re, atol=1e-14)
    np.testing.assert_allclose(got.par_im, ref.par_im, atol=1e-14)


def test_single_qubit_micro_ops_match_the_general_path():
    from kuafu.sim._reference_lowering import _micro_1q
    from kuafu.sim.blocks import _micro

    rng = np.random.default_rng(7)
    h = np.array([[1, 1], [1, -1]]) / np.sqrt(2)
    for m in [random_unitary(2, rng), random_unitary(2, rng), h, np.eye(2), np.diag([1, 1j]),
              np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]])]:
        m = np.asarray(m, dtype=complex)
        fast, slow = _micro_1q(m, 3), _micro(m, [3])
        assert [(k_, q) for k_, q, _ in fast] == [(k_, q) for k_, q, _ in slow]
        for (_, _, x), (_, _, y) in zip(fast, slow, strict=True):
            for u, v in zip(x, y, strict=True) if isinstance(x, tuple) else [(x, y)]:
                np.testing.assert_allclose(u, v, atol=1e-15)
