"""Perfect layout: place the circuit so that every two-qubit gate already sits on a coupler.

When the circuit's interaction graph (a node per qubit that takes part in a two-qubit
gate, an edge per pair some gate acts on) is a subgraph of the chip's coupling graph,
routing needs no SWAP at all. `vf2_layout` looks for such embeddings with rustworkx's VF2
(VF2++ node order, subgraph and not induced, at most a fixed number of search states),
scores the first few by calibrated fidelity (`layout.layout_fidelity`) and keeps the best,
as Qiskit's `VF2Layout` does. Qubits without two-qubit gates go to the best free qubits.

`vf2_or_sabre_layout` is the layout step of levels 1-3: the perfect layout when one is found,
`sabre_layout` exactly as before otherwise (the search draws no randomness, so the SABRE
trials see the same generator). Graphs VF2 cannot embed are skipped without a search: a
qubit coupled to more partners than any chip qubit has, more pairs than the chip has
couplers, or an odd cycle on a bipartite chip (every grid).
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import numpy as np
import rustworkx as rx

from ..circuit import QuantumCircuit
from ..devices import Device
from .context import Candidate, CompileContext
from .layout import layout_fidelity, qubit_scores, sabre_layout, two_qubit_pairs

VF2_EFFORT = {1: (30_000, 100), 2: (50_000, 250), 3: (100_000, 1000)}
"""(VF2 search states, embeddings scored) per optimisation level; level 0 keeps its
greedy placement (it translates and routes only, as Qiskit's level 0 keeps its trivial
layout)."""


def interaction_graph(pairs: np.ndarray) -> tuple[rx.PyGraph, np.ndarray]:
    """The graph of the qubit pairs two-qubit gates act on, and its node -> circuit qubit."""
    qubits = np.unique(pairs)
    node = {int(q): i for i, q in enumerate(qubits)}
    graph = rx.PyGraph(multigraph=False)
    graph.add_nodes_from(range(len(qubits)))
    edges = np.unique(np.sort(pairs, axis=1), axis=0)
    graph.add_edges_from_no_data([(node[a], node[b]) for a, b in edges.tolist()])
    return graph, qubits


@lru_cache(maxsize=64)
def coupling_graph(device: Device) -> rx.PyGraph:
    """The chip's coupling graph (node i is physical qubit i); shared, never modified."""
    graph = rx.PyGraph(multigraph=False)
    graph.add_nodes_from(range(device.num_qubits))
    graph.add_edges_from_no_data(list(device.couplers))
    return graph


def cannot_embed(graph: rx.PyGraph, device: Device) -> bool:
    """Whether a quick count already rules out embedding `graph` in the chip's couplers."""
    chip = coupling_graph(device)
    chip_degrees = sorted((chip.degree(p) for p in chip.node_indices()), reverse=True)
    degrees = sorted((graph.degree(v) for v in graph.node_indices()), reverse=True)
    return (graph.num_edges() > chip.num_edges()
            or any(d > c for d, c in zip(degrees, chip_degrees, strict=False))
            or (_is_bipartite(device) and not rx.is_bipartite(graph)))


@lru_cache(maxsize=64)
def _is_bipartite(device: Device) -> bool:
    return rx.is_bipartite(coupling_graph(device))


def perfect_layouts(circuit: QuantumCircuit, device: Device, *, call_limit: int,
                    max_layouts: int) -> list[list[int]]:
    """Layouts (virtual -> physical) under which every two-qubit gate acts on a coupler.

    At most `max_layouts`, in VF2's order, found within `call_limit` search states; none
    when the circuit has no two-qubit gate or its couplings cannot embed in the chip's.
    Idle qubits (no two-qubit gate) take the best remaining qubits by gate and readout
    fidelity.
    """
    pairs = two_qubit_pairs(circuit)
    if len(pairs) == 0:
        return []
    graph, qubits = interaction_graph(pairs)
    if cannot_embed(graph, device):
        return []
    found = rx.vf2_mapping(coupling_graph(device), graph, subgraph=True, induced=False,
                           id_order=False, call_limit=call_limit)
    idle = np.setdiff1d(np.arange(circuit.num_qubits), qubits)
    ranked = np.argsort(-qubit_scores(device), kind="stable")
    layouts = []
    for mapping in itertools.islice(found, max_layouts):
        layout = np.empty(circuit.num_qubits, dtype=np.int64)
        physical = np.fromiter(mapping.keys(), dtype=np.int64, count=len(mapping))
        layout[qubits[np.fromiter(mapping.values(), dtype=np.int64, count=len(mapping))]] = physical
        if len(idle):
            layout[idle] = ranked[~np.isin(ranked, physical)][:len(idle)]
        layouts.append([int(p) for p in layout])
    return layouts


def vf2_layout(circuit: QuantumCircuit, *, context: CompileContext) -> QuantumCircuit:
    """Set `context.initial_layout` to the best-scoring perfect layout, if there is one.

    Candidates are ranked by `layout_fidelity` (log-fidelities of the qubits used and of
    the couplers, once per gate), the first found winning ties. Without a perfect layout
    the context is left as it was. The circuit is unchanged.
    """
    device = context.device
    if device is None:
        raise ValueError("vf2_layout needs a device in the context")
    call_limit, max_layouts = VF2_EFFORT[max(context.optimization_level, 1)]
    layouts = perfect_layouts(circuit, device, call_limit=call_limit, max_layouts=max_layouts)
    if not layouts:
        return circuit
    pairs = two_qubit_pairs(circuit)
    scores = [layout_fidelity(device, layout, pairs) for layout in layouts]
    best = layouts[int(np.argmax(scores))]
    context.initial_layout = best
    context.layout_candidates = [Candidate(best, 0, None, False)]
    context.stats["layout"] = "vf2"
    context.stats["vf2_candidates"] = len(layouts)
    return circuit


def vf2_or_sabre_layout(circuit: QuantumCircuit, *, context: CompileContext) -> QuantumCircuit:
    """The pipeline's layout step: `vf2_layout`'s perfect layout, else `sabre_layout`'s."""
    vf2_layout(circuit, context=context)
    if context.stats.get("layout") == "vf2":
        return circuit
    context.stats["layout"] = "sabre"
    return sabre_layout(circuit, context=context)
