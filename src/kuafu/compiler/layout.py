"""Noise-aware initial layout: choose where the circuit's qubits sit on the chip.

Two steps. `best_region` picks the connected set of physical qubits with the best
calibration (gate, readout and coupler fidelities, preferring compact regions whose
extra couplers save SWAPs). `sabre_layout` then places the virtual qubits inside it:
several starting placements (one greedy from the interaction graph, the rest random) are
each refined by SABRE's forward-backward passes, each trial with one of a portfolio of
heuristic settings. Every pass is a complete routing (a backward one read in reverse),
so every pass is a candidate; at level 3 the two best trials are refined again. The
candidates whose routing needs the fewest CZs after block re-synthesis (the kernel's
estimate) go on to routing; calibrated fidelity breaks ties.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from ..circuit import GATES, QuantumCircuit
from ..devices import Device
from ..errors import CircuitTooWideError
from ._sabre import sabre_trials
from .context import CompileContext
from .decompose import native_steps

# (layout trials, forward-backward iterations) per optimisation level
LAYOUT_EFFORT = {0: (1, 0), 1: (4, 1), 2: (8, 2), 3: (16, 2)}
CANDIDATES_KEPT = {0: 1, 1: 1, 2: 2, 3: 3}
"""How many of the best layouts routing tries (judged by the estimated CZs)."""
REFINE = {0: (0, 0), 1: (0, 0), 2: (0, 0), 3: (2, 4)}
"""(best trials, new trials from each) for a second round of layout trials."""
RESYNTH_MIN = {0: 99, 1: 4, 2: 3, 3: 2}
"""The smallest CZ cost of a SWAP-free block that `consolidate_blocks` re-synthesises."""
HEURISTICS = np.array([
    # ext_size, ext_weight, decay_delta, absorb_bonus, front_sum, decay_reset
    [20, 0.5, 0.001, 0.5, 0.0, 0],
    [20, 0.5, 0.001, 1.0, 0.0, 0],
    [20, 0.5, 0.001, 0.5, 1.0, 5],
    [20, 0.5, 0.001, 1.0, 1.0, 5],
])
"""The portfolio of SABRE settings (rows; see `_sabre.HP_*`): trial i uses row i mod len."""


def qubit_scores(device: Device) -> np.ndarray:
    """Log-fidelity of each qubit's single-qubit gates and readout (closer to 0 is better)."""
    return np.array([math.log(c.fidelity_1q) + math.log(c.readout_fidelity)
                     for c in device.qubit_calibration])


def best_region(device: Device, size: int, compactness: float = 0.02) -> list[int]:
    """The best connected region of `size` physical qubits, grown greedily from each qubit.

    A region's value is the sum of its qubits' log-fidelities plus, for each qubit added,
    the log-fidelity of its best coupler into the region and a bonus `compactness` per
    further coupler into the region.
    """
    n = device.num_qubits
    if size > n:
        raise CircuitTooWideError(f"circuit needs {size} qubits; {device.name} has {n}")
    if size == n:
        return list(range(n))
    return list(_best_region(device, size, compactness))


@lru_cache(maxsize=256)
def _best_region(device: Device, size: int, compactness: float) -> tuple[int, ...]:
    qs = qubit_scores(device)
    link = {(a, b): math.log(device.coupler_fidelity(a, b)) for a, b in device.couplers}
    link.update({(b, a): v for (a, b), v in list(link.items())})
    best: tuple[float, tuple[int, ...]] = (-math.inf, ())
    for seed in range(device.num_qubits):
        inside = {seed}
        value = qs[seed]
        best_link: dict[int, float] = {}
        count: dict[int, int] = {}
        for nb in device.neighbors[seed]:
            best_link[nb] = link[(seed, nb)]
            count[nb] = 1
        while len(inside) < size and best_link:
            nb = max(best_link, key=lambda k: (
                qs[k] + best_link[k] + compactness * (count[k] - 1), -k))
            value += qs[nb] + best_link.pop(nb) + compactness * (count.pop(nb) - 1)
            inside.add(nb)
            for x in device.neighbors[nb]:
                if x not in inside:
                    best_link[x] = max(best_link.get(x, -math.inf), link[(nb, x)])
                    count[x] = count.get(x, 0) + 1
        if len(inside) == size and value > best[0]:
            best = (value, tuple(sorted(inside)))
    return best[1]


DIAGONAL_1Q = frozenset({"rz", "z", "s", "sdg", "t", "tdg", "p", "u1", "id", "u0"})
DIAGONAL_2Q = frozenset({"cz", "cp", "cu1", "crz", "rzz"})


def gate_cz_cost(inst) -> int:
    """CZs a two-qubit instruction costs by the fixed rules (3 when it cannot be told)."""
    if inst.name not in GATES or inst.is_parameterized:
        return 3
    return _cz_cost(inst.name, tuple(float(p) for p in inst.params))


@lru_cache(maxsize=4096)
def _cz_cost(name: str, params: tuple[float, ...]) -> int:
    return sum(1 for step in native_steps(name, params) if step[0] == "cz")


def routing_dag(instructions, num_qubits: int):
    """The dependency DAG of the two-qubit gates, aware that diagonal gates commute.

    On each qubit the two-qubit gates fall into layers: a run of diagonal gates (cz, cp,
    crz, rzz) not interrupted by a non-diagonal operation is one layer whose gates may
    run in any order; any other gate is a layer of its own. A gate waits for the whole
    previous layer on each of its qubits.

    Returns:
        (g0, g1, succ_ptr, succ_idx, npred, gcost, positions): the gates' qubits, the DAG
        in CSR form, each gate's CZ cost and its index in `instructions`.
    """
    g0: list[int] = []
    g1: list[int] = []
    gcost: list[int] = []
    positions: list[int] = []
    preds: list[set[int]] = []
    layer: list[list[int]] = [[] for _ in range(num_qubits)]
    prev: list[list[int]] = [[] for _ in range(num_qubits)]
    open_diag = [False] * num_qubits
    for pos, inst in enumerate(instructions):
        if len(inst.qubits) == 2 and inst.name != "barrier":
            g = len(g0)
            diag = inst.name in DIAGONAL_2Q and inst.condition is None
            before: set[int] = set()
            for q in inst.qubits:
                if not (diag and open_diag[q]):
                    if layer[q]:
                        prev[q] = layer[q]
                    layer[q] = []
                    open_diag[q] = diag
                before.update(prev[q])
                layer[q].append(g)
            g0.append(inst.qubits[0])
            g1.append(inst.qubits[1])
            gcost.append(gate_cz_cost(inst))
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
    return (np.array(g0, dtype=np.int64), np.array(g1, dtype=np.int64), ptr, idx, npred,
            np.array(gcost, dtype=np.int64), positions)


def coupling_arrays(device: Device) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(neighbour offsets, neighbour indices, float distance matrix) for the kernels."""
    ptr = np.zeros(device.num_qubits + 1, dtype=np.int64)
    idx: list[int] = []
    for q, nbs in enumerate(device.neighbors):
        idx += nbs
        ptr[q + 1] = len(idx)
    return ptr, np.array(idx, dtype=np.int64), device.distance.astype(np.float64)


def two_qubit_pairs(circuit: QuantumCircuit) -> np.ndarray:
    """The (q0, q1) of every two-qubit gate, in order."""
    pairs = [inst.qubits for inst in circuit.instructions
             if len(inst.qubits) == 2 and inst.name != "barrier"]
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def full_permutation(layout: Sequence[int], num_physical: int) -> np.ndarray:
    """A virtual->physical permutation: the circuit's qubits first, ancillas after."""
    used = set(layout)
    rest = [p for p in range(num_physical) if p not in used]
    return np.array(list(layout) + rest, dtype=np.int64)


def _greedy_start(pairs: np.ndarray, num_virtual: int, region: list[int],
                  device: Device) -> list[int]:
    """Place heavily interacting qubits next to each other, breadth-first."""
    weight = np.zeros((num_virtual, num_virtual))
    for a, b in pairs:
        weight[a, b] += 1
        weight[b, a] += 1
    order = list(np.argsort(-weight.sum(axis=1), kind="stable"))
    placed: dict[int, int] = {}
    free = set(region)
    dist = device.distance
    for v in order:
        partners = [(weight[v, u], placed[u]) for u in placed if weight[v, u] > 0]
        if partners:
            def cost(p: int, partners=partners) -> float:
                return sum(w * dist[p, pu] for w, pu in partners)
            p = min(sorted(free), key=cost)
        else:
            p = min(free, key=lambda x: (sum(dist[x, y] for y in placed.values()), x))
        placed[int(v)] = int(p)
        free.discard(p)
    return [placed[v] for v in range(num_virtual)]


def layout_fidelity(device: Device, layout: Sequence[int], pairs: np.ndarray) -> float:
    """Sum of log-fidelities of the placed qubits and of couplers the circuit uses directly."""
    qs, links = _log_fidelities(device)
    at = np.asarray(layout, dtype=np.int64)
    total = float(qs[at].sum())
    if len(pairs):
        total += float(links[at[pairs[:, 0]], at[pairs[:, 1]]].sum())
    return total


@lru_cache(maxsize=64)
def _log_fidelities(device: Device) -> tuple[np.ndarray, np.ndarray]:
    """(qubit scores, coupler log-fidelity matrix with 0 where there is no coupler)."""
    links = np.zeros((device.num_qubits, device.num_qubits))
    for a, b in device.couplers:
        links[a, b] = links[b, a] = math.log(device.coupler_fidelity(a, b))
    return qubit_scores(device), links


def _trials(problem, starts, iterations, context):
    """SABRE trials from `starts`: [(estimated CZs, layout, heuristic row, seed, backward)]."""
    ptr, idx, dist, fwd, rev = problem
    n = ptr.shape[0] - 1
    seeds = context.rng.integers(0, 2**31 - 1, size=len(starts)).astype(np.int64)
    rows = np.arange(len(starts)) % len(HEURISTICS)
    costs, layouts, used, backward = sabre_trials(
        ptr, idx, dist, fwd, rev, np.stack([full_permutation(s, n) for s in starts]),
        seeds, iterations, HEURISTICS[rows], RESYNTH_MIN[context.optimization_level])
    nv = len(starts[0])
    return [(float(costs[i]), [int(p) for p in layouts[i][:nv]], int(rows[i]), int(used[i]),
             bool(backward[i])) for i in range(len(starts))]


def sabre_layout(circuit: QuantumCircuit, *, context: CompileContext) -> QuantumCircuit:
    """Choose `context.initial_layout` (virtual -> physical); the circuit is unchanged."""
    device = context.device
    if device is None:
        raise ValueError("sabre_layout needs a device in the context")
    nv = circuit.num_qubits
    region = best_region(device, nv)
    pairs = two_qubit_pairs(circuit)
    greedy = _greedy_start(pairs, nv, region, device)
    trials, iterations = LAYOUT_EFFORT[context.optimization_level]
    if len(pairs) == 0 or (trials == 1 and iterations == 0):
        context.initial_layout = greedy
        context.stats["layout_region"] = region
        return circuit
    starts = [greedy] + [list(context.rng.permutation(region)) for _ in range(trials - 1)]
    n = device.num_qubits
    level = context.optimization_level
    problem = (*coupling_arrays(device), routing_dag(circuit.instructions, n)[:6],
               routing_dag(circuit.instructions[::-1], n)[:6])
    found = _trials(problem, starts, iterations, context)
    top, repeats = REFINE[level]
    if top:
        best = sorted(found, key=lambda f: f[0])[:top]
        found += _trials(problem, [f[1] for f in best for _ in range(repeats)], iterations,
                         context)
    fidelity = {tuple(f[1]): layout_fidelity(device, f[1], pairs) for f in found}
    found.sort(key=lambda f: (f[0], -fidelity[tuple(f[1])]))
    context.initial_layout = found[0][1]
    context.layout_candidates = [f[1:] for f in found[:CANDIDATES_KEPT[level]]]
    context.stats["layout_region"] = region
    context.stats["layout_trials"] = len(starts)
    return circuit
