"""Routing: insert SWAPs so every two-qubit gate acts on a coupler, and map to physical qubits.

The SABRE kernel (`_sabre.py`) decides when to run which gate and where to swap; this
module turns its decisions back into a circuit over the device's physical qubits. Every
other operation keeps its place relative to the two-qubit gates on its own qubit. A gate
with a classical condition starts a new segment: everything before it is emitted first,
so measurements and the conditions that read them keep their order.
"""

from __future__ import annotations

import numpy as np

from ..circuit import Instruction, QuantumCircuit, QuantumRegister
from ._sabre import sabre_route
from .context import CompileContext
from .layout import HEURISTIC, coupling_arrays, full_permutation, routing_dag

ROUTING_TRIALS = {0: 1, 1: 4, 2: 8, 3: 8}


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
    With several `context.layout_candidates` (levels 2 and 3) each is routed with a few
    seeds and the result that needs the fewest CZs after block re-synthesis wins (its
    layout becomes `context.initial_layout`).
    """
    device = context.device
    if device is None:
        raise ValueError("route needs a device in the context")
    segments = _segments(split_barriers(circuit).instructions)
    layouts = context.layout_candidates or [context.initial_layout
                                            or list(range(circuit.num_qubits))]
    if len(segments) > 1:
        layouts = layouts[:1]
    trials = ROUTING_TRIALS[context.optimization_level]
    seeds_each = max(1, trials // len(layouts)) if len(layouts) > 1 else trials
    best = None
    for layout in layouts:
        out, final, swaps, absorbed = _route_all(circuit, segments, layout, seeds_each,
                                                 context)
        cost = _cz_after_resynthesis(out, context) if len(layouts) > 1 else 0
        if best is None or cost < best[0]:
            best = (cost, out, final, swaps, absorbed, layout)
    _, out, final, swaps, absorbed, layout = best
    context.initial_layout = list(layout)
    context.final_layout = [int(final[v]) for v in range(circuit.num_qubits)]
    context.stats["swaps"] = swaps
    context.stats["absorbable_swaps"] = absorbed
    return out


def _cz_after_resynthesis(circuit: QuantumCircuit, context: CompileContext) -> int:
    from .optimize import consolidate_blocks, native_cz_count

    return native_cz_count(consolidate_blocks(circuit, context=context))


def _route_all(circuit, segments, layout, seeds, context):
    device = context.device
    n = device.num_qubits
    l2p = full_permutation(layout, n)
    ptr, idx, dist = coupling_arrays(device)
    out = QuantumCircuit(QuantumRegister("q", n), *circuit.cregs, name=circuit.name)
    out.opaque_gates = dict(circuit.opaque_gates)
    swaps = absorbed = 0
    for segment in segments:
        l2p, added, merged = _route_segment(segment, l2p, n, ptr, idx, dist, seeds, context,
                                            out)
        swaps += added
        absorbed += merged
    return out, l2p, swaps, absorbed


def _route_segment(segment, l2p, n, ptr, idx, dist, trials, context, out):
    g0, g1, succ_ptr, succ_idx, npred, twoq = routing_dag(segment, n)
    best = None
    for _ in range(trials):
        seed = int(context.rng.integers(0, 2**31 - 1))
        events, k, final, sw, ab = sabre_route(
            ptr, idx, dist, g0, g1, succ_ptr, succ_idx, npred, l2p, seed, HEURISTIC["ext_size"],
            HEURISTIC["ext_weight"], HEURISTIC["decay_delta"], HEURISTIC["absorb_bonus"],
            True)
        cost = 3 * (sw - ab) + ab
        if best is None or cost < best[0]:
            best = (cost, events[:k].copy(), final, sw, ab)
    _, events, final, swaps, absorbed = best
    _emit(segment, twoq, events, l2p.copy(), out)
    return final, swaps, absorbed


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
    p2l = np.empty_like(l2p)
    p2l[l2p] = np.arange(len(l2p))
    emit = out.instructions.append

    def mapped(inst: Instruction) -> Instruction:
        return Instruction(inst.name, tuple(int(l2p[q]) for q in inst.qubits), inst.clbits,
                           inst.params, inst.condition)

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

    for kind, a, b in events:
        if kind == 0:
            i = twoq[a]
            inst = segment[i]
            for q in inst.qubits:
                flush_until(q, i)
            done[i] = True
            emit(mapped(inst))
        else:
            emit(Instruction("swap", (int(a), int(b))))
            va, vb = p2l[a], p2l[b]
            p2l[a], p2l[b] = vb, va
            l2p[va], l2p[vb] = b, a
    for q in sorted(queues):
        flush_until(q, None)
