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
from typing import NamedTuple

import numpy as np

from ..circuit import QuantumCircuit
from ..devices import Device
from ..errors import CircuitTooWideError
from ._sabre import sabre_trials
from .consolidate_blocks import RESYNTH_MIN
from .context import Candidate, CompileContext
from .sabre import (
    DEPTH_WEIGHT,
    Dags,
    chunks,
    coupling_arrays,
    full_permutation,
    heuristics,
    parallel_map,
    preference,
    variant_of,
)

# (layout trials, forward-backward iterations) per optimisation level
LAYOUT_EFFORT = {0: (1, 0), 1: (4, 1), 2: (8, 2), 3: (16, 2)}
CANDIDATES_KEPT = {0: 1, 1: 1, 2: 2, 3: 3}
"""How many of the best layouts routing tries (judged by the estimated CZs)."""
REFINE = {0: (0, 0), 1: (0, 0), 2: (0, 0), 3: (2, 4)}
"""(best trials, new trials from each) for a second round of layout trials."""
REFINE_ROUNDS = {0: 0, 1: 0, 2: 0, 3: 1}
"""How many such rounds, each from the best trials so far."""
EARLY_EXIT_AFTER = 2
"""The first trials (the greedy start among them) always run every iteration; they set
the bar for the rest."""
EARLY_EXIT_MARGIN = 0.15
"""A later trial stops after a forward-backward iteration if its best pass still scores
this fraction above the best of the trials before it (it would not win)."""

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


def two_qubit_pairs(circuit: QuantumCircuit) -> np.ndarray:
    """The (q0, q1) of every two-qubit gate, in order."""
    pairs = [inst.qubits for inst in circuit.instructions
             if len(inst.qubits) == 2 and inst.name != "barrier"]
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def _greedy_start(pairs: np.ndarray, num_virtual: int, region: list[int],
                  device: Device) -> list[int]:
    """Place heavily interacting qubits next to each other, breadth-first."""
    weight = np.zeros((num_virtual, num_virtual))
    for a, b in pairs:
        weight[a, b] += 1
        weight[b, a] += 1
    order = np.argsort(-weight.sum(axis=1), kind="stable")
    dist = device.distance
    free = np.array(sorted(region), dtype=np.int64)  # ascending: ties go to the lowest
    at = np.full(num_virtual, -1, dtype=np.int64)
    placed: list[int] = []  # virtual qubits placed so far, in order
    for v in order:
        pv = np.array(placed, dtype=np.int64)
        w = weight[v, pv] if len(pv) else np.zeros(0)
        if np.any(w > 0):
            # integer weights and distances: the sums are exact, ties as before
            cost = dist[np.ix_(free, at[pv[w > 0]])] @ w[w > 0]
        elif len(pv):
            cost = dist[np.ix_(free, at[pv])].sum(axis=1)
        else:
            cost = np.zeros(len(free))
        k = int(np.argmin(cost))
        at[v] = free[k]
        placed.append(int(v))
        free = np.delete(free, k)
    return [int(p) for p in at]


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


class _Trial(NamedTuple):
    cost: float  # the kernel's estimate of the CZs after block re-synthesis
    depth: float  # and of the CZ depth
    candidate: Candidate


def _trials(problem, starts, iterations, context, variants=None, first=0,
            cutoff=math.inf) -> list[_Trial]:
    """SABRE trials from `starts`, numbered from `first` (trial i uses heuristic row i
    and, unless `variants` says otherwise, DAG variant `variant_of(i)`), each with the
    estimated CZs and depth of its best pass; trials that score above `cutoff` after a
    forward-backward iteration stop early."""
    coupling, dags = problem
    n = coupling.nbr_ptr.shape[0] - 1
    seeds = context.rng.integers(0, 2**31 - 1, size=len(starts)).astype(np.int64)
    portfolio = heuristics(context.optimization_level, coupling)
    rows = (first + np.arange(len(starts))) % len(portfolio)
    if variants is None:
        variants = [variant_of(first + i) for i in range(len(starts))]
    variants = np.asarray(variants, dtype=np.int64)
    l2p = np.stack([full_permutation(s, n) for s in starts])
    hps = portfolio[rows]
    resynth_min = RESYNTH_MIN[context.optimization_level]
    jobs = []  # (variant, trial indices): contiguous slices of each variant's trials
    for v in np.unique(variants):
        mine = np.flatnonzero(variants == v)
        jobs += [(int(v), mine[part]) for part in chunks(len(mine))]
    for v in np.unique(variants):  # built here, not on the threads
        dags.get(int(v)), dags.get(int(v), backward=True)
    parts = parallel_map(lambda job: sabre_trials(
        *coupling, dags.get(job[0]).arrays, dags.get(job[0], backward=True).arrays,
        l2p[job[1]], seeds[job[1]], iterations, hps[job[1]], resynth_min, DEPTH_WEIGHT,
        cutoff),
        jobs)
    costs = np.empty(len(starts))
    depths = np.empty(len(starts))
    layouts = np.empty_like(l2p)
    used = np.empty(len(starts), dtype=np.int64)
    backward = np.empty(len(starts), dtype=bool)
    for (_, idx), (c, d, lay, u, b) in zip(jobs, parts, strict=True):
        costs[idx], depths[idx], layouts[idx], used[idx], backward[idx] = c, d, lay, u, b
    nv = len(starts[0])
    return [_Trial(float(costs[i]), float(depths[i]),
                   Candidate([int(p) for p in layouts[i][:nv]], int(rows[i]), int(used[i]),
                             bool(backward[i]), int(variants[i])))
            for i in range(len(starts))]


def _cutoff(found: list[_Trial]) -> float:
    """The score above which a trial stops early: `EARLY_EXIT_MARGIN` above the best."""
    return (1 + EARLY_EXIT_MARGIN) * min(t.cost + DEPTH_WEIGHT * t.depth for t in found)


def _order(found: list[_Trial]) -> list[int]:
    return preference([t.cost for t in found], [t.depth for t in found])


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
    context.dags = Dags(circuit.instructions, n)
    problem = (coupling_arrays(device), context.dags)
    # the first trials in full; the rest stop early when clearly worse than those
    head = min(len(starts), EARLY_EXIT_AFTER)
    found = _trials(problem, starts[:head], iterations, context)
    if len(starts) > head:
        found += _trials(problem, starts[head:], iterations, context, first=head,
                         cutoff=_cutoff(found))
    top, repeats = REFINE[level]
    for _ in range(REFINE_ROUNDS[level] if top else 0):
        best = [found[i] for i in _order(found)[:top]]
        found += _trials(problem, [t.candidate.layout for t in best for _ in range(repeats)],
                         iterations, context,
                         [t.candidate.variant for t in best for _ in range(repeats)],
                         cutoff=_cutoff(found))
    fidelity = {tuple(t.candidate.layout): layout_fidelity(device, t.candidate.layout, pairs)
                for t in found}
    found.sort(key=lambda t: -fidelity[tuple(t.candidate.layout)])  # breaks ties
    found = [found[i] for i in _order(found)]
    context.initial_layout = found[0].candidate.layout
    context.layout_candidates = [t.candidate for t in found[:CANDIDATES_KEPT[level]]]
    context.stats["layout_region"] = region
    context.stats["layout_trials"] = len(starts)
    return circuit
