"""Block programs: a cache block's gates lowered to micro-operations on buffer rows.

`fusion.partition` groups a circuit's gates into blocks of at most ~10 qubits;
`compile_block` lowers each block's gates into a `BlockProgram` (what `_kernels.apply_block`
runs: one gather, many in-cache row operations, one scatter per batch of the state), and
`phase_program` turns runs of one- and two-qubit diagonal gates into a `PhaseProgram` (one
streaming pass). The lowering itself is compiled (`_lowering`); its readable Python twin,
which only the tests run, is `_reference_lowering`.

A gate reaches the lowering as *micro-operations* (`encode_gates`): phases, controlled
phases, permutations with phases, real or complex 2x2 rotations (with controls) and dense
matrices. Unitary gates are split by `_micro`; other engines may pass their own
micro-operations (`Encoded`), for instance the density-matrix engine's channels.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import _lowering
from .fusion import GateKind, classify, controlled_parts, to_little_endian

__all__ = [
    "BlockProgram",
    "Encoded",
    "PhaseProgram",
    "compile_block",
    "phase_program",
]

OP_PAIR_REAL = 0
OP_PAIR_COMPLEX = 1
OP_PHASE = 2
OP_GROUP = 3
OP_ROTATIONS = 4
OP_PHASED_ROTATIONS = 5
_SAME_PHASE = 1e-13
_MAX_ROTATIONS = 3


@dataclass(frozen=True)
class BlockProgram:
    """Gates of one block, lowered to micro-operations on a cache-resident buffer.

    The kernel gathers, for a batch of groups, the 2**k amplitudes of every local basis state
    (a *row*) into a buffer, runs the operations, and writes row `final_rows[a]` back as local
    basis state `a`. Permutations (X, CX, SWAP, CCX...) cost nothing: they only relabel rows at
    compile time. Diagonal phases are carried along and applied (an `OP_PHASE`) only where a
    rotation would mix rows with different pending phases. A single-qubit unitary is split
    into phase * real rotation * phase, so layers of rotations run in real arithmetic.

    Attributes:
        qubits: the block's qubits, ascending (local qubit j = qubits[j]).
        kinds: operation codes (`OP_PAIR_REAL`, `OP_PAIR_COMPLEX`, `OP_PHASE`, `OP_GROUP`,
            `OP_ROTATIONS`: real rotations on 2 or 3 qubits applied in one sweep over
            groups of 4 or 8 rows).
        row_start, row_count: each operation's slice of `rows` (pairs, rows or row groups).
        rows: physical buffer rows the operations act on.
        par_start: each operation's offset into `par_re`/`par_im`.
        par_re, par_im: real and imaginary parts of matrices and phases (float64).
        aux: for `OP_GROUP` and `OP_ROTATIONS`, the number of qubits of the group.
        final_rows: the buffer row holding local basis state a at the end.
        num_gates: circuit gates in the block.
    """

    qubits: tuple[int, ...]
    kinds: np.ndarray
    row_start: np.ndarray
    row_count: np.ndarray
    rows: np.ndarray
    par_start: np.ndarray
    par_re: np.ndarray
    par_im: np.ndarray
    aux: np.ndarray
    final_rows: np.ndarray
    num_gates: int


@dataclass(frozen=True)
class PhaseProgram:
    """Diagonal gates on one or two qubits, applied together in one pass over the state.

    Attributes:
        low, high: each gate's qubits, ascending (`high` is -1 for a single-qubit gate).
        diag: (gates, 4) complex128 phases; bit 0 of the column is the value of `low`,
            bit 1 that of `high`.
        num_gates: circuit gates it stands for.
    """

    low: np.ndarray
    high: np.ndarray
    diag: np.ndarray
    num_gates: int


def phase_program(ops: Sequence[tuple[np.ndarray, Sequence[int]]]) -> PhaseProgram | None:
    """`ops` (big-endian matrices over their qubit lists) as a `PhaseProgram`, or None when
    one of them is not diagonal or acts on more than two qubits."""
    low, high, diag = [], [], []
    for matrix, qubits in ops:
        m = np.asarray(matrix)
        if len(qubits) > 2 or np.count_nonzero(m - np.diag(np.diagonal(m))):
            return None
        order, m = to_little_endian(m, list(qubits))
        d = np.diagonal(m)
        low.append(order[0])
        high.append(order[1] if len(order) == 2 else -1)
        diag.append(d if d.size == 4 else np.concatenate([d, d]))
    return PhaseProgram(np.array(low, dtype=np.int64), np.array(high, dtype=np.int64),
                        np.array(diag, dtype=complex).reshape(-1, 4), len(ops))


@dataclass(frozen=True)
class Encoded:
    """An operation given as micro-operations instead of a unitary matrix.

    `_micro` splits unitaries only (its phase-rotation-phase split needs unitarity); an
    engine whose operations are not unitary (a channel's superoperator) encodes them itself.

    Attributes:
        pieces: (code, qubits, data, permutation) per micro-operation, in order: `code` one
            of `_lowering.M_PHASE`, `M_CPHASE`, `M_PERM`, `M_ROT`, `M_DENSE`; `qubits`
            positions in the operation's qubit list (controls first, target last for
            `M_CPHASE` and `M_ROT`); `data` and `permutation` as `_lowering` documents.
    """

    pieces: tuple[tuple[int, tuple[int, ...], tuple[complex, ...], tuple[int, ...]], ...]


def compile_block(
    qubits: tuple[int, ...],
    ops: Sequence[tuple[np.ndarray | Encoded, Sequence[int]]],
    *,
    compiled: bool = True,
) -> BlockProgram:
    """Lower the gates `ops` (big-endian matrices over global qubits, or `Encoded`
    micro-operations) on block `qubits`.

    `compiled=False` runs the Python reference lowering (`_reference_lowering`, unitary
    matrices only) instead of its numba twin (`_lowering.lower`); both give the same
    program."""
    local = {q: j for j, q in enumerate(qubits)}
    if not compiled:
        from ._reference_lowering import lower_block

        return fuse_phases_into_rotations(lower_block(qubits, ops))
    encoded = _encode_block(ops, local)
    order = _lowering.schedule(len(qubits), *encoded[:3])
    kinds, row_start, row_count, rows, par_start, params, aux, final_rows = _lowering.lower(
        len(qubits), order, *encoded)
    return fuse_phases_into_rotations(BlockProgram(
        qubits, kinds, row_start, row_count, rows, par_start,
        np.ascontiguousarray(params.real), np.ascontiguousarray(params.imag), aux,
        final_rows, len(ops)))


def fuse_phases_into_rotations(program: BlockProgram) -> BlockProgram:
    """Each `OP_PHASE` directly followed by real rotations (`OP_PAIR_REAL` or
    `OP_ROTATIONS`) over a superset of its rows becomes one `OP_PHASED_ROTATIONS`: the
    phases are applied to the rows as the rotation sweep loads them, which saves a sweep over
    the buffer per layer of single-qubit gates (random brickwork: one phase pass per layer).

    The new operation keeps the rotation's rows; its parameters, appended at the end, are
    the rotation's 4 x aux reals, then one complex phase per row in the rotation's row order
    (1 where the phase left the row alone). aux is 1 for a pair rotation."""
    k = program.kinds
    fusable = np.flatnonzero((k[:-1] == OP_PHASE)
                             & ((k[1:] == OP_PAIR_REAL) | (k[1:] == OP_ROTATIONS)))
    if fusable.size == 0:
        return program
    par = [program.par_re + 1j * program.par_im]
    size = par[0].size
    drop = set()
    kinds, par_start, aux = k.copy(), program.par_start.copy(), program.aux.copy()
    rows = program.rows
    dim = program.final_rows.size
    for i in fusable.tolist():
        j = i + 1
        prow = rows[program.row_start[i]:program.row_start[i] + program.row_count[i]]
        rrow = rows[program.row_start[j]:program.row_start[j] + program.row_count[j]]
        rotated = np.zeros(dim, dtype=bool)
        rotated[rrow] = True
        if not rotated[prow].all():
            continue
        phase = np.ones(dim, dtype=complex)
        phase[prow] = par[0][program.par_start[i]:program.par_start[i] + prow.size]
        nbits = 1 if k[j] == OP_PAIR_REAL else int(program.aux[j])
        p0 = program.par_start[j]
        block = np.concatenate([par[0][p0:p0 + 4 * nbits], phase[rrow]])
        par.append(block)
        kinds[j], aux[j], par_start[j] = OP_PHASED_ROTATIONS, nbits, size
        size += block.size
        drop.add(i)
    keep = np.array([i not in drop for i in range(k.size)])
    allpar = np.concatenate(par)
    return BlockProgram(program.qubits, kinds[keep], program.row_start[keep],
                        program.row_count[keep], rows, par_start[keep],
                        np.ascontiguousarray(allpar.real), np.ascontiguousarray(allpar.imag),
                        aux[keep], program.final_rows, program.num_gates)


def _encode_block(ops: Sequence[tuple[np.ndarray, Sequence[int]]],
                  local: dict[int, int]) -> tuple[np.ndarray, ...]:
    """The gates' micro-ops as the arrays `_lowering.lower` takes (codes, qubit starts,
    qubits, data starts, data, permutation starts, permutations), built in lists: single-qubit
    gates as in `_micro_1q` in Python complex arithmetic, multi-qubit gates from a cache of
    their encoded micro-ops (a random circuit lowers hundreds of gates per block)."""
    codes: list[int] = []
    qs: list[int] = []
    data: list[complex] = []
    perms: list[int] = []
    qstart, dstart, pstart = [0], [0], [0]
    for m, gq in ops:
        if isinstance(m, Encoded):
            pieces = [(code, tuple(local[gq[j]] for j in oq), od, op)
                      for code, oq, od, op in m.pieces]
        elif len(gq) == 1:
            q = local[gq[0]]
            pieces = _encode_1q(*np.asarray(m).ravel().tolist(), q)
        else:
            m = np.asarray(m, dtype=complex)
            pieces = _encoded_cached(m.tobytes(), m.shape[0], tuple(local[q] for q in gq))
        for code, oq, od, op in pieces:
            codes.append(code)
            qs.extend(oq)
            qstart.append(len(qs))
            data.extend(od)
            dstart.append(len(data))
            perms.extend(op)
            pstart.append(len(perms))
    return (np.array(codes, np.int64), np.array(qstart, np.int64), np.array(qs, np.int64),
            np.array(dstart, np.int64), np.array(data, complex), np.array(pstart, np.int64),
            np.array(perms, np.int64))


_CODE = {"phase": _lowering.M_PHASE, "cphase": _lowering.M_CPHASE, "perm": _lowering.M_PERM,
         "rot": _lowering.M_ROT, "dense": _lowering.M_DENSE}


def _encode_1q(a: complex, b: complex, c: complex, d: complex, q: int) -> tuple:
    """`_micro_1q` of [[a, b], [c, d]], encoded: ((code, qubits, data, perm), ...)."""
    if b == 0 and c == 0:
        if abs(a - 1) <= 1e-15 and abs(d - 1) <= 1e-15:
            return ((_lowering.M_PHASE, (q,), (1, 1), ()),)
        return ((_lowering.M_PHASE, (q,), (a, d), ()),)
    if a == 0 and d == 0:
        return ((_lowering.M_PERM, (q,), (c, b), (1, 0)),)
    cos, sin = abs(a), abs(c)
    if not (a.imag or b.imag or c.imag or d.imag) or cos < 1e-12 or sin < 1e-12:
        return ((_lowering.M_ROT, (q,), (a, b, c, d), ()),)
    a0, a1 = a / cos, c / sin
    b1 = -b / (a0 * sin)
    return ((_lowering.M_CPHASE, (q,), (1, b1), ()),
            (_lowering.M_ROT, (q,), (cos, -sin, sin, cos), ()),
            (_lowering.M_CPHASE, (q,), (a0, a1), ()))


@functools.lru_cache(maxsize=4096)
def _encoded_cached(data: bytes, dim: int, local: tuple[int, ...]) -> tuple:
    out = []
    for kind, oq, od in _micro_cached(data, dim, local):
        if kind == "perm":
            out.append((_CODE[kind], tuple(oq), tuple(np.asarray(od[1], complex).tolist()),
                        tuple(int(p) for p in od[0])))
        else:
            out.append((_CODE[kind], tuple(oq), tuple(np.asarray(od, complex).ravel().tolist()),
                        ()))
    return tuple(out)




@functools.lru_cache(maxsize=4096)
def _micro_cached(data: bytes, dim: int, local: tuple[int, ...]) -> list[tuple]:
    return _micro(np.frombuffer(data, dtype=complex).reshape(dim, dim), list(local))




def _micro(matrix: np.ndarray, local: list[int]) -> list[tuple]:
    """One gate as micro-ops: ("phase"|"perm"|"rot"|"dense", local qubits, data)."""
    order, m = ((local[0],), matrix) if len(local) == 1 else to_little_endian(matrix, local)
    kind = classify(m)
    if kind is GateKind.IDENTITY:
        return [("phase", order, np.ones(len(m), complex))]
    if kind is GateKind.DIAGONAL:
        return [("phase", order, np.diag(m).copy())]
    if kind is GateKind.MONOMIAL:
        perm = np.argmax(np.abs(m), axis=0)
        return [("perm", order, (perm, m[perm, np.arange(len(m))]))]
    parts = (0, 0, m) if len(order) == 1 else controlled_parts(m)
    if parts is None:
        return [("dense", order, m)]
    cmask, target, u = parts
    controls = tuple(order[j] for j in range(len(order)) if cmask >> j & 1)
    split = None if not u.imag.any() else _phase_rotation_phase(u)
    if split is None:  # real (H, RY, ...; the pair kernels take any real 2x2) or degenerate
        return [("rot", (*controls, order[target]), u)]
    before, rotation, after = split
    return [
        ("cphase", (*controls, order[target]), before),
        ("rot", (*controls, order[target]), rotation),
        ("cphase", (*controls, order[target]), after),
    ]


def _phase_rotation_phase(u: np.ndarray):
    """u = diag(a) @ [[c, -s], [s, c]] @ diag(b) with real c, s > 0, or None."""
    c, s = abs(u[0, 0]), abs(u[1, 0])
    if c < 1e-12 or s < 1e-12:
        return None
    a0, a1 = u[0, 0] / c, u[1, 0] / s
    b1 = -u[0, 1] / (a0 * s)
    return np.array([1, b1]), np.array([[c, -s], [s, c]], dtype=complex), np.array([a0, a1])
