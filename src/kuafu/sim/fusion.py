"""Gate fusion: multiply runs of gates on a few qubits into one matrix before they touch the state.

A statevector simulator spends its time streaming the state through memory once per gate
(and, for wide fused gates, multiplying). Fusion trades passes for arithmetic: ``k`` gates on
the same small set of qubits become one pass with a ``2**q x 2**q`` matrix. `CostModel` says
what a pass costs for a block of a given width and structure, in units of one single-qubit
gate pass, and `fuse` merges greedily whenever the merged block costs no more than the parts.

The greedy pass follows the circuit's dependency order, not its list order: each qubit has at
most one *open* block (the last block touching it). A new gate either joins the open blocks on
its qubits (those it chooses to merge with become one block) or closes them and opens its own.
Blocks on disjoint qubits commute, so closing a block early never reorders dependent gates.

Fused blocks whose matrix is diagonal or a permutation with phases (monomial) are tagged so the
simulator uses its cheap kernels; dense blocks that are controlled single-qubit gates are tagged
too. Matrices of `FusedGate` are little-endian over ascending qubits (bit j <-> qubits[j]).
"""

from __future__ import annotations

import enum
import functools
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from . import _lowering

__all__ = [
    "CostModel",
    "FusedGate",
    "GateKind",
    "PhaseProgram",
    "classify",
    "fuse",
    "partition",
    "phase_program",
    "to_little_endian",
]


class GateKind(enum.StrEnum):
    """Which kernel a (fused) gate needs."""

    IDENTITY = "identity"
    DIAGONAL = "diagonal"
    MONOMIAL = "monomial"
    CONTROLLED = "controlled"
    DENSE = "dense"


@dataclass(frozen=True)
class FusedGate:
    """A gate ready for the kernels.

    Attributes:
        qubits: the qubits it acts on, ascending.
        matrix: complex128 unitary, little-endian over `qubits`.
        kind: the structure of `matrix`, which decides the kernel.
        num_gates: how many circuit gates it stands for.
    """

    qubits: tuple[int, ...]
    matrix: np.ndarray = field(repr=False)
    kind: GateKind
    num_gates: int = 1


@dataclass(frozen=True)
class CostModel:
    """Relative cost of one gate pass over a large state, one single-qubit gate pass = 1.

    Attributes:
        dense: cost of a dense block by width (index = number of qubits; index 0 unused).
        diagonal: cost of a diagonal block of any width.
        monomial: cost of a permutation-with-phases block of any width.
        max_qubits: the widest block fusion may build.
    """

    dense: tuple[float, ...] = (0.0, 1.0, 1.1, 1.3, 2.0, 3.6)
    diagonal: float = 0.9
    monomial: float = 1.0
    max_qubits: int = 5

    def cost(self, width: int, kind: GateKind) -> float:
        """The cost of one block of `width` qubits and structure `kind`."""
        if kind is GateKind.IDENTITY:
            return 0.0
        if kind is GateKind.DIAGONAL:
            return self.diagonal
        if kind is GateKind.MONOMIAL:
            return self.monomial
        if width < len(self.dense):
            return self.dense[width]
        return self.dense[-1] * 2.0 ** (width - len(self.dense) + 1)


def to_little_endian(
    matrix: np.ndarray, qubits: Sequence[int]
) -> tuple[tuple[int, ...], np.ndarray]:
    """Rewrite a gate matrix, big-endian over `qubits` (list order), over ascending qubits.

    Returns:
        (ascending qubits, matrix whose index bit j is the value of the j-th smallest qubit).
    """
    k = len(qubits)
    order = tuple(sorted(qubits))
    if len(set(order)) != k:
        raise ValueError(f"repeated qubit in {tuple(qubits)}")
    # Tensor axis i of the big-endian matrix is qubits[i]; little-endian wants the largest
    # qubit first (most significant), i.e. axes ordered by descending qubit.
    want = [qubits.index(q) for q in reversed(order)]
    t = np.asarray(matrix).reshape((2,) * (2 * k))
    t = t.transpose(want + [k + w for w in want])
    return order, t.reshape(1 << k, 1 << k)


def classify(matrix: np.ndarray, atol: float = 0.0) -> GateKind:
    """The structure of a unitary: identity, diagonal, monomial, controlled-1q or dense.

    `CONTROLLED` means: every qubit but one is a control (identity where it is 0), which
    `controlled_parts` turns into the control mask and the 2x2 target matrix.
    """
    dim = matrix.shape[0]
    if dim == 2:
        return _classify_2x2(matrix, atol)
    nonzero = np.abs(matrix) > atol
    one_per_row_and_column = np.all(nonzero.sum(axis=0) == 1) and np.all(nonzero.sum(axis=1) == 1)
    if np.count_nonzero(nonzero) == dim and one_per_row_and_column:
        if not np.all(np.diag(nonzero)):
            return GateKind.MONOMIAL
        if np.allclose(matrix, np.eye(dim), rtol=0, atol=max(atol, 1e-15)):
            return GateKind.IDENTITY
        return GateKind.DIAGONAL
    if dim > 2 and controlled_parts(matrix, atol=max(atol, 1e-14)) is not None:
        return GateKind.CONTROLLED
    return GateKind.DENSE


def _classify_2x2(m: np.ndarray, atol: float) -> GateKind:
    a, b, c, d = (abs(complex(x)) > atol for x in m.reshape(-1))
    if not b and not c:
        if abs(m[0, 0] - 1) <= max(atol, 1e-15) and abs(m[1, 1] - 1) <= max(atol, 1e-15):
            return GateKind.IDENTITY
        return GateKind.DIAGONAL
    if not a and not d:
        return GateKind.MONOMIAL
    return GateKind.DENSE


def controlled_parts(matrix: np.ndarray, atol: float = 1e-14) -> tuple[int, int, np.ndarray] | None:
    """For a little-endian matrix that is a multi-controlled 1-qubit gate: (control bits mask
    over local indices, local target bit, 2x2 matrix); otherwise None."""
    dim = matrix.shape[0]
    k = dim.bit_length() - 1
    for target in range(k):
        mask = (dim - 1) ^ (1 << target)
        expected = np.eye(dim, dtype=complex)
        expected[mask, mask] = matrix[mask, mask]
        expected[mask, mask | (1 << target)] = matrix[mask, mask | (1 << target)]
        expected[mask | (1 << target), mask] = matrix[mask | (1 << target), mask]
        full = mask | (1 << target)
        expected[full, full] = matrix[full, full]
        if np.allclose(matrix, expected, rtol=0, atol=atol):
            sub = np.array(
                [[matrix[mask, mask], matrix[mask, full]], [matrix[full, mask], matrix[full, full]]]
            )
            return mask, target, sub
    return None


@dataclass(eq=False)
class _Block:
    qubits: set[int]
    ops: list[tuple[np.ndarray, tuple[int, ...]]]
    kind: GateKind
    order: int


def _gate_kind(matrix: np.ndarray) -> GateKind:
    kind = classify(matrix)
    return GateKind.DENSE if kind is GateKind.CONTROLLED else kind


def _merged_kind(kinds: Iterable[GateKind]) -> GateKind:
    kinds = set(kinds) - {GateKind.IDENTITY}
    if not kinds:
        return GateKind.IDENTITY
    if kinds == {GateKind.DIAGONAL}:
        return GateKind.DIAGONAL
    if kinds <= {GateKind.DIAGONAL, GateKind.MONOMIAL}:
        return GateKind.MONOMIAL
    return GateKind.DENSE


def fuse(
    gates: Iterable[tuple[np.ndarray, Sequence[int]]], cost: CostModel | None = None
) -> list[FusedGate]:
    """Fuse a sequence of unitary gates into fewer, wider ones.

    Args:
        gates: (matrix big-endian over its qubit list, qubit list) pairs in circuit order.
        cost: the cost model; `CostModel()` when None. `max_qubits=0` merges nothing.

    Returns:
        Fused gates whose product, in order, equals the product of `gates`.
    """
    return [_finish(b) for b in _greedy(gates, cost or CostModel())]


def partition(
    gates: Iterable[tuple[np.ndarray, Sequence[int]]],
    max_qubits: int,
    *,
    split: int = 0,
) -> list[tuple[tuple[int, ...], list[tuple[np.ndarray, tuple[int, ...]]]]]:
    """Group gates into blocks of at most `max_qubits` qubits, keeping each gate separate.

    Used for cache-blocked execution, where a block costs one pass over the state whatever
    its width, so a block should take as many gates as it can. Each block is grown along the
    circuit's light cone: scanning the remaining gates in order, a gate joins the block when
    the block's qubits stay within `max_qubits` and none of its qubits is *blocked*; a gate
    that cannot join blocks its qubits for the rest of the scan, so every gate taken commutes
    with every earlier gate left behind. A block thus runs through as many layers of a
    brickwork as its edges allow, instead of closing at the first gate that leaves it.

    With `split`, a block is of one of three sorts, set by its first gate: a *low* block takes
    only gates on qubits below `split`, a *high* block only gates on qubits from `split` up,
    and a gate with qubits on both sides opens a general block. A block gathers its rows
    from runs of 2**(its lowest qubit) contiguous amplitudes, so a block holding some low
    qubits costs several passes of transposition, and blocks holding all of qubits
    0..split-1 at once (few of them) plus high blocks that stream long runs cost least.

    Returns:
        (ascending block qubits, [(matrix, qubits), ...] in an order valid for the block).
    """
    remaining = [(m, tuple(q)) for m, q in gates]
    universe = {q for _, qs in remaining for q in qs}
    out = []
    while remaining:
        qubits: set[int] = set()
        blocked: set[int] = set()
        taken = []
        rest = []
        first = remaining[0][1]
        lo, hi = 0, 1 << 30
        if split and max(first) < split:
            hi = split
        elif split and min(first) >= split:
            lo = split
        for i, (m, qs) in enumerate(remaining):
            if (blocked.isdisjoint(qs) and lo <= min(qs) and max(qs) < hi
                    and len(qubits.union(qs)) <= max(max_qubits, len(qs))):
                qubits.update(qs)
                taken.append((m, qs))
                continue
            blocked.update(qs)
            rest.append((m, qs))
            if len(blocked) == len(universe):
                rest.extend(remaining[i + 1:])
                break
        out.append((tuple(sorted(qubits)), taken))
        remaining = rest
    return out


def _greedy(
    gates: Iterable[tuple[np.ndarray, Sequence[int]]], cost: CostModel
) -> list[_Block]:
    open_of: dict[int, _Block] = {}
    out: list[_Block] = []
    counter = itertools.count()

    def block_cost(b: _Block) -> float:
        return cost.cost(len(b.qubits), b.kind)

    def close(b: _Block) -> None:
        for q in b.qubits:
            del open_of[q]
        out.append(b)

    for matrix, qubits in gates:
        qubits = tuple(qubits)
        kind = _gate_kind(np.asarray(matrix))
        g_cost = cost.cost(len(qubits), kind)
        touched = list({id(open_of[q]): open_of[q] for q in qubits if q in open_of}.values())
        best: tuple[_Block, ...] = ()
        best_saving = 0.0
        for r in range(1, len(touched) + 1):
            for subset in itertools.combinations(touched, r):
                width = len(set(qubits).union(*(b.qubits for b in subset)))
                if width > max(cost.max_qubits, len(qubits)):
                    continue
                merged = _merged_kind([kind, *(b.kind for b in subset)])
                saving = g_cost + sum(block_cost(b) for b in subset) - cost.cost(width, merged)
                if saving >= best_saving and cost.max_qubits > 0:
                    best, best_saving = subset, saving
        for b in touched:
            if all(b is not c for c in best):
                close(b)
        new = _Block(set(qubits), [], kind, next(counter))
        for b in sorted(best, key=lambda b: b.order):
            new.qubits |= b.qubits
            new.ops.extend(b.ops)
            new.kind = _merged_kind([new.kind, b.kind])
            for q in b.qubits:
                del open_of[q]
        new.ops.append((np.asarray(matrix), qubits))
        for q in new.qubits:
            open_of[q] = new
    out.extend(sorted({id(b): b for b in open_of.values()}.values(), key=lambda b: b.order))
    return out


def _finish(block: _Block) -> FusedGate:
    qubits = tuple(sorted(block.qubits))
    matrix = _product(block.ops, qubits)
    kind = classify(matrix) if block.kind is not GateKind.DENSE else _dense_kind(matrix)
    return FusedGate(qubits, matrix, kind, len(block.ops))


def _dense_kind(matrix: np.ndarray) -> GateKind:
    if matrix.shape[0] > 2 and controlled_parts(matrix) is not None:
        return GateKind.CONTROLLED
    return GateKind.DENSE


def _product(ops: list[tuple[np.ndarray, tuple[int, ...]]], qubits: tuple[int, ...]) -> np.ndarray:
    """Multiply `ops` (big-endian over their own qubit lists) into one little-endian matrix."""
    k = len(qubits)
    if len(ops) == 1:
        return to_little_endian(ops[0][0], list(ops[0][1]))[1]
    dim = 1 << k
    # Tensor with k row axes (axis i <-> qubit qubits[k-1-i], little-endian) and one column axis.
    tensor = np.eye(dim, dtype=complex).reshape((2,) * k + (dim,))
    for matrix, op_qubits in ops:
        m = len(op_qubits)
        gate = np.asarray(matrix, dtype=complex).reshape((2,) * (2 * m))
        axes = [k - 1 - qubits.index(q) for q in op_qubits]
        moved = np.tensordot(gate, tensor, axes=(list(range(m, 2 * m)), axes))
        tensor = np.moveaxis(moved, list(range(m)), axes)
    return tensor.reshape(dim, dim)


# ----------------------------------------------------------------------------- block programs

OP_PAIR_REAL = 0
OP_PAIR_COMPLEX = 1
OP_PHASE = 2
OP_GROUP = 3
OP_ROTATIONS = 4
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


def compile_block(
    qubits: tuple[int, ...],
    ops: Sequence[tuple[np.ndarray, Sequence[int]]],
    *,
    compiled: bool = True,
) -> BlockProgram:
    """Lower the gates `ops` (big-endian matrices over global qubits) on block `qubits`.

    `compiled=False` runs the Python reference lowering (`_Lowering`) instead of its numba
    twin (`_lowering.lower`); both give the same program."""
    local = {q: j for j, q in enumerate(qubits)}
    if not compiled:
        micro = [_micro_of(np.asarray(m, dtype=complex), [local[q] for q in qs])
                 for m, qs in ops]
        lowering = _Lowering(len(qubits))
        for op in _schedule([o for group in micro for o in group]):
            lowering.apply(op)
        return lowering.finish(qubits, len(ops))
    encoded = _encode_block(ops, local)
    order = _lowering.schedule(len(qubits), *encoded[:3])
    kinds, row_start, row_count, rows, par_start, params, aux, final_rows = _lowering.lower(
        len(qubits), order, *encoded)
    return BlockProgram(qubits, kinds, row_start, row_count, rows, par_start,
                        np.ascontiguousarray(params.real), np.ascontiguousarray(params.imag),
                        aux, final_rows, len(ops))


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
        if len(gq) == 1:
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


def _micro_of(matrix: np.ndarray, local: list[int]) -> list[tuple]:
    """`_micro`, remembered for multi-qubit gates (the same CX or CP on the same local qubits
    recurs throughout a circuit; classifying a 4x4 matrix costs ~20 us)."""
    if len(local) == 1:
        return _micro_1q(matrix, local[0])
    return _micro_cached(matrix.tobytes(), matrix.shape[0], tuple(local))


@functools.lru_cache(maxsize=4096)
def _micro_cached(data: bytes, dim: int, local: tuple[int, ...]) -> list[tuple]:
    return _micro(np.frombuffer(data, dtype=complex).reshape(dim, dim), list(local))


def _micro_1q(m: np.ndarray, q: int) -> list[tuple]:
    """`_micro` of a 2x2 matrix in Python complex arithmetic (numpy scalars cost ~10x more;
    a random circuit lowers hundreds of single-qubit gates)."""
    a, b, c, d = m.ravel().tolist()
    order = (q,)
    if b == 0 and c == 0:
        if abs(a - 1) <= 1e-15 and abs(d - 1) <= 1e-15:
            return [("phase", order, np.ones(2, complex))]
        return [("phase", order, np.array([a, d]))]
    if a == 0 and d == 0:
        return [("perm", order, (np.array([1, 0]), np.array([c, b])))]
    cos, sin = abs(a), abs(c)
    if not (a.imag or b.imag or c.imag or d.imag) or cos < 1e-12 or sin < 1e-12:
        return [("rot", order, m)]
    a0, a1 = a / cos, c / sin
    b1 = -b / (a0 * sin)
    return [("cphase", order, np.array([1, b1])),
            ("rot", order, np.array([[cos, -sin], [sin, cos]], dtype=complex)),
            ("cphase", order, np.array([a0, a1]))]


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


def _is_phase_like(op: tuple) -> bool:
    return op[0] in ("phase", "perm", "cphase")


def _schedule(ops: list[tuple]) -> list[tuple]:
    """Reorder commuting micro-ops: take every ready phase/permutation first, then every
    ready rotation, so one phase flush serves a whole layer of rotations."""
    queues: dict[int, list[int]] = {}
    for i, op in enumerate(ops):
        for q in op[1]:
            queues.setdefault(q, []).append(i)
    heads = {q: 0 for q in queues}
    done = [False] * len(ops)

    def ready(i: int) -> bool:
        return all(queues[q][heads[q]] == i for q in ops[i][1])

    def take(i: int) -> None:
        done[i] = True
        for q in ops[i][1]:
            heads[q] += 1

    out: list[tuple] = []
    remaining = len(ops)
    while remaining:
        front = sorted({queues[q][heads[q]] for q in queues if heads[q] < len(queues[q])})
        phase = [i for i in front if _is_phase_like(ops[i]) and ready(i)]
        batch = phase or [i for i in front if ready(i)]
        for i in batch:
            take(i)
            out.append(ops[i])
        remaining -= len(batch)
    return out


@functools.lru_cache(maxsize=1024)
def _states_with(k: int, clear: int, set_: int) -> np.ndarray:
    """The local basis states of `k` qubits with every bit of `clear` 0 and of `set_` 1."""
    index = np.arange(1 << k)
    out = index[((index & clear) == 0) & ((index & set_) == set_)]
    out.flags.writeable = False
    return out


@functools.lru_cache(maxsize=1024)
def _local_index(k: int, qubits: tuple[int, ...]) -> np.ndarray:
    """For every local basis state of `k` qubits, its index over `qubits` (bit j <-> qubits[j])."""
    index = np.arange(1 << k)
    idx = np.zeros(1 << k, dtype=np.int64)
    for j, q in enumerate(qubits):
        idx |= ((index >> q) & 1) << j
    idx.flags.writeable = False
    return idx


@functools.lru_cache(maxsize=1024)
def _permuted(k: int, qubits: tuple[int, ...], perm: tuple[int, ...]) -> np.ndarray:
    """Where each local basis state goes under the permutation `perm` of `qubits`."""
    index = np.arange(1 << k)
    moved = np.asarray(perm)[_local_index(k, qubits)]
    dest = index.copy()
    for j, q in enumerate(qubits):
        dest &= ~(1 << q)
        dest |= ((moved >> j) & 1) << q
    dest.flags.writeable = False
    return dest


class _Lowering:
    """Tracks which buffer row holds each local basis state and its pending phase.

    The index sets it needs (states with some bits set or clear, a permutation's image)
    depend only on the block width and the gate's local qubits, so they are cached.
    """

    def __init__(self, k: int) -> None:
        self.k = k
        self.dim = 1 << k
        self.index = np.arange(self.dim)
        self.where = np.arange(self.dim)  # local basis state a lives in buffer row where[a]
        self.phase = np.ones(self.dim, complex)
        self.kinds: list[int] = []
        self.rows: list[np.ndarray] = []
        self.params: list[np.ndarray] = []
        self.aux: list[int] = []
        self.pending: list[tuple[int, np.ndarray]] = []  # real rotations (target, 2x2)

    def _joins(self, qubits: Sequence[int], u: np.ndarray) -> bool:
        """Whether a rotation may wait with the pending ones, to share their sweep."""
        return (len(qubits) == 1 and not u.imag.any()
                and all(t != qubits[0] for t, _ in self.pending))

    def _emit_rotations(self) -> None:
        """Emit the pending real rotations: one pair op, or one sweep over row groups.

        Rotations only wait while nothing else happens to the rows, so the pending phases
        are constant on each waiting rotation's pairs; the phase flushes of later rotations
        in the group therefore commute with the earlier ones and may be emitted first.
        """
        pending, self.pending = self.pending, []
        if not pending:
            return
        if len(pending) == 1:
            t, u = pending[0]
            x = _states_with(self.k, 1 << t, 0)
            pairs = np.stack([self.where[x], self.where[x | (1 << t)]], axis=1).reshape(-1)
            self._emit(OP_PAIR_REAL, pairs, u.reshape(-1))
            return
        offs = np.zeros(1 << len(pending), dtype=np.int64)
        for a in range(offs.size):
            offs[a] = sum(1 << t for j, (t, _) in enumerate(pending) if a >> j & 1)
        mask = int(offs[-1])
        bases = _states_with(self.k, mask, 0)
        rows = self.where[bases[:, None] + offs[None, :]].reshape(-1)
        params = np.concatenate([u.real.reshape(-1) for _, u in pending])
        self._emit(OP_ROTATIONS, rows, params, len(pending))

    def apply(self, op: tuple) -> None:
        kind, qubits, data = op
        if not (kind == "rot" and self._joins(qubits, data)):
            self._emit_rotations()
        if kind == "phase":
            self.phase = self.phase * data[_local_index(self.k, tuple(qubits))]
        elif kind == "cphase":
            *controls, target = qubits
            cmask = sum(1 << c for c in controls)
            tbit = 1 << target
            for value, states in ((data[0], _states_with(self.k, tbit, cmask)),
                                  (data[1], _states_with(self.k, 0, cmask | tbit))):
                if value != 1:
                    self.phase[states] *= value
        elif kind == "perm":
            perm, phases = data
            qubits = tuple(qubits)
            dest = _permuted(self.k, qubits, tuple(int(p) for p in perm))
            where, phase = self.where.copy(), self.phase.copy()
            where[dest] = self.where
            if np.any(phases != 1):
                phase[dest] = self.phase * phases[_local_index(self.k, qubits)]
            else:
                phase[dest] = self.phase
            self.where, self.phase = where, phase
        elif kind == "rot":
            self._rotation(qubits, data)
        else:
            self._dense(qubits, data)

    def _flush(self, states: np.ndarray) -> None:
        states = states[np.abs(self.phase[states] - 1) > 0]
        if states.size:
            self._emit(OP_PHASE, self.where[states], self.phase[states])
            self.phase[states] = 1

    def _rotation(self, qubits: Sequence[int], u: np.ndarray) -> None:
        *controls, target = qubits
        cmask = sum(1 << c for c in controls)
        tbit = 1 << target
        x = _states_with(self.k, tbit, cmask)
        y = _states_with(self.k, 0, cmask | tbit)
        differ = np.abs(self.phase[x] - self.phase[y]) > _SAME_PHASE
        if differ.any():
            self._flush(np.concatenate([x[differ], y[differ]]))
        if self._joins(qubits, u):
            self.pending.append((target, u))
            if len(self.pending) == _MAX_ROTATIONS:
                self._emit_rotations()
            return
        pairs = np.stack([self.where[x], self.where[y]], axis=1).reshape(-1)
        if np.all(u.imag == 0):
            self._emit(OP_PAIR_REAL, pairs, u.reshape(-1))
        else:
            self._emit(OP_PAIR_COMPLEX, pairs, u.reshape(-1))

    def _dense(self, qubits: Sequence[int], m: np.ndarray) -> None:
        mask = sum(1 << q for q in qubits)
        bases = _states_with(self.k, mask, 0)
        offs = np.zeros(1 << len(qubits), dtype=np.int64)
        for a in range(offs.size):
            offs[a] = sum(1 << q for j, q in enumerate(qubits) if a >> j & 1)
        groups = bases[:, None] + offs[None, :]
        uniform = np.all(np.abs(self.phase[groups] - self.phase[groups[:, :1]]) <= _SAME_PHASE,
                         axis=1)
        self._flush(groups[~uniform].reshape(-1))
        self._emit(OP_GROUP, self.where[groups].reshape(-1), m.reshape(-1), len(qubits))

    def _emit(self, kind: int, rows: np.ndarray, params: np.ndarray, aux: int = 0) -> None:
        self.kinds.append(kind)
        self.rows.append(np.asarray(rows, dtype=np.int64))
        self.params.append(np.asarray(params, dtype=complex))
        self.aux.append(aux)

    def finish(self, qubits: tuple[int, ...], num_gates: int) -> BlockProgram:
        self._emit_rotations()
        self._flush(self.index)
        counts = np.array([r.size for r in self.rows], dtype=np.int64)
        sizes = np.array([p.size for p in self.params], dtype=np.int64)
        params = np.concatenate(self.params) if self.params else np.zeros(0, complex)
        return BlockProgram(
            qubits=qubits,
            kinds=np.array(self.kinds, dtype=np.int64),
            row_start=np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
            if counts.size else np.zeros(0, np.int64),
            row_count=counts,
            rows=np.concatenate(self.rows) if self.rows else np.zeros(0, np.int64),
            par_start=np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
            if sizes.size else np.zeros(0, np.int64),
            par_re=np.ascontiguousarray(params.real),
            par_im=np.ascontiguousarray(params.imag),
            aux=np.array(self.aux, dtype=np.int64),
            final_rows=self.where.astype(np.int64),
            num_gates=num_gates,
        )
