"""Noise-aware initial layout: choose where the circuit's qubits sit on the chip.

Two steps. `best_region` picks the connected set of physical qubits with the best
calibration (gate, readout and coupler fidelities, preferring compact regions whose
extra couplers save SWAPs). `sabre_layout` then places the virtual qubits inside it:
several starting placements (one greedy from the interaction graph, the rest random) are
each refined by SABRE's forward-backward passes, and the placement whose final routing
costs the fewest CZs wins; calibrated fidelity breaks ties.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..circuit import QuantumCircuit
from ..devices import Device
from ..errors import CircuitTooWideError
from ._sabre import sabre_trials
from .context import CompileContext

# (layout trials, forward-backward iterations) per optimisation level
LAYOUT_EFFORT = {0: (1, 0), 1: (6, 2), 2: (12, 3), 3: (24, 4)}
HEURISTIC = {"ext_size": 20, "ext_weight": 0.5, "decay_delta": 0.001, "absorb_bonus": 0.3}


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
    qs = qubit_scores(device)
    best: tuple[float, list[int]] = (-math.inf, [])
    for seed in range(n):
        region, value = [seed], qs[seed]
        inside = {seed}
        while len(region) < size:
            gains: dict[int, float] = {}
            for r in region:
                for nb in device.neighbors[r]:
                    if nb in inside:
                        continue
                    links = [math.log(device.coupler_fidelity(nb, x))
                             for x in device.neighbors[nb] if x in inside]
                    gains[nb] = qs[nb] + max(links) + compactness * (len(links) - 1)
            if not gains:
                break
            nb = max(gains, key=lambda k: (gains[k], -k))
            region.append(nb)
            inside.add(nb)
            value += gains[nb]
        if len(region) == size and value > best[0]:
            best = (value, sorted(region))
    return best[1]


def interaction_dag(pairs: np.ndarray, num_virtual: int):
    """The dependency DAG of a sequence of two-qubit gates, as the SABRE kernel takes it."""
    m = len(pairs)
    g0 = np.ascontiguousarray(pairs[:, 0], dtype=np.int64) if m else np.empty(0, np.int64)
    g1 = np.ascontiguousarray(pairs[:, 1], dtype=np.int64) if m else np.empty(0, np.int64)
    nxt0 = np.full(m, -1, dtype=np.int64)
    nxt1 = np.full(m, -1, dtype=np.int64)
    npred = np.zeros(m, dtype=np.int64)
    last = [-1] * num_virtual
    for g in range(m):
        a, b = int(g0[g]), int(g1[g])
        preds = {last[a], last[b]} - {-1}
        npred[g] = len(preds)
        for q, prev in ((a, last[a]), (b, last[b])):
            if prev >= 0:
                if int(g0[prev]) == q:
                    nxt0[prev] = g
                else:
                    nxt1[prev] = g
        last[a] = last[b] = g
    return g0, g1, nxt0, nxt1, npred


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
             if len(inst.qubits) == 2 and inst.name not in ("barrier",)]
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
    qs = qubit_scores(device)
    total = float(sum(qs[p] for p in layout))
    for a, b in pairs:
        pa, pb = layout[a], layout[b]
        if device.has_coupler(pa, pb):
            total += math.log(device.coupler_fidelity(pa, pb))
    return total


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
    fwd = interaction_dag(pairs, n)
    rev = interaction_dag(pairs[::-1].copy(), n)
    ptr, idx, dist = coupling_arrays(device)
    seeds = context.rng.integers(0, 2**31 - 1, size=len(starts)).astype(np.int64)
    costs, layouts = sabre_trials(
        ptr, idx, dist, fwd, rev, np.stack([full_permutation(s, n) for s in starts]),
        seeds, iterations, HEURISTIC["ext_size"], HEURISTIC["ext_weight"],
        HEURISTIC["decay_delta"], HEURISTIC["absorb_bonus"])
    candidates = [[int(p) for p in layouts[i][:nv]] for i in range(len(starts))]
    best = min(range(len(starts)),
               key=lambda i: (costs[i], -layout_fidelity(device, candidates[i], pairs)))
    context.initial_layout = candidates[best]
    context.stats["layout_region"] = region
    context.stats["layout_trials"] = len(starts)
    return circuit
