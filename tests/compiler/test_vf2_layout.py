"""The perfect layout (`vf2_layout`): circuits whose couplings embed in the chip's need no SWAP."""

import math
import time

import numpy as np
import pytest

from kuafu import devices
from kuafu.circuit import QuantumCircuit
from kuafu.compiler import CompileContext, check_native, compile, pipeline, sabre_layout
from kuafu.compiler.layout import layout_fidelity, two_qubit_pairs
from kuafu.compiler.vf2_layout import VF2_EFFORT, perfect_layouts, vf2_layout

from .equivalence import assert_equivalent


def coupled(n: int, pairs, seed: int = 0, layers: int = 2) -> QuantumCircuit:
    """Random rotations and a random two-qubit gate on each of `pairs`, `layers` times.

    The qubits are relabelled at random, so the identity is not the answer."""
    rng = np.random.default_rng(seed)
    label = [int(q) for q in rng.permutation(n)]
    qc = QuantumCircuit(n)
    for _ in range(layers):
        for q in range(n):
            qc.u3(*rng.uniform(-math.pi, math.pi, 3), q)
        for a, b in pairs:
            gate = ["cx", "cz", "rzz", "cp", "cu3"][int(rng.integers(5))]
            params = {"rzz": 1, "cp": 1, "cu3": 3}.get(gate, 0)
            qc.append(gate, [label[a], label[b]], list(rng.uniform(-math.pi, math.pi, params)))
    return qc


def chain(n: int) -> list[tuple[int, int]]:
    return [(i, i + 1) for i in range(n - 1)]


def ring(n: int) -> list[tuple[int, int]]:
    return [*chain(n), (n - 1, 0)]


def grid(rows: int, cols: int) -> list[tuple[int, int]]:
    at = lambda r, c: r * cols + c  # noqa: E731
    return ([(at(r, c), at(r, c + 1)) for r in range(rows) for c in range(cols - 1)]
            + [(at(r, c), at(r + 1, c)) for r in range(rows - 1) for c in range(cols)])


def kicked_ising(n: int, depth: int) -> QuantumCircuit:
    qc = QuantumCircuit(n, n)
    for _ in range(depth):
        for q in range(n):
            qc.rx(0.3, q)
        for start in (0, 1):
            for q in range(start, n - 1, 2):
                qc.rzz(0.5, q, q + 1)
    qc.measure(list(range(n)), list(range(n)))
    return qc


def sabre_only(qc, device, level, seed, monkeypatch):
    """The compiler as it was before the perfect layout: SABRE's layout at every level."""
    with monkeypatch.context() as m:
        m.setattr(pipeline, "vf2_or_sabre_layout", sabre_layout)
        return compile(qc, device, optimization_level=level, seed=seed)


@pytest.mark.parametrize(("chip", "n", "pairs"), [
    ("ScQ-P18", 9, chain(9)),
    ("ScQ-P136", 10, chain(10)),
    ("ScQ-P136", 8, ring(8)),
    ("ScQ-P136", 9, grid(3, 3)),
])
@pytest.mark.parametrize("level", [1, 2, 3])
def test_embeddable_circuits_compile_without_swaps_and_equivalent(chip, n, pairs, level):
    device = devices.get(chip)
    qc = coupled(n, pairs, seed=level)
    compiled = compile(qc, device, optimization_level=level, seed=level)
    assert compiled.stats["layout"] == "vf2"
    assert compiled.stats["swaps"] == 0
    assert not any(i.name == "swap" for i in compiled.circuit.instructions)
    check_native(compiled.circuit, device)
    assert_equivalent(qc, compiled)


def test_the_issues_kicked_ising_chain_needs_no_swap_on_scq_p136():
    device = devices.get("ScQ-P136")
    qc = kicked_ising(50, 8)
    compiled = compile(qc, device, optimization_level=1, seed=0)
    assert compiled.stats["layout"] == "vf2" and compiled.stats["swaps"] == 0
    mapping = compiled.initial_mapping
    assert compiled.final_mapping == mapping
    assert all(device.has_coupler(mapping[q], mapping[q + 1]) for q in range(49))
    assert compiled.stats["twoq_after"] <= 2 * 49 * 8
    measured = {i.clbits[0]: i.qubits[0] for i in compiled.circuit.instructions
                if i.name == "measure"}
    assert measured == {q: mapping[q] for q in range(50)}


def test_idle_qubits_take_the_best_free_qubits_and_measure_where_mapped():
    from kuafu.backends import EmulatedBackend

    qc = QuantumCircuit(5, 5)
    qc.x(4)  # no two-qubit gate on qubit 4
    qc.h(0)
    for a, b in chain(4):
        qc.cx(a, b)
    qc.measure(list(range(5)), list(range(5)))
    device = devices.get("ScQ-P136")
    compiled = compile(qc, device, seed=1)
    assert compiled.stats["layout"] == "vf2" and compiled.stats["swaps"] == 0
    assert compiled.initial_mapping[4] not in [compiled.initial_mapping[q] for q in range(4)]
    result = EmulatedBackend(device, noisy=False).run(qc, 200, seed=2)
    assert set(result.counts) == {"10000", "11111"}


def test_conditions_keep_their_order_under_a_perfect_layout():
    from kuafu.backends import EmulatedBackend

    qc = QuantumCircuit(3, 3)
    qc.x(0)
    qc.cx(0, 1)
    qc.measure(1, 0)
    qc.x(2).c_if(0, 1)
    qc.cx(1, 2)
    qc.measure([0, 1, 2], [0, 1, 2])
    compiled = compile(qc, devices.get("ScQ-P18"), seed=3)
    assert compiled.stats["layout"] == "vf2" and compiled.stats["swaps"] == 0
    result = EmulatedBackend(devices.get("ScQ-P18"), noisy=False).run(qc, 50, seed=1)
    assert result.counts == {"011": 50}


@pytest.mark.parametrize(("chip", "n", "pairs"), [
    ("ScQ-P18", 6, ring(6)),  # a cycle in a chain
    ("ScQ-P136", 5, ring(5)),  # an odd cycle in a bipartite grid
    ("ScQ-P136", 6, [(a, b) for a in range(6) for b in range(a + 1, 6)]),  # degree 5 > 4
    ("ScQ-P136", 4, [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]),  # K4: odd cycles
])
@pytest.mark.parametrize("level", [1, 3])
def test_non_embeddable_circuits_fall_back_to_sabre_unchanged(chip, n, pairs, level,
                                                              monkeypatch):
    device = devices.get(chip)
    qc = coupled(n, pairs, seed=7)
    compiled = compile(qc, device, optimization_level=level, seed=11)
    before = sabre_only(qc, device, level, 11, monkeypatch)
    assert compiled.stats["layout"] == "sabre"
    assert compiled.circuit == before.circuit
    assert compiled.initial_mapping == before.initial_mapping
    assert compiled.final_mapping == before.final_mapping
    assert_equivalent(qc, compiled)


def test_the_chosen_layout_scores_best_among_the_candidates():
    device = devices.get("ScQ-P136")
    qc = kicked_ising(12, 3)
    call_limit, max_layouts = VF2_EFFORT[2]
    candidates = perfect_layouts(qc, device, call_limit=call_limit, max_layouts=max_layouts)
    pairs = two_qubit_pairs(qc)
    scores = [layout_fidelity(device, layout, pairs) for layout in candidates]
    assert len(candidates) == max_layouts and len(set(scores)) > 1
    context = CompileContext(device=device, optimization_level=2)
    vf2_layout(qc, context=context)
    assert context.initial_layout in candidates
    assert layout_fidelity(device, context.initial_layout, pairs) == max(scores)
    assert context.stats["vf2_candidates"] == max_layouts


def test_the_search_is_bounded_when_nothing_embeds():
    device = devices.get("ScQ-P136")
    for pairs, n in [(grid(9, 9), 81), ([(a, b) for a in range(40) for b in range(a)], 40)]:
        qc = coupled(n, pairs, seed=1, layers=1)
        context = CompileContext(device=device, optimization_level=3)
        start = time.perf_counter()
        vf2_layout(qc, context=context)
        assert time.perf_counter() - start < 2.0  # ~20 ms alone; generous for a shared machine
        assert context.initial_layout is None and "layout" not in context.stats


def test_no_two_qubit_gates_leaves_the_layout_to_sabre():
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.measure([0, 1, 2], [0, 1, 2])
    compiled = compile(qc, devices.get("ScQ-P136"), seed=1)
    assert compiled.stats["layout"] == "sabre"
