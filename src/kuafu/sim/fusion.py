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

`partition` groups gates for cache-blocked execution instead; `kuafu.sim.blocks` lowers each
group to a `BlockProgram` (re-exported here, with `PhaseProgram`, `compile_block` and
`phase_program`), and `kuafu.sim._reference_lowering` holds the readable Python lowering the
tests check the compiled one against.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "CostModel",
    "FusedGate",
    "GateKind",
    "classify",
    "controlled_parts",
    "fuse",
    "fuse_pair_runs",
    "pair_runs",
    "partition",
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
    if nonzero.all():  # no zero entry: neither diagonal, monomial nor controlled
        return GateKind.DENSE
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
    seeds: int = 1,
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

    With `seeds` > 1, a block may start from any of the first `seeds` gates of the *front*
    (gates no earlier remaining gate shares a qubit with, so each may go first): the block is
    grown from each and the one taking most gates kept (the earliest on a tie). The first
    gate alone often opens a block that closes at once (Quantum Volume at 24 qubits: 45
    blocks from the first gate, 33 from the best of 16 seeds).

    Returns:
        (ascending block qubits, [(matrix, qubits), ...] in an order valid for the block).
    """
    remaining = [(m, tuple(q)) for m, q in gates]
    universe = {q for _, qs in remaining for q in qs}
    out = []
    while remaining:
        best: tuple[set[int], list[int]] | None = None
        for seed in _front(remaining, seeds, len(universe)):
            qubits, taken = _grow(remaining, seed, max_qubits, split, len(universe))
            if best is None or len(taken) > len(best[1]):
                best = (qubits, taken)
        assert best is not None
        qubits, taken = best
        chosen = set(taken)
        out.append((tuple(sorted(qubits)), [remaining[i] for i in taken]))
        remaining = [g for i, g in enumerate(remaining) if i not in chosen]
    return out


def _front(remaining, count: int, nqubits: int) -> list[int]:
    """Indices of the first `count` gates that no earlier gate of `remaining` shares a qubit
    with (the first gate always)."""
    seen: set[int] = set()
    front = []
    for i, (_, qs) in enumerate(remaining):
        if seen.isdisjoint(qs):
            front.append(i)
            if len(front) >= count:
                break
        seen.update(qs)
        if len(seen) >= nqubits:
            break
    return front


def _grow(remaining, seed: int, max_qubits: int, split: int,
          nqubits: int) -> tuple[set[int], list[int]]:
    """`partition`'s scan from gate `seed` (a front gate), then the others in order: (block
    qubits, indices taken, seed first, in an order valid for the block)."""
    first = remaining[seed][1]
    lo, hi = 0, 1 << 30
    if split and max(first) < split:
        hi = split
    elif split and min(first) >= split:
        lo = split
    qubits: set[int] = set(first)
    blocked: set[int] = set()
    taken = [seed]
    for i, (_, qs) in enumerate(remaining):
        if i == seed:
            continue
        if (blocked.isdisjoint(qs) and lo <= min(qs) and max(qs) < hi
                and len(qubits.union(qs)) <= max(max_qubits, len(qs))):
            qubits.update(qs)
            taken.append(i)
            continue
        blocked.update(qs)
        if len(blocked) >= nqubits:
            break
    return qubits, taken


def pair_runs(
    gates: Iterable[tuple[np.ndarray, Sequence[int]]],
) -> list[list[tuple[np.ndarray, tuple[int, ...]]]]:
    """Split gates into *runs* on at most two qubits, in an order valid for the circuit.

    Each qubit has at most one open run. A single-qubit gate joins the open run on its qubit
    (or opens one); a two-qubit gate joins the open run on its pair, else takes over the
    single-qubit runs on its qubits and closes the two-qubit runs there; a wider gate closes
    the runs on its qubits and is a run of its own. The SU(4) blocks of a Quantum Volume
    circuit (U3 on both qubits, CX, ... as 11 gates) thus come out as one run each.

    Returns:
        The runs, each a list of (matrix, qubits) in circuit order.
    """
    gates = [(m, tuple(q)) for m, q in gates]
    return [[gates[i] for i in run] for run in _pair_run_indices(gates)]


def _pair_run_indices(gates: Sequence[tuple[np.ndarray, tuple[int, ...]]]) -> list[list[int]]:
    """`pair_runs` as lists of positions in `gates`."""
    open_of: dict[int, list] = {}  # qubit -> [order, qubits, positions] of its open run
    closed: list[list[int]] = []
    counter = itertools.count()

    def close(run: list) -> None:
        for q in run[1]:
            del open_of[q]
        closed.append(run[2])

    for pos, (_, qubits) in enumerate(gates):
        if len(qubits) == 1:
            run = open_of.get(qubits[0])
            if run is None:
                run = open_of[qubits[0]] = [next(counter), qubits, []]
            run[2].append(pos)
            continue
        runs = list({id(open_of[q]): open_of[q] for q in qubits if q in open_of}.values())
        if len(qubits) == 2 and len(runs) == 1 and set(runs[0][1]) == set(qubits):
            runs[0][2].append(pos)
            continue
        taken = []
        for run in sorted(runs, key=lambda r: r[0]):
            if len(qubits) == 2 and len(run[1]) == 1:
                taken.extend(run[2])
                del open_of[run[1][0]]
            else:
                close(run)
        taken.append(pos)
        if len(qubits) == 2:
            run = [next(counter), qubits, taken]
            for q in qubits:
                open_of[q] = run
        else:
            closed.append(taken)
    # Runs still open are on disjoint qubits and follow every closed run on theirs.
    still_open = sorted({id(r): r for r in open_of.values()}.values(), key=lambda r: r[0])
    return closed + [r[2] for r in still_open]


_KIND_COST = {GateKind.IDENTITY: 0.0, GateKind.MONOMIAL: 0.0, GateKind.DIAGONAL: 0.5}
"""`fuse_pair_runs`' cost of a gate in a cache block, in real-rotation sweeps over the block's
buffer: permutations are free (they relabel rows), phases are mostly carried along, a complex
single-qubit gate is a rotation plus carried phases, a controlled one about 1.5, a dense 4x4
about 4 (`_kernels._dense4_row`: 16 multiply-adds per amplitude against a rotation's 4)."""
_DENSE_COST = {1: 1.0, 2: 4.0}
_CONTROLLED_COST = 1.5


def _run_cost(matrix: np.ndarray) -> float:
    kind = classify(matrix)
    if kind in _KIND_COST:
        return _KIND_COST[kind]
    if kind is GateKind.CONTROLLED:
        return _CONTROLLED_COST
    return _DENSE_COST.get(matrix.shape[0].bit_length() - 1, 16.0)


_cost_cache: dict[bytes, float] = {}


def _gate_cost(matrix: np.ndarray) -> float:
    if matrix.shape[0] == 2:
        return _run_cost(matrix)
    key = matrix.tobytes()
    cost = _cost_cache.get(key)
    if cost is None:
        if len(_cost_cache) > 4096:
            _cost_cache.clear()
        cost = _cost_cache[key] = _run_cost(matrix)
    return cost


_SWAP = np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=complex)
_I2 = np.eye(2, dtype=complex)


def _kron2(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """np.kron of two 2x2 matrices, without its generic reshaping."""
    return (a[:, None, :, None] * b[None, :, None, :]).reshape(4, 4)


def _run_product(ops: list[tuple[np.ndarray, tuple[int, ...]]],
                 qubits: tuple[int, ...]) -> np.ndarray:
    """The product of a run's gates, big-endian over `qubits` (one or two).

    Single-qubit gates are multiplied per qubit (2x2) and enter the 4x4 product only before
    a two-qubit gate and at the end, as one Kronecker product per such point."""
    if len(qubits) == 1:
        out = np.asarray(ops[0][0], dtype=complex)
        for m, _ in ops[1:]:
            out = np.asarray(m, dtype=complex) @ out
        return out
    pending = [None, None]
    out = None

    def flush(out):
        if pending[0] is None and pending[1] is None:
            return out
        local = _kron2(_I2 if pending[0] is None else pending[0],
                       _I2 if pending[1] is None else pending[1])
        pending[0] = pending[1] = None
        return local if out is None else local @ out

    for m, q in ops:
        m = np.asarray(m, dtype=complex)
        if len(q) == 1:
            j = 0 if q[0] == qubits[0] else 1
            pending[j] = m if pending[j] is None else m @ pending[j]
            continue
        out = flush(out)
        if q != qubits:
            m = _SWAP @ m @ _SWAP
        out = m if out is None else m @ out
    return flush(out)


def fuse_pair_runs(
    gates: Iterable[tuple[np.ndarray, Sequence[int]]],
) -> list[tuple[np.ndarray, tuple[int, ...]]]:
    """Multiply each `pair_runs` run into one matrix where that is cheaper in a cache block.

    A run's cost is the sum of its gates' costs (`_KIND_COST`: a Quantum Volume SU(4) as
    8 U3 and 3 CX costs about 8 rotation sweeps), its product's cost that of one gate of the
    product's structure (a dense 4x4: about 4). The product replaces the run when cheaper;
    runs of one gate, and brickwork runs (two U3, a CX, two U3: 4 against 4), stay as they
    are. The product takes the place of the run's last gate and the other gates keep their
    order: every gate between a run's first and last gate commutes with the run's earlier
    gates (one that did not would have joined or closed the run), and the light-cone
    partition, which depends on the order, sees the circuit as written.

    Returns:
        (matrix big-endian over its qubit list, qubits) in an order valid for the circuit.
    """
    gates = [(m, tuple(q)) for m, q in gates]
    out: list[tuple[np.ndarray, tuple[int, ...]] | None] = list(gates)
    for run in _pair_run_indices(gates):
        if len(run) == 1:
            continue
        ops = [gates[i] for i in run]
        qubits = next((q for _, q in ops if len(q) == 2), ops[0][1])
        if len(qubits) > 2:
            continue
        parts = sum(_gate_cost(np.asarray(m)) for m, _ in ops)
        if parts <= _DENSE_COST[len(qubits)]:  # the product costs at least as much
            continue
        product = _run_product(ops, qubits)
        if _run_cost(product) < parts:
            for i in run[:-1]:
                out[i] = None
            out[run[-1]] = (product, qubits)
    return [g for g in out if g is not None]


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


_BLOCK_NAMES = frozenset({"BlockProgram", "PhaseProgram", "compile_block", "phase_program"})


def __getattr__(name: str):
    """The block programs' names, where they were before `blocks` held them (looked up on
    first use: `blocks` imports this module)."""
    if name in _BLOCK_NAMES:
        from . import blocks

        return getattr(blocks, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
