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
    "CHAN",
    "GATE1",
    "GATEK",
    "MEAS",
    "RESET",
    "Plan",
    "choose_order",
    "estimate",
    "make_plan",
    "pair_graph",
]

GATE1, GATEK, CHAN, MEAS, RESET = range(5)
"""Kinds of planned operation (the first element of each planned tuple):

* (GATE1, p, matrix, condition): a 2x2 unitary on site p.
* (GATEK, p, k, matrix, right, condition): a unitary on sites p..p+k-1 (k >= 2), site p
  the most significant bit of the matrix; the center ends at p+k-1 when `right`.
* (CHAN, p, k, pre, ops, effects, probs, post, right, condition): `pre`, then one of the
  channel's operators `ops` drawn with probability `probs` (a unitary mixture) or
  tr(effects[i] rho) (general Kraus), then `post`; pre/post may be None.
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


def _kron(mats: Iterable[np.ndarray | None]) -> np.ndarray | None:
    out = None
    eye = np.eye(2, dtype=np.complex128)
    any_set = False
    for m in mats:
        any_set |= m is not None
        m = eye if m is None else m
        out = m if out is None else np.kron(out, m)
    return out if any_set else None


class _Planner:
    def __init__(self, program: Program, order: tuple[int, ...]) -> None:
        n = program.num_qubits
        self.at = list(order)
        self.site = [0] * n
        for p, q in enumerate(order):
            self.site[q] = p
        self.pending: list[np.ndarray | None] = [None] * n
        self.out: list[list] = []
        self.center = 0
        self.swaps = 0

    # --- routing ---
    def _swap(self, p: int) -> None:
        a, b = self.at[p], self.at[p + 1]
        self.at[p], self.at[p + 1] = b, a
        self.site[a], self.site[b] = p + 1, p
        self.swaps += 1
        self._gate(p, 2, _SWAP, None)

    def route(self, qubits: Sequence[int]) -> int:
        """Bring `qubits` onto adjacent sites with SWAPs; returns the window's first site."""
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

    def _fold_pending(self, p: int, k: int) -> np.ndarray | None:
        mats = [self.pending[q] for q in self.at[p:p + k]]
        for q in self.at[p:p + k]:
            self.pending[q] = None
        return _kron(mats)

    def flush(self, q: int) -> None:
        m = self.pending[q]
        if m is not None:
            self.pending[q] = None
            self.out.append([GATE1, self.site[q], m, None])

    # --- emitting ---
    def _gate(self, p: int, k: int, m: np.ndarray, cond: Condition | None) -> None:
        last = self.out[-1] if self.out else None
        if last is not None and last[1] == p and last[-1] == cond:
            if last[0] == GATEK and last[2] == k:
                last[3] = m @ last[3]
                return
            if last[0] == CHAN and last[2] == k:
                last[7] = m if last[7] is None else m @ last[7]
                return
        self.out.append([GATEK, p, k, m, True, cond])

    def gate(self, op: Op) -> None:
        qs = op.qubits
        if len(qs) == 1 and op.condition is None:
            q = qs[0]
            m = op.matrices[0]
            self.pending[q] = m if self.pending[q] is None else m @ self.pending[q]
            return
        if op.condition is not None:
            for q in qs:
                self.flush(q)
        if len(qs) == 1:
            self.out.append([GATE1, self.site[qs[0]], op.matrices[0], op.condition])
            return
        p = self.route(qs)
        k = len(qs)
        m = _site_matrix(op.matrices[0], list(qs), self.at[p:p + k])
        pre = self._fold_pending(p, k)
        self._gate(p, k, m if pre is None else m @ pre, op.condition)

    def channel(self, op: Op) -> None:
        qs = op.qubits
        k = len(qs)
        if op.condition is not None:
            for q in qs:
                self.flush(q)
        p = self.route(qs)
        window = self.at[p:p + k]
        pre = self._fold_pending(p, k)
        last = self.out[-1] if self.out else None
        if (last is not None and last[0] == GATEK and last[1] == p and last[2] == k
                and last[-1] == op.condition):
            self.out.pop()
            pre = last[3] if pre is None else pre @ last[3]
        elif k == 1 and last is not None and last[0] == GATE1 and last[1] == p and (
                last[-1] == op.condition):
            self.out.pop()
            pre = last[2] if pre is None else pre @ last[2]
        if op.mixture is not None:
            mats = np.stack([_site_matrix(u, list(qs), window) for _, u in op.mixture])
            probs = np.array([pr for pr, _ in op.mixture])
            self.out.append([CHAN, p, k, pre, mats, None, probs / probs.sum(), None, True,
                             op.condition])
            return
        mats = np.stack([_site_matrix(m, list(qs), window) for m in op.matrices])
        effects = np.conj(np.transpose(mats, (0, 2, 1))) @ mats
        self.out.append([CHAN, p, k, pre, mats, effects, None, None, True, op.condition])

    def measure(self, op: Op) -> None:
        q = op.qubits[0]
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
            k = item[2] if kind in (GATEK, CHAN) else 1
            if kind == GATEK:
                item[4] = target is None or target >= p + k - 1
            elif kind == CHAN:
                item[8] = target is None or target >= p + k - 1
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
    ready = {i for i in range(len(ops)) if all(wires[x][0] == i for x in needs[i])}
    center = 0
    out: list[Op] = []
    while ready:
        free = [i for i in ready if ops[i].kind == "gate" and len(ops[i].qubits) == 1
                and ops[i].condition is None]
        if free:
            pick = min(free)
        else:
            pick = min(ready, key=lambda i, c=center: (_gap(span[i], c), i))
            lo, hi = span[pick]
            center = hi if center <= lo else lo if center >= hi else center
        ready.discard(pick)
        out.append(ops[pick])
        for x in needs[pick]:
            wires[x].popleft()
            if wires[x]:
                j = wires[x][0]
                if all(wires[y][0] == j for y in needs[j]):
                    ready.add(j)
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
