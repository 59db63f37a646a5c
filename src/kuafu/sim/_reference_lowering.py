"""The block lowering in plain Python: the readable reference of `_lowering.lower`.

`blocks.compile_block(..., compiled=False)` runs it; the tests check that the compiled
lowering gives the same `BlockProgram` (same rows, kinds and final rows, parameters equal to
rounding). Nothing else uses it: it costs about 25 us a gate.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from .blocks import (
    _MAX_ROTATIONS,
    _SAME_PHASE,
    OP_GROUP,
    OP_PAIR_COMPLEX,
    OP_PAIR_REAL,
    OP_PHASE,
    OP_ROTATIONS,
    BlockProgram,
    _micro_cached,
)

__all__ = ["lower_block"]


def lower_block(qubits: tuple[int, ...],
                ops: Sequence[tuple[np.ndarray, Sequence[int]]]) -> BlockProgram:
    """`blocks.compile_block` of `ops` on block `qubits`, lowered in Python."""
    local = {q: j for j, q in enumerate(qubits)}
    micro = [_micro_of(np.asarray(m, dtype=complex), [local[q] for q in qs]) for m, qs in ops]
    lowering = _Lowering(len(qubits))
    for op in _schedule([o for group in micro for o in group]):
        lowering.apply(op)
    return lowering.finish(qubits, len(ops))


def _micro_of(matrix: np.ndarray, local: list[int]) -> list[tuple]:
    """`_micro`, remembered for multi-qubit gates (the same CX or CP on the same local qubits
    recurs throughout a circuit; classifying a 4x4 matrix costs ~20 us)."""
    if len(local) == 1:
        return _micro_1q(matrix, local[0])
    return _micro_cached(matrix.tobytes(), matrix.shape[0], tuple(local))




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
