"""Routing: insert SWAPs so every two-qubit gate acts on a coupler, and map to physical qubits.

The SABRE kernel (`_sabre.py`) decides when to run which gate and where to swap; this
module turns its decisions back into a circuit over the device's physical qubits. Every
other operation keeps its place relative to the two-qubit gates on its own qubit. A gate
with a classical condition starts a new segment: everything before it is emitted first,
so measurements and the conditions that read them keep their order.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..circuit import Instruction, QuantumCircuit, QuantumRegister
from .context import Candidate, CompileContext
from .sabre import (
    Dags,
    Routing,
    coupling_arrays,
    full_permutation,
    heuristics,
    parallel_map,
    preference,
    route_once,
    routing_dag,
)

ROUTING_TRIALS = {0: 1, 1: 2, 2: 4, 3: 4}
"""Routings per layout candidate (the first reuses the trial that found the layout)."""


def split_barriers(circuit: QuantumCircuit) -> QuantumCircuit:
    """Multi-qubit barriers become one barrier per qubit (routing orders ops per qubit)."""
    out = circuit.copy_empty()
    for inst in circuit.instructions:
        if inst.name == "barrier" and len(inst.qubits) > 1:
            out.instructions += [Instruction("barrier", (q,)) for q in inst.qubits]
        else:
            out.instructions.append(inst)
    return out


def _segments(instructions: list[Instruction]) -> list[list[Instruction]]:
    segments: list[list[Instruction]] = [[]]
    for inst in instructions:
        if inst.condition is not None and segments[-1]:
            segments.append([])
        segments[-1].append(inst)
    return segments


def route(circuit: QuantumCircuit, *, context: CompileContext) -> QuantumCircuit:
    """The circuit on the device's physical qubits with SWAPs (`swap` gates) inserted.

    Uses `context.initial_layout` (trivial if unset) and sets `context.final_layout`.
    Each of `context.layout_candidates` is routed again with the SABRE trial that found
    it and a few more seeds; the routing with the fewest CZs after block re-synthesis, by
    the kernel's estimate, wins (its layout becomes `context.initial_layout`).
    """
    device = context.device
    if device is None:
        raise ValueError("route needs a device in the context")
    segments = _segments(split_barriers(circuit).instructions)
    candidates = context.layout_candidates or [
        Candidate(context.initial_layout or list(range(circuit.num_qubits)), 0, None, False)]
    if len(segments) > 1:
        out, run = _route_segments(circuit, segments, candidates[0].layout, context)
    else:
        out, run = _route_one(circuit, segments[0], candidates, context)
    context.initial_layout = list(run.layout)
    context.final_layout = [int(run.final[v]) for v in range(circuit.num_qubits)]
    context.stats["swaps"] = run.swaps
    context.stats["absorbable_swaps"] = run.absorbed
    return out


class _Run(NamedTuple):
    """A routing of a whole circuit: where it started and ended, what it cost."""

    layout: list[int]  # virtual -> physical at the start
    final: np.ndarray  # virtual -> physical (ancillas included) at the end
    swaps: int
    absorbed: int


def _empty_like(circuit: QuantumCircuit, n: int) -> QuantumCircuit:
    out = QuantumCircuit(QuantumRegister("q", n), *circuit.cregs, name=circuit.name)
    out.opaque_gates = dict(circuit.opaque_gates)
    return out


def _route_one(circuit, segment, candidates, context) -> tuple[QuantumCircuit, _Run]:
    """Route a circuit without conditions: every candidate as its trial routed it (a
    backward pass read in reverse) and with a few more seeds; the best by estimate wins."""
    n = context.device.num_qubits
    level = context.optimization_level
    coupling = coupling_arrays(context.device)
    dags = context.dags
    if dags is None or len(dags.instructions) != len(segment) or not all(
            a is b for a, b in zip(dags.instructions, segment, strict=True)):
        dags = Dags(segment, n)
    candidates = [Candidate(*c) for c in candidates]
    for c in candidates:  # built here, not on the threads
        dags.get(c.variant), c.backward and dags.get(c.variant, backward=True)
    # first the backward passes (read in reverse, each is a routing from the layout it
    # ends with), then more seeds from each candidate's layout; all on the kernel's threads
    backs = parallel_map(lambda c: route_once(dags.get(c.variant, backward=True), coupling,
                                              full_permutation(c.layout, n), c.heuristic,
                                              c.seed, level),
                         [c for c in candidates if c.backward])
    positions = dags.get(candidates[0].variant).positions  # the same in every variant
    runs: list[tuple[Routing, list[int]]] = []  # (routing, the layout it starts from)
    tasks: list[tuple] = []  # (l2p, row, seed, layout, variant)
    for layout, row, seed, backward, variant in candidates:
        configs = []
        if backward:
            r = backs.pop(0)
            events = _reversed_events(r.events, dags.get(variant, backward=True).positions,
                                      positions, len(segment))
            start = full_permutation(layout, n)
            layout = [int(p) for p in r.final[:len(layout)]]
            runs.append((r._replace(events=events, final=start), layout))
        elif seed is not None:
            configs.append((row, seed))
        configs += [(i % len(heuristics(level)), int(context.rng.integers(0, 2**31 - 1)))
                    for i in range(ROUTING_TRIALS[level] - len(configs) - backward)]
        l2p = full_permutation(layout, n)
        tasks += [(l2p, hp_row, s, layout, variant) for hp_row, s in configs]
    routings = parallel_map(lambda t: route_once(dags.get(t[4]), coupling, t[0], t[1], t[2],
                                                 level), tasks)
    # in the order the trials were made before (a backward run first within its candidate)
    ordered: list[tuple[Routing, list[int]]] = []
    k = 0
    for c in candidates:
        if c.backward:
            ordered.append(runs.pop(0))
        for _ in range(ROUTING_TRIALS[level] - c.backward):
            ordered.append((routings[k], tasks[k][3]))
            k += 1
    runs = ordered
    best = preference([r.cost for r, _ in runs], [r.depth for r, _ in runs])[0]
    routing, layout = runs[best]
    out = _empty_like(circuit, n)
    _emit(segment, positions, routing.events, full_permutation(layout, n), out)
    context.stats["cz_estimate"] = int(routing.cost)
    context.stats["cz_depth_estimate"] = int(routing.depth)
    return out, _Run(layout, routing.final, routing.swaps, routing.absorbed)


def _reversed_events(events, rev_positions, positions, length):
    """The events of a routing of the reversed circuit, as a routing of the circuit."""
    gate_at = {p: g for g, p in enumerate(positions)}
    out = events[::-1].copy()
    for e in out:
        if e[0] == 0:
            e[1] = gate_at[length - 1 - rev_positions[e[1]]]
    return out


def _route_segments(circuit, segments, layout, context) -> tuple[QuantumCircuit, _Run]:
    """Route segment after segment (a condition starts a new one), each by the best of a
    few trials by estimate."""
    n = context.device.num_qubits
    level = context.optimization_level
    coupling = coupling_arrays(context.device)
    l2p = full_permutation(layout, n)
    out = _empty_like(circuit, n)
    swaps = absorbed = 0
    for segment in segments:
        dag = routing_dag(segment, n)
        seeds = [int(context.rng.integers(0, 2**31 - 1)) for _ in range(ROUTING_TRIALS[level])]
        tried = parallel_map(lambda i, dag=dag, l2p=l2p, seeds=seeds: route_once(
            dag, coupling, l2p, i % len(heuristics(level)), seeds[i], level), range(len(seeds)))
        best = tried[preference([r.cost for r in tried], [r.depth for r in tried])[0]]
        _emit(segment, dag.positions, best.events, l2p.copy(), out)
        l2p = best.final
        swaps += best.swaps
        absorbed += best.absorbed
    return out, _Run(layout, l2p, swaps, absorbed)


def _emit(segment, twoq, events, l2p, out) -> None:
    queues: dict[int, list[int]] = {}
    for i, inst in enumerate(segment):
        for q in inst.qubits:
            queues.setdefault(q, []).append(i)
    ptrs = dict.fromkeys(queues, 0)
    done = [False] * len(segment)
    is_twoq = [False] * len(segment)
    for i in twoq:
        is_twoq[i] = True
    l2p = [int(p) for p in l2p]  # plain ints: numpy scalars are slow to index with
    p2l = [0] * len(l2p)
    for v, p in enumerate(l2p):
        p2l[p] = v
    emit = out.instructions.append

    def mapped(inst: Instruction) -> Instruction:
        qs = inst.qubits
        where = (l2p[qs[0]],) if len(qs) == 1 else tuple(l2p[q] for q in qs)
        return Instruction(inst.name, where, inst.clbits, inst.params, inst.condition)

    def flush_until(q: int, stop: int | None) -> None:
        # Emit q's pending operations up to `stop`, stepping over two-qubit gates that
        # commute with it (same diagonal layer) and will be emitted when they run.
        queue, k = queues[q], ptrs[q]
        while k < len(queue) and done[queue[k]]:
            k += 1
        ptrs[q] = k
        for j in range(k, len(queue)):
            i = queue[j]
            if i == stop:
                break
            if done[i] or is_twoq[i]:
                continue
            done[i] = True
            emit(mapped(segment[i]))

    for kind, a, b in events.tolist():
        if kind == 0:
            i = twoq[a]
            inst = segment[i]
            for q in inst.qubits:
                flush_until(q, i)
            done[i] = True
            emit(mapped(inst))
        else:
            emit(Instruction("swap", (a, b)))
            va, vb = p2l[a], p2l[b]
            p2l[a], p2l[b] = vb, va
            l2p[va], l2p[vb] = b, a
    for q in sorted(queues):
        flush_until(q, None)
