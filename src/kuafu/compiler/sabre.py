"""What the SABRE kernel (`_sabre.py`) reads and returns, in Python: shared by layout and routing.

The kernel works on integer arrays only. `routing_dag` turns a circuit's two-qubit gates
into its commutation-aware dependency DAG (`RoutingDag`), `coupling_arrays` a device's
coupling map into neighbour lists and distances (`Coupling`), and `route_once` runs the
kernel once and hands back a `Routing`. `heuristics(level)` is the portfolio of kernel
settings the trials draw from.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import NamedTuple, TypeVar

import numpy as np

from ..devices import Device
from ._sabre import sabre_route
from .consolidate_blocks import RESYNTH_MIN
from .decompose import cz_cost

HEURISTICS = np.array([
    # ext_size, ext_weight, decay_delta, absorb_bonus, front_sum, decay_reset
    [20, 0.5, 0.001, 0.5, 0.0, 0],
    [20, 0.5, 0.001, 1.0, 0.0, 0],
    [20, 0.5, 0.001, 0.5, 1.0, 5],
    [20, 0.5, 0.001, 1.0, 1.0, 5],
])
"""The portfolio of SABRE settings (rows; see `_sabre.HP_*`) of levels 0 and 1: trial i
uses row i mod len."""

HEURISTICS_HIGH = np.array([
    [20, 0.5, 0.001, 0.5, 0.0, 0],
    [20, 0.5, 0.001, 2.0, 0.0, 0],
    [20, 0.5, 0.001, 1.0, 1.0, 5],
    [20, 0.5, 0.001, 2.0, 1.0, 5],
])
"""The portfolio of levels 2 and 3: half its rows reward a SWAP that block re-synthesis
absorbs more (fewer CZs on QFTs and QV, and shallower QFTs, with their many trials)."""


HEURISTICS_CHAIN = HEURISTICS_HIGH.copy()
HEURISTICS_CHAIN[:, 0] = 30
HEURISTICS_CHAIN[:, 1] = 0.7
"""Levels 2-3 on a chain (no qubit with more than two couplers): a longer, heavier
lookahead, since a chain offers one way round. Over seeds 1-8 on ScQ-P18 it took QV16
from 1195 to 1185 CZs and rand12x20 from 762 to 733 (Qiskit: 1169, 733)."""


def heuristics(level: int, coupling: Coupling | None = None) -> np.ndarray:
    """The portfolio of SABRE settings the trials of `level` draw from (on the chip of
    `coupling`: chains get their own at levels 2-3). Every portfolio has four rows."""
    if level < 2:
        return HEURISTICS
    if coupling is not None and is_chain(coupling):
        return HEURISTICS_CHAIN
    return HEURISTICS_HIGH


def is_chain(coupling: Coupling) -> bool:
    """Whether no qubit has more than two couplers (a line or a ring)."""
    return int(np.diff(coupling.nbr_ptr).max(initial=0)) <= 2


LAYER_CAPS = (2, 1 << 30)
"""The DAG variants trials alternate between (`routing_dag`'s `max_layer`): 0 lets only
pairs of commuting diagonal gates on a qubit swap places, which keeps most of a QFT's
pipeline (a far shallower circuit, often fewer CZs too); 1 lets a whole run of them go
in any order (sometimes fewer SWAPs). Trial i uses `variant_of(i)`, so the greedy start
(trial 0) uses variant 0."""

DEPTH_WEIGHT = 0.2
"""How much one layer of the estimated CZ depth counts against one CZ when passes,
trials and routings are compared (idle qubits decohere: depth costs fidelity too)."""


def preference(costs: Sequence[float], depths: Sequence[float]) -> list[int]:
    """Indices from best to worst by estimated CZs + `DEPTH_WEIGHT` x CZ depth (ties keep
    their order)."""
    return sorted(range(len(costs)), key=lambda i: costs[i] + DEPTH_WEIGHT * depths[i])


def variant_of(trial: int) -> int:
    """The DAG variant of trial `trial`: alternating, and shifted by one every
    `len(HEURISTICS)` trials so that each variant meets every heuristic row."""
    return (trial + trial // len(HEURISTICS)) % len(LAYER_CAPS)  # both portfolios: 4 rows

DIAGONAL_1Q = frozenset({"rz", "z", "s", "sdg", "t", "tdg", "p", "u1", "id", "u0"})
DIAGONAL_2Q = frozenset({"cz", "cp", "cu1", "crz", "rzz"})


class RoutingDag(NamedTuple):
    """The two-qubit gates of a circuit and their dependencies, as the kernel reads them.

    Attributes:
        g0, g1: each gate's (virtual) qubits.
        succ_ptr, succ_idx: the DAG in CSR form (the successors of gate g are
            `succ_idx[succ_ptr[g]:succ_ptr[g + 1]]`).
        npred: how many gates must run before each one.
        gcost: each gate's CZ cost (`decompose.cz_cost`).
        positions: each gate's index in the instruction list it was built from.
        longest_run: the longest run of commuting diagonal gates on one qubit.
        max_layer: the most of them one layer holds (`routing_dag`).
    """

    g0: np.ndarray
    g1: np.ndarray
    succ_ptr: np.ndarray
    succ_idx: np.ndarray
    npred: np.ndarray
    gcost: np.ndarray
    positions: list[int]
    longest_run: int = 0
    max_layer: int = 1 << 30

    @property
    def capped(self) -> bool:
        """Whether a run of commuting diagonal gates was cut into several layers."""
        return self.longest_run > self.max_layer

    @property
    def arrays(self) -> tuple[np.ndarray, ...]:
        """The six arrays the kernel takes, in its argument order."""
        return (self.g0, self.g1, self.succ_ptr, self.succ_idx, self.npred, self.gcost)


class Coupling(NamedTuple):
    """A device's coupling map for the kernel: neighbours in CSR form and distances."""

    nbr_ptr: np.ndarray
    nbr_idx: np.ndarray
    dist: np.ndarray


class Routing(NamedTuple):
    """One run of the kernel.

    Attributes:
        events: one row per step: (0, gate, 0) runs gate `gate` of the DAG, (1, p, q) swaps
            physical qubits p and q.
        final: the virtual -> physical layout at the end.
        swaps: SWAPs inserted.
        absorbed: SWAPs placed right after a gate on the same pair (block re-synthesis
            merges them).
        cost: the estimated CZ count after block re-synthesis.
        depth: the estimated CZ depth after block re-synthesis.
    """

    events: np.ndarray
    final: np.ndarray
    swaps: int
    absorbed: int
    cost: int
    depth: float



def routing_dag(instructions, num_qubits: int, max_layer: int = 1 << 30
                ) -> RoutingDag:
    """The dependency DAG of the two-qubit gates, aware that diagonal gates commute.

    On each qubit the two-qubit gates fall into layers: a run of diagonal gates (cz, cp,
    crz, rzz) not interrupted by a non-diagonal operation is one layer whose gates may
    run in any order (at most `max_layer` of them: a longer run is cut into several
    layers); any other gate is a layer of its own. A gate waits for the whole previous
    layer on each of its qubits. `longest_run` is the longest run before any cut, so the
    DAG is the same for every `max_layer` at least that long.
    """
    g0: list[int] = []
    g1: list[int] = []
    gcost: list[int] = []
    positions: list[int] = []
    preds: list[set[int]] = []
    layer: list[list[int]] = [[] for _ in range(num_qubits)]
    prev: list[list[int]] = [[] for _ in range(num_qubits)]
    open_diag = [False] * num_qubits
    run = [0] * num_qubits  # gates in the current diagonal run on each qubit, uncut
    longest = 0
    for pos, inst in enumerate(instructions):
        if len(inst.qubits) == 2 and inst.name != "barrier":
            g = len(g0)
            diag = inst.name in DIAGONAL_2Q and inst.condition is None
            before: set[int] = set()
            for q in inst.qubits:
                run[q] = run[q] + 1 if (diag and open_diag[q]) else 1
                longest = max(longest, run[q]) if diag else longest
                if not (diag and open_diag[q] and len(layer[q]) < max_layer):
                    if layer[q]:
                        prev[q] = layer[q]
                    layer[q] = []
                    open_diag[q] = diag
                before.update(prev[q])
                layer[q].append(g)
            g0.append(inst.qubits[0])
            g1.append(inst.qubits[1])
            gcost.append(cz_cost(inst.name, inst.params))
            positions.append(pos)
            preds.append(before)
        elif not (inst.name in DIAGONAL_1Q and inst.condition is None):
            for q in inst.qubits:
                if layer[q]:
                    prev[q] = layer[q]
                    layer[q] = []
                open_diag[q] = False
    m = len(g0)
    succ: list[list[int]] = [[] for _ in range(m)]
    for g, before in enumerate(preds):
        for p in before:
            succ[p].append(g)
    ptr = np.zeros(m + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(s) for s in succ]) if m else []
    idx = np.array([x for s in succ for x in sorted(s)], dtype=np.int64)
    npred = np.array([len(b) for b in preds], dtype=np.int64)
    return RoutingDag(np.array(g0, dtype=np.int64), np.array(g1, dtype=np.int64), ptr, idx,
                      npred, np.array(gcost, dtype=np.int64), positions, longest,
                      max_layer)


class Dags:
    """The routing DAGs of one list of instructions, per variant and direction, built
    once when first asked for (variants that come out the same are built once)."""

    def __init__(self, instructions, num_qubits: int) -> None:
        self.instructions = instructions
        self.num_qubits = num_qubits
        self._built: dict[tuple[int, bool], RoutingDag] = {}

    def get(self, variant: int, backward: bool = False) -> RoutingDag:
        key = (variant, backward)
        if key not in self._built:
            cap = LAYER_CAPS[variant]
            # a DAG in which no cap cut a run is the DAG of every larger cap too
            same = [d for (v, b), d in self._built.items()
                    if b == backward and d.longest_run <= min(cap, d.max_layer)]
            if same:
                self._built[key] = same[0]
            else:
                insts = self.instructions[::-1] if backward else self.instructions
                self._built[key] = routing_dag(insts, self.num_qubits, cap)
        return self._built[key]


@lru_cache(maxsize=64)
def coupling_arrays(device: Device) -> Coupling:
    """The device's neighbour lists (CSR) and float distance matrix for the kernel
    (built once per device; the kernel only reads them)."""
    ptr = np.zeros(device.num_qubits + 1, dtype=np.int64)
    idx: list[int] = []
    for q, nbs in enumerate(device.neighbors):
        idx += nbs
        ptr[q + 1] = len(idx)
    return Coupling(ptr, np.array(idx, dtype=np.int64), device.distance.astype(np.float64))


def full_permutation(layout: Sequence[int], num_physical: int) -> np.ndarray:
    """A virtual->physical permutation: the circuit's qubits first, ancillas after."""
    used = set(layout)
    rest = [p for p in range(num_physical) if p not in used]
    return np.array(list(layout) + rest, dtype=np.int64)


_T = TypeVar("_T")
_R = TypeVar("_R")
_pool: ThreadPoolExecutor | None = None
_pool_pid = -1
_pool_lock = threading.Lock()


def workers() -> int:
    """Threads the SABRE trials run on: `KUAFU_COMPILER_THREADS`, else the usable cores
    (at most 8). The kernel releases the GIL, so trials run side by side."""
    env = os.environ.get("KUAFU_COMPILER_THREADS", "").strip()
    if env.isdigit():
        return max(1, int(env))
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


def parallel_map(fn: Callable[[_T], _R], items: Sequence[_T]) -> list[_R]:
    """`[fn(x) for x in items]`, spread over `workers()` threads (results in order, so
    the outcome does not depend on the number of threads)."""
    w = workers()
    if w == 1 or len(items) <= 1:
        return [fn(x) for x in items]
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():  # a forked child needs its own
            _pool = ThreadPoolExecutor(max_workers=w, thread_name_prefix="kuafu-sabre")
            _pool_pid = os.getpid()
        pool = _pool
    return list(pool.map(fn, items))


def chunks(count: int) -> list[slice]:
    """`range(count)` cut into at most `workers()` contiguous slices of similar size."""
    w = min(workers(), count) or 1
    bounds = [count * i // w for i in range(w + 1)]
    return [slice(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def route_once(dag: RoutingDag, coupling: Coupling, l2p: np.ndarray, heuristic: int,
               seed: int, level: int) -> Routing:
    """Route `dag` from layout `l2p` with heuristic row `heuristic` and `seed`."""
    events, k, final, swaps, absorbed, cost, depth = sabre_route(
        *coupling, *dag.arrays, l2p, seed, heuristics(level, coupling)[heuristic],
        RESYNTH_MIN[level],
        True)
    return Routing(events[:k].copy(), final, swaps, absorbed, cost, float(depth))
