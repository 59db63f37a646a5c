"""The explicitly vectorised kernels of `kuafu.sim._simd` and the tile moves of blocks that hold
some of qubits 0-3 (`_kernels._tiles_vector`, `_tiles_scalar`), against exact products."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from kuafu.circuit import QuantumCircuit
from kuafu.circuit.gates import u3_matrix
from kuafu.sim import _kernels as k
from kuafu.sim._simd import LANES, dense4_inplace, rotations_inplace
from kuafu.sim.blocks import OP_PHASED_ROTATIONS, BlockProgram, compile_block
from kuafu.sim.statevector import compile_gates, final_state, kernel_call

from .test_sv_kernels import random_state, random_unitary, reference_apply

_TOL = {np.float32: 2e-5, np.float64: 1e-12}


@njit
def _dense4_all(bre, bim, rows, starts, pr, pi, p0):
    for s in starts:
        dense4_inplace(bre, bim, rows, s, 4, pr, pi, p0)


@pytest.mark.parametrize("ftype", [np.float32, np.float64])
@pytest.mark.parametrize("ncols", [LANES, 3 * LANES, 8 * LANES])
@pytest.mark.parametrize("seed", range(3))
def test_dense4_inplace_is_the_matrix_product_on_its_rows(ftype, ncols, seed):
    """Four rows, picked through `rows` at offset s, take the 4x4 complex product; every
    other row is left alone; the matrix is read from its parameter offset."""
    rng = np.random.default_rng(seed)
    nrows = 12
    x = (rng.normal(size=(nrows, ncols)) + 1j * rng.normal(size=(nrows, ncols)))
    bre = np.ascontiguousarray(x.real, dtype=ftype)
    bim = np.ascontiguousarray(x.imag, dtype=ftype)
    rows = rng.permutation(nrows).astype(np.int64)
    u = random_unitary(4, rng)
    p0 = 5
    pr = np.zeros(p0 + 16, dtype=ftype)
    pi = np.zeros(p0 + 16, dtype=ftype)
    pr[p0:] = u.real.ravel()
    pi[p0:] = u.imag.ravel()
    start = (bre + 1j * bim).astype(complex)
    expected = start.copy()
    for s in (0, 8):
        picked = rows[s:s + 4]
        expected[picked] = u @ start[picked]
    _dense4_all(bre, bim, rows, np.array([0, 8], dtype=np.int64), pr, pi, p0)
    np.testing.assert_allclose(bre + 1j * bim, expected, atol=_TOL[ftype] * 10)


_LOW_SETS = [tuple(b for b in range(4) if m >> b & 1) for m in range(1, 16)]


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("low", _LOW_SETS)
@pytest.mark.parametrize("n", [12, 15])
def test_blocks_with_some_low_qubits_match_the_exact_product(dtype, low, n):
    """A block holding some of qubits 0-3 (and high ones) gives the exact product of its
    gates, in both precisions: at 15 qubits through the vector tile moves, at 12 (rows of 4
    columns) through the scalar ones where two or more low qubits allow tiles."""
    rng = np.random.default_rng(sum(low) * 7 + len(low))
    high = tuple(sorted(rng.choice(np.arange(4, n), size=7 - len(low), replace=False)))
    qubits = tuple(sorted(low + tuple(int(q) for q in high)))
    ops = []
    for _ in range(9):
        a, b = rng.choice(qubits, size=2, replace=False)
        ops.append((random_unitary(4, rng), (int(a), int(b))))
    state = random_state(n, rng)
    expected = state.copy()
    for m, qs in ops:
        expected = reference_apply(expected, m, qs)
    got = state.astype(dtype)
    kern, args = kernel_call(compile_block(qubits, ops), got.dtype)
    kern(got, *args)
    tol = 1e-4 if dtype == np.complex64 else 1e-11
    np.testing.assert_allclose(got, expected, atol=tol)


def test_tile_layout_places_low_and_other_bits():
    """pos[l, m] puts local state l on the block's low qubits and m on the tile's others."""
    qubits = np.array([1, 3, 6, 9], dtype=np.int64)
    high_q, pos = k._tile_layout(qubits, 2)
    assert high_q.tolist() == [2, 5]
    # l bit 0 -> qubit 1, l bit 1 -> qubit 3; m bit 0 -> qubit 0, m bit 1 -> qubit 2
    assert pos.tolist() == [[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15]]


@njit
def _rotations(bre, bim, rows, s, pr, p0, three):
    pi = np.zeros_like(pr)
    if three:
        rotations_inplace(bre, bim, rows, s, 8, pr, pi, p0, 0, 3)
    else:
        rotations_inplace(bre, bim, rows, s, 4, pr, pi, p0, 0, 2)


@pytest.mark.parametrize("ftype", [np.float32, np.float64])
@pytest.mark.parametrize("nbits", [2, 3])
def test_rotations_inplace_apply_each_row_bit_in_order(ftype, nbits):
    """Real 2x2 matrices on row bits 0, 1(, 2) of the rows picked at offset s, both planes."""
    rng = np.random.default_rng(nbits)
    nrows, ncols = 16, 2 * LANES
    x = rng.normal(size=(nrows, ncols)) + 1j * rng.normal(size=(nrows, ncols))
    bre = np.ascontiguousarray(x.real, dtype=ftype)
    bim = np.ascontiguousarray(x.imag, dtype=ftype)
    rows = rng.permutation(nrows).astype(np.int64)
    mats = [rng.normal(size=(2, 2)) for _ in range(nbits)]
    p0, s = 3, 4
    pr = np.concatenate([np.zeros(p0), *[m.ravel() for m in mats]]).astype(ftype)
    expected = (bre + 1j * bim).astype(complex)
    picked = rows[s:s + (1 << nbits)]
    block = expected[picked].reshape((2,) * nbits + (ncols,))
    for j, m in enumerate(mats):  # row bit j is axis nbits - 1 - j of the reshaped rows
        block = np.moveaxis(np.tensordot(m, block, axes=(1, nbits - 1 - j)), 0, nbits - 1 - j)
    expected[picked] = block.reshape(1 << nbits, ncols)
    _rotations(bre, bim, rows, s, pr, p0, nbits == 3)
    np.testing.assert_allclose(bre + 1j * bim, expected, atol=_TOL[ftype] * 10)


def test_kernels_record_the_code_generation_they_were_cached_with():
    """numba's cache of `_kernels` is keyed on _kernels.py's text: after editing `_simd.py`
    or `_jit.py`, update `_kernels.CODEGEN_SOURCES` to the hashes this test prints."""
    import hashlib
    from pathlib import Path

    here = Path(k.__file__).parent
    actual = {name: hashlib.sha256((here / name).read_bytes()).hexdigest()[:16]
              for name in k.CODEGEN_SOURCES}
    assert actual == k.CODEGEN_SOURCES


def _brickwork(n: int, layers: int, rng: np.random.Generator) -> QuantumCircuit:
    qc = QuantumCircuit(n)
    for layer in range(layers):
        for q in range(n):
            qc.u3(*rng.uniform(0, 2 * np.pi, 3), q)
        for q in range(layer % 2, n - 1, 2):
            qc.cz(q, q + 1)
    return qc


@pytest.mark.parametrize("precision", ["single", "double"])
@pytest.mark.parametrize("n", [9, 15])
def test_phased_rotations_in_blocks_match_the_unfused_engine(precision, n):
    """Brickwork of U3 layers and CZs: the blocks fuse each layer's phase pass into its first
    rotation sweep (`OP_PHASED_ROTATIONS`, vector kernel at 15 qubits, scalar rows at 9),
    and the state is the unfused engine's."""
    qc = _brickwork(n, 6, np.random.default_rng(n))
    gates = [i for i in qc.instructions]
    programs = compile_gates(gates, num_qubits=n, precision=precision)
    assert any(isinstance(p, BlockProgram) and (p.kinds == OP_PHASED_ROTATIONS).any()
               for p in programs)
    got = final_state(qc, precision=precision)
    expected = final_state(qc, fusion=False, precision="double")
    tol = 2e-5 if precision == "single" else 1e-11
    np.testing.assert_allclose(got, expected, atol=tol)


def test_phase_fusion_keeps_the_program_product():
    """fuse_phases_into_rotations drops each fused phase operation and leaves the rest."""
    rng = np.random.default_rng(4)
    ops = []
    for _ in range(3):
        for q in range(5):
            ops.append((u3_matrix(*rng.uniform(0, 6, 3)), (q,)))
        ops.append((np.diag([1, 1, 1, -1]).astype(complex), (0, 1)))
    program = compile_block(tuple(range(5)), ops)
    assert (program.kinds == OP_PHASED_ROTATIONS).any()
    assert not (program.kinds[:-1] == 2)[(program.kinds[1:] == OP_PHASED_ROTATIONS)].any()
    state = random_state(5, rng)
    expected = state.copy()
    for m, qs in ops:
        expected = reference_apply(expected, m, qs)
    kern, args = kernel_call(program, state.dtype)
    got = state.copy()
    kern(got, *args)
    np.testing.assert_allclose(got, expected, atol=1e-11)
