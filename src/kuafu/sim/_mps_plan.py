"""Planning for the MPS engine: the chain order of the qubits, the cost estimate, and the
flat list of site operations (with SWAP routing, gate fusion and scheduling) it runs.

Everything here is decided once per circuit, before any tensor exists, and is the same for
every trajectory: the qubit that sits on each site after every SWAP, and where the
orthogonality center is heading, follow from the circuit alone.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ..circuit import Condition, QuantumCircuit
from .noise import Op, Program

__all__ = [
    "GATE1",
    "MEAS",
    "RESET",
    "SEQ",
    "Plan",
    "choose_order",
    "estimate",
    "make_plan",
    "pair_graph",
]

GATE1, SEQ, MEAS, RESET = range(4)
"""Kinds of planned operation (the first element of each planned tuple):

* (GATE1, p, matrix, condition): a 2x2 unitary on site p (no center needed).
* (SEQ, p, k, items, right, condition): sites p..p+k-1 contracted into one tensor, then
  each item in turn, then split back by SVD (the center ends at p+k-1 when `right`, else
  at p). An item is ("u", unitary) or ("c", operators, effects, probs): one of a channel's
  operators, drawn with probability probs[i] (a unitary mixture) or effects[i] . rho.ravel()
  = tr(K_i^dag K_i rho) (general Kraus, rho from the contracted tensor). Matrices act on
  the window with site p as the most significant bit.
* (MEAS, p, clbit, readout, condition) and (RESET, p, condition).
"""

_SWAP = np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=np.complex128)


@dataclass(frozen=True)
class Plan:
    """What the engine runs.

    Attributes:
        ops: planned operations (see the kinds above).
        site_of: final site of each qubit (after the SWAP network), for reading samples.
        order: initial chain order: order[p] is the qubit on site p.
        swaps: SWAPs the routing inserted.
    """

    ops: tuple[tuple, ...]
    site_of: tuple[int, ...]
    order: tuple[int, ...]
    swaps: int


# ----- qubit order -----------------------------------------------------------------------
def pair_graph(circuit: QuantumCircuit) -> dict[tuple[int, int], int]:
    """Number of multi-qubit gates on each pair of qubits (a < b)."""
    weights: dict[tuple[int, int], int] = {}
    for inst in circuit.instructions:
        qs = inst.qubits
        if len(qs) < 2 or inst.name in ("barrier", "measure"):
            continue
        for i, a in enumerate(qs):
            for b in qs[i + 1:]:
                key = (a, b) if a < b else (b, a)
                weights[key] = weights.get(key, 0) + 1
    return weights


def _cuthill_mckee(n: int, weights: dict[tuple[int, int], int]) -> list[int]:
    """A bandwidth-reducing order: breadth first from a peripheral qubit of each component,
    neighbours by increasing degree (Cuthill-McKee). On a path it walks the path."""
    adj: list[set[int]] = [set() for _ in range(n)]
    for a, b in weights:
        adj[a].add(b)
        adj[b].add(a)
    seen = [False] * n
    order: list[int] = []

    def bfs(start: int) -> list[int]:
        out, queue, mark = [start], deque([start]), {start}
        while queue:
            v = queue.popleft()
            for w in sorted(adj[v] - mark, key=lambda u: (len(adj[u]), u)):
                mark.add(w)
                out.append(w)
                queue.append(w)
        return out

    for root in sorted(range(n), key=lambda v: (len(adj[v]) == 0, v)):
        if seen[root]:
            continue
        component = bfs(root)
        start = min(component, key=lambda v: (len(adj[v]), v))
        for _ in range(2):  # a pseudo-peripheral start: the far end of a search
            start = bfs(start)[-1]
        for v in bfs(start):
            seen[v] = True
            order.append(v)
    return order


def _spectral(n: int, weights: dict[tuple[int, int], int]) -> list[int] | None:
    """Qubits sorted by the Fiedler vector of the gate graph (connected graphs only)."""
    if n < 3 or not weights:
        return None
    lap = np.zeros((n, n))
    for (a, b), w in weights.items():
        lap[a, b] -= w
        lap[b, a] -= w
        lap[a, a] += w
        lap[b, b] += w
    values, vectors = np.linalg.eigh(lap)
    if values[1] < 1e-9:  # disconnected: the Fiedler vector does not order it
        return None
    return [int(v) for v in np.argsort(vectors[:, 1], kind="stable")]


def choose_order(circuit: QuantumCircuit, max_bond: int | None) -> tuple[int, ...]:
    """The initial chain order with the lowest estimated cost among a few candidates:
    the circuit's own order, a Cuthill-McKee order and a spectral order of its gate graph."""
    n = circuit.num_qubits
    weights = pair_graph(circuit)
    candidates = [list(range(n))]
    if weights:
        candidates.append(_cuthill_mckee(n, weights))
        if n <= 400:
            spectral = _spectral(n, weights)
            if spectral is not None:
                candidates.append(spectral)
    if len(candidates) == 1:
        return tuple(candidates[0])
    scored = [(estimate(circuit, tuple(c), max_bond, 0).seconds, i)
              for i, c in enumerate(candidates)]
    return tuple(candidates[min(scored)[1]])


# ----- cost estimate ---------------------------------------------------------------------
_SVD_FLOP_SECONDS = 2.5e-10
"""Seconds per (2 chi)^3 of one truncated SVD step with its contractions (measured, 2 cores)."""
_STEP_SECONDS = 4e-5
"""Seconds of fixed overhead per two-site step (Python and LAPACK call costs)."""
_SAMPLE_SECONDS = 2e-9
"""Seconds per shot per chi^2 of sampling one site."""

_RANK_BITS = {"swap": 2.0, "ccx": 2.0, "cswap": 2.0, "rccx": 2.0}
"""log2 of the operator Schmidt rank across one cut, where it is not 1 (controlled gates)."""


@dataclass(frozen=True)
class CostEstimate:
    """The estimated cost of simulating a circuit as an MPS (see `kuafu.sim.mps.mps_cost`)."""

    max_bond: int
    log2_bond: float
    memory_bytes: int
    seconds: float
    two_site_steps: int
    swaps: int
    truncates: bool


def estimate(circuit: QuantumCircuit, order: tuple[int, ...], max_bond: int | None,
             shots: int) -> CostEstimate:
    """Entanglement-bound cost model: each gate raises the log-bond of every cut its qubits
    straddle (in `order`) by the log of its operator Schmidt rank, up to the cut's
    dimension bound and the cap; a gate costs one SVD per cut it spans at the bond there."""
    n = len(order)
    site = [0] * circuit.num_qubits
    for p, q in enumerate(order):
        site[q] = p
    cuts = np.arange(max(n - 1, 0))
    bound = np.minimum(cuts + 1, n - 1 - cuts).astype(float)
    cap_bits = math.log2(max_bond) if max_bond else math.inf
    bits = np.zeros(max(n - 1, 0))
    seconds = 0.0
    steps = swaps = 0
    peak = 0.0
    for inst in circuit.instructions:
        qs = inst.qubits
        if len(qs) < 2 or inst.name == "barrier":
            continue
        ps = sorted(site[q] for q in qs)
        lo, hi = ps[0], ps[-1]
        span = bits[lo:hi]
        chi = 2.0 ** min(float(span.max()), cap_bits)
        nsteps = hi - lo
        steps += nsteps
        swaps += nsteps - (len(qs) - 1)
        seconds += nsteps * (_STEP_SECONDS + _SVD_FLOP_SECONDS * (2 * chi) ** 3)
        add = _RANK_BITS.get(inst.name, 1.0 if len(qs) == 2 else 2.0)
        np.minimum(span + add, bound[lo:hi], out=span)
        if span.size:
            peak = max(peak, float(span.max()))
    chi_cuts = np.minimum(2.0 ** bits, 2.0 ** cap_bits) if n > 1 else np.zeros(0)
    memory = int(16 * 2 * float(np.sum(chi_cuts[:-1] * chi_cuts[1:])) + 64 * n) if n else 0
    memory += int(16 * 8 * float(chi_cuts.max(initial=1.0)) ** 2)  # SVD workspace
    seconds += shots * float(np.sum(chi_cuts**2)) * _SAMPLE_SECONDS
    max_b = int(min(2.0**peak, 2.0**cap_bits))
    return CostEstimate(max_bond=max_b, log2_bond=peak, memory_bytes=memory, seconds=seconds,
                        two_site_steps=steps, swaps=swaps, truncates=peak > cap_bits)


# ----- planning --------------------------------------------------------------------------
def _site_matrix(m: np.ndarray, asc: Sequence[int], window: Sequence[int]) -> np.ndarray:
    """Rewrite `m` (little-endian over ascending qubits `asc`) with the qubit of the first
    window site as the most significant bit."""
    k = len(asc)
    if k == 1:
        return m
    want = [k - 1 - asc.index(q) for q in window]
    if want == list(range(k)):
        return m
    t = m.reshape((2,) * (2 * k)).transpose(want + [k + w for w in want])
    return t.reshape(1 << k, 1 << k)


def _embed(m: np.ndarray, j: int, k: int) -> np.ndarray:
    """A 2x2 matrix on sub-site j of a k-site window (sub-site 0 most significant)."""
    if k == 1:
        return m
    if k == 2:
        out = np.zeros((4, 4), dtype=np.complex128)
        if j == 0:  # m (x) I
            out[0::2, 0::2] = m
            out[1::2, 1::2] = m
        else:  # I (x) m
            out[:2, :2] = m
            out[2:, 2:] = m
        return out
    return np.kron(np.kron(np.eye(1 << j), m), np.eye(1 << (k - 1 - j)))


def _embed_item(item: tuple, j: int, k: int) -> tuple:
    if item[0] == "u":
        return ("u", _embed(item[1], j, k))
    mats = np.stack([_embed(m, j, k) for m in item[1]])
    return ("c", mats, None if item[2] is None else _effects(mats), item[3])


def _append(items: list[tuple], item: tuple) -> None:
    """Append `item`, multiplying consecutive unitaries into one."""
    if item[0] == "u" and items and items[-1][0] == "u":
        items[-1] = ("u", item[1] @ items[-1][1])
    else:
        items.append(item)


def _channel_item(op: Op, window: Sequence[int]) -> tuple:
    qs = list(op.qubits)
    if op.mixture is not None:
        mats = np.stack([_site_matrix(u, qs, window) for _, u in op.mixture])
        probs = np.array([pr for pr, _ in op.mixture])
        return ("c", mats, None, probs / probs.sum())
    mats = np.stack([_site_matrix(m, qs, window) for m in op.matrices])
    return ("c", mats, _effects(mats), None)


def _effects(mats: np.ndarray) -> np.ndarray:
    """Rows e_i with e_i . rho.ravel() = tr(K_i^dag K_i rho): (K_i^dag K_i)^T flattened."""
    effects = np.conj(np.transpose(mats, (0, 2, 1))) @ mats
    return np.ascontiguousarray(np.transpose(effects, (0, 2, 1)).reshape(len(mats), -1))


class _Planner:
    """Turns scheduled program operations into planned ones (see the kinds above).

    Unconditioned single-qubit gates and channels wait on their qubit (`pending`) and join
    the next multi-qubit operation on it, whose sites are contracted anyway, so a channel's
    probabilities come from that contraction instead of a center move of their own.
    """

    def __init__(self, program: Program, order: tuple[int, ...]) -> None:
        n = program.num_qubits
        self.at = list(order)
        self.site = [0] * n
        for p, q in enumerate(order):
            self.site[q] = p
        self.pending: list[list[tuple]] = [[] for _ in range(n)]
        self.out: list[list] = []
        self.swaps = 0
        self.moved: list[int] = []
        self.routed: set[int] = set()

    # --- routing ---
    def _swap(self, p: int) -> None:
        a, b = self.at[p], self.at[p + 1]
        self.at[p], self.at[p + 1] = b, a
        self.site[a], self.site[b] = p + 1, p
        self.swaps += 1
        self.moved.append(p)
        self._emit(p, 2, [("u", _SWAP)], None)

    def unroute(self) -> None:
        """Undo the SWAPs of the last `route` (the first joins the gate's own SVD)."""
        moved, self.moved = self.moved, []
        for p in reversed(moved):
            self._swap(p)
        self.moved = []

    def settle(self, qubits: Sequence[int] | None = None) -> None:
        """Undo the last routing before an operation that does not act on exactly the
        routed qubits (the channel after a gate does, and needs them where they are)."""
        if self.moved and (qubits is None or set(qubits) != self.routed):
            self.unroute()

    def route(self, qubits: Sequence[int]) -> int:
        """Bring `qubits` onto adjacent sites with SWAPs; returns the window's first site.

        The SWAPs are remembered in `moved` so that `unroute` can undo them: a layout
        left wherever the last gate needed it drifts, and on a 2D graph (QAOA on a chip)
        later gates then need many times more SWAPs (measured: 13,352 instead of ~2,000).
        """
        if len(qubits) == 1:
            return self.site[qubits[0]]
        by_site = sorted(qubits, key=self.site.__getitem__)
        m = len(by_site) // 2
        anchor = self.site[by_site[m]]
        for i in range(m - 1, -1, -1):
            target = anchor - (m - i)
            while self.site[by_site[i]] < target:
                self._swap(self.site[by_site[i]])
        for i in range(m + 1, len(by_site)):
            target = anchor + (i - m)
            while self.site[by_site[i]] > target:
                self._swap(self.site[by_site[i]] - 1)
        return anchor - m

    def _relabel(self, a: int, b: int) -> None:
        """A SWAP gate costs nothing: qubits a and b exchange their sites (and what waits
        on them), so no tensor is touched and no entanglement is created."""
        sa, sb = self.site[a], self.site[b]
        self.site[a], self.site[b] = sb, sa
        self.at[sa], self.at[sb] = b, a
        self.pending[a], self.pending[b] = self.pending[b], self.pending[a]

    def _take_pending(self, p: int, k: int) -> list[tuple]:
        items: list[tuple] = []
        for j, q in enumerate(self.at[p:p + k]):
            for item in self.pending[q]:
                _append(items, _embed_item(item, j, k))
            self.pending[q] = []
        return items

    def flush(self, q: int) -> None:
        items = self.pending[q]
        if not items:
            return
        self.pending[q] = []
        p = self.site[q]
        if len(items) == 1 and items[0][0] == "u":
            self.out.append([GATE1, p, items[0][1], None])
        else:
            self._emit(p, 1, items, None)

    # --- emitting ---
    def _emit(self, p: int, k: int, items: list[tuple], cond: Condition | None) -> None:
        last = self.out[-1] if self.out else None
        if (last is not None and last[0] == SEQ and last[1] == p and last[2] == k
                and last[-1] == cond):
            for item in items:
                _append(last[3], item)
            return
        self.out.append([SEQ, p, k, list(items), True, cond])

    def gate(self, op: Op) -> None:
        qs = op.qubits
        if len(qs) == 1 and op.condition is None:
            _append(self.pending[qs[0]], ("u", op.matrices[0]))
            return
        self.settle()
        if op.condition is not None:
            for q in qs:
                self.flush(q)
        if len(qs) == 1:
            self.out.append([GATE1, self.site[qs[0]], op.matrices[0], op.condition])
            return
        if op.condition is None and len(qs) == 2 and np.array_equal(op.matrices[0], _SWAP):
            self._relabel(*qs)
            return
        p = self.route(qs)
        k = len(qs)
        items = self._take_pending(p, k)
        _append(items, ("u", _site_matrix(op.matrices[0], list(qs), self.at[p:p + k])))
        self._emit(p, k, items, op.condition)
        self.routed = set(qs)

    def channel(self, op: Op) -> None:
        qs = op.qubits
        if len(qs) == 1 and op.condition is None:
            self.pending[qs[0]].append(_channel_item(op, qs))
            return
        self.settle(qs)
        if op.condition is not None:
            for q in qs:
                self.flush(q)
        p = self.route(qs)
        k = len(qs)
        items = self._take_pending(p, k)
        items.append(_channel_item(op, self.at[p:p + k]))
        self._emit(p, k, items, op.condition)
        self.routed = set(qs)

    def measure(self, op: Op) -> None:
        q = op.qubits[0]
        self.settle()
        self.flush(q)
        if op.kind == "measure":
            self.out.append([MEAS, self.site[q], op.clbit, op.readout, op.condition])
        else:
            self.out.append([RESET, self.site[q], op.condition])

    # --- directions ---
    def finish(self, terminal: Sequence[int]) -> tuple[tuple, ...]:
        for q in terminal:
            self.flush(q)
        target: int | None = None  # window of the next operation that needs the center
        for item in reversed(self.out):
            kind, p = item[0], item[1]
            if kind == GATE1:
                continue
            if kind == SEQ:
                item[4] = target is None or target >= p + item[2] - 1
                item[3] = tuple(item[3])
            target = p
        return tuple(tuple(item) for item in self.out)


def _schedule(program: Program, order: tuple[int, ...]) -> list[Op]:
    """The program's operations in an order that keeps the center moving little: among the
    operations whose qubits and classical bits are free (a topological order of the
    circuit), the one nearest to where the center is; single-qubit gates go at once."""
    ops = program.ops
    n = program.num_qubits
    site = [0] * n
    for p, q in enumerate(order):
        site[q] = p
    wires: dict[int, deque[int]] = {}
    needs: list[tuple[int, ...]] = []
    for i, op in enumerate(ops):
        w = list(op.qubits)
        if op.kind == "measure":
            w.append(n + op.clbit)
        if op.condition is not None:
            w.extend(n + c for c in op.condition.clbits)
        w = tuple(sorted(set(w)))
        needs.append(w)
        for x in w:
            wires.setdefault(x, deque()).append(i)
    span = [(min(site[q] for q in op.qubits), max(site[q] for q in op.qubits)) for op in ops]
    def is_free(i: int) -> bool:
        op = ops[i]
        return op.kind == "gate" and len(op.qubits) == 1 and op.condition is None

    free: list[int] = []
    ready: set[int] = set()
    for i in range(len(ops)):
        if all(wires[x][0] == i for x in needs[i]):
            (free.append if is_free(i) else ready.add)(i)
    center = 0
    out: list[Op] = []
    while free or ready:
        if free:
            pick = free.pop()
        else:
            pick = min(ready, key=lambda i, c=center: (_gap(span[i], c), i))
            ready.discard(pick)
            lo, hi = span[pick]
            center = hi if center <= lo else lo if center >= hi else center
        out.append(ops[pick])
        for x in needs[pick]:
            wires[x].popleft()
            if wires[x]:
                j = wires[x][0]
                if all(wires[y][0] == j for y in needs[j]):
                    (free.append if is_free(j) else ready.add)(j)
    return out


def _gap(span: tuple[int, int], center: int) -> int:
    lo, hi = span
    return lo - center if center < lo else center - hi if center > hi else 0


def make_plan(program: Program, order: tuple[int, ...], *, schedule: bool = True,
              flush: Iterable[int] | None = None) -> Plan:
    """The planned operations of `program` on a chain initially in `order`.

    Single-qubit gates still waiting at the end are applied on the qubits in `flush`
    (default: the terminally measured ones; the others are never read).
    """
    planner = _Planner(program, order)
    ops = _schedule(program, order) if schedule else list(program.ops)
    for op in ops:
        if op.kind == "gate":
            planner.gate(op)
        elif op.kind == "kraus":
            planner.channel(op)
        else:
            planner.measure(op)
    if flush is None:
        flush = [q for q, _, _ in program.terminal]
    planned = planner.finish(list(flush))
    return Plan(planned, tuple(planner.site), tuple(order), planner.swaps)
