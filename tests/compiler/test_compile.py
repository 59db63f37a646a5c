import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kuafu import devices
from kuafu.circuit import GATES, QuantumCircuit, unitary
from kuafu.compiler import (
    CompileContext,
    CompiledCircuit,
    best_region,
    check_native,
    compile,
    optimize,
    route,
)
from kuafu.errors import CircuitTooWideError, CompileError

from .equivalence import assert_equivalent, compiled_unitary_on_input

ONE_Q = ["h", "x", "y", "z", "s", "sdg", "t", "tdg", "sx", "sy", "rx", "ry", "rz", "u3", "u2",
         "p", "id"]
TWO_Q = ["cx", "cz", "cy", "ch", "cp", "crx", "cry", "crz", "cu3", "swap", "rzz", "rxx", "csx"]
THREE_PLUS = ["ccx", "cswap", "rccx", "c3x"]


def random_circuit(n: int, size: int, rng: np.random.Generator, wide: bool = True):
    qc = QuantumCircuit(n)
    for _ in range(size):
        r = rng.random()
        pool = ONE_Q if r < 0.45 else TWO_Q if r < 0.95 or not wide else THREE_PLUS
        name = pool[rng.integers(len(pool))]
        spec = GATES[name]
        if spec.num_qubits > n:
            continue
        qubits = [int(q) for q in rng.choice(n, spec.num_qubits, replace=False)]
        qc.append(name, qubits, list(rng.uniform(-math.pi, math.pi, spec.num_params)))
    return qc


@pytest.mark.parametrize("level", [0, 1, 2, 3])
@pytest.mark.parametrize("chip", ["ScQ-P10", "ScQ-P18"])
def test_random_circuits_compile_to_equivalent_native_circuits(level, chip):
    device = devices.get(chip)
    rng = np.random.default_rng(level * 100 + len(chip))
    for trial in range(4):
        qc = random_circuit(int(rng.integers(2, 7)), 40, rng)
        compiled = compile(qc, device, optimization_level=level, seed=trial)
        check_native(compiled.circuit, device)
        assert_equivalent(qc, compiled)


def test_grid_chip_equivalence():
    device = devices.get("ScQ-P136")
    rng = np.random.default_rng(136)
    for trial in range(4):
        qc = random_circuit(5, 30, rng)
        compiled = compile(qc, device, optimization_level=1 + trial % 3, seed=trial)
        check_native(compiled.circuit, device)
        assert_equivalent(qc, compiled)


@pytest.mark.parametrize("level", [1, 3])
def test_the_routers_cz_estimate_is_the_final_count(level):
    # trials are ranked by the kernel's estimate of the CZs after block re-synthesis
    qft = QuantumCircuit(8)
    for j in reversed(range(8)):
        qft.h(j)
        for k in reversed(range(j)):
            qft.cp(math.pi / 2 ** (j - k), j, k)
    rng = np.random.default_rng(level)
    layers = QuantumCircuit(8)
    for _ in range(8):
        for q in range(8):
            layers.u3(*rng.uniform(-math.pi, math.pi, 3), q)
        order = rng.permutation(8)
        for a, b in zip(order[0::2], order[1::2], strict=True):
            layers.cx(int(a), int(b))
    for qc, chip in ((qft, "ScQ-P18"), (qft, "ScQ-P136"), (layers, "ScQ-P18")):
        stats = compile(qc, devices.get(chip), optimization_level=level, seed=1).stats
        assert stats["cz_estimate"] == stats["twoq_after"]


@pytest.mark.parametrize("seed", range(4))
def test_a_backward_routing_read_in_reverse_routes_the_circuit(seed):
    # layout trials keep backward passes as candidates; routing replays them reversed
    device = devices.get("ScQ-P18")
    rng = np.random.default_rng(seed)
    qc = random_circuit(6, 40, rng, wide=False)
    context = CompileContext(device=device, optimization_level=0,
                             rng=np.random.default_rng(seed))
    start = [int(p) for p in rng.permutation(7)[:6]]
    context.layout_candidates = [(start, 0, 1000 + seed, True)]
    routed = route(qc, context=context)
    assert context.final_layout == start  # the backward pass started there
    out = optimize(routed, context=context)
    check_native(out, device)
    compiled = CompiledCircuit(out, device, dict(enumerate(context.initial_layout)),
                               dict(enumerate(context.final_layout)))
    assert_equivalent(qc, compiled)


@given(st.integers(0, 10**6), st.integers(2, 5), st.sampled_from([0, 1, 3]))
@settings(max_examples=15, deadline=None)
def test_property_compiled_equals_input_up_to_mapping(seed, n, level):
    rng = np.random.default_rng(seed)
    qc = random_circuit(n, 25, rng)
    compiled = compile(qc, devices.get("ScQ-P10"), optimization_level=level, seed=seed)
    assert_equivalent(qc, compiled)


def test_qiskit_agrees_on_the_compiled_operator():
    from qiskit import QuantumCircuit as QiskitCircuit
    from qiskit.quantum_info import Operator

    rng = np.random.default_rng(42)
    qc = random_circuit(4, 30, rng, wide=False)
    compiled = compile(qc, devices.get("ScQ-P18"), seed=3)
    qq = QiskitCircuit(4)
    for inst in qc.instructions:
        params = [float(p) for p in inst.params]
        if inst.name == "cu3":
            qq.cu(*params, 0.0, *inst.qubits)
        elif inst.name == "u2":
            qq.u(math.pi / 2, *params, *inst.qubits)
        elif inst.name == "sy":
            qq.ry(math.pi / 2, *inst.qubits)
        else:
            getattr(qq, "u" if inst.name == "u3" else inst.name)(*params, *inst.qubits)
    expected = Operator(qq).data
    got = compiled_unitary_on_input(qc, compiled)
    k = np.unravel_index(np.argmax(np.abs(expected)), expected.shape)
    np.testing.assert_allclose(got, got[k] / expected[k] * expected, atol=1e-7)


def test_fewer_czs_with_more_optimisation_on_redundant_circuit():
    qc = QuantumCircuit(3)
    for _ in range(5):
        qc.cx(0, 1)
        qc.rz(0.3, 1)
        qc.cx(0, 1)
        qc.cp(0.2, 1, 2)
    device = devices.get("ScQ-P10")
    c0 = compile(qc, device, optimization_level=0, seed=1)
    c1 = compile(qc, device, optimization_level=1, seed=1)
    assert c1.stats["twoq_after"] < c0.stats["twoq_after"]
    assert_equivalent(qc, c1)


def test_gates_that_are_identity_to_float_precision_are_dropped():
    # Qiskit's exact cutoff: average gate infidelity to the identity below 1e-12
    qc = QuantumCircuit(3)
    qc.h(0)
    qc.cp(math.pi / 2**21, 0, 1)   # 1 - F = 3e-13: dropped
    qc.rzz(1e-7, 1, 2)              # dropped
    qc.cp(math.pi / 2**20, 0, 2)   # 1 - F = 1.3e-12: kept
    qc.rz(1e-9, 2)
    device = devices.get("ScQ-P10")
    c1 = compile(qc, device, optimization_level=1, seed=1)
    assert c1.stats["twoq_after"] == 2
    assert compile(qc, device, optimization_level=0, seed=1).stats["twoq_after"] >= 6
    fidelity = abs(np.trace(compiled_unitary_on_input(qc, c1).conj().T @ unitary(qc))) / 8
    assert fidelity > 1 - 1e-11


def test_same_seed_same_output():
    rng = np.random.default_rng(3)
    qc = random_circuit(6, 60, rng)
    device = devices.get("ScQ-P18")
    a = compile(qc, device, seed=5)
    b = compile(qc, device, seed=5)
    assert a.circuit == b.circuit and a.initial_mapping == b.initial_mapping


def test_noise_aware_region_avoids_the_weakest_coupler():
    device = devices.get("ScQ-P18")
    weakest = min(device.couplers, key=lambda c: device.coupler_fidelity(*c))
    region = best_region(device, 4)
    assert not set(weakest) <= set(region)
    assert all(device.distance[a, b] <= 3 for a in region for b in region)


def test_measurements_follow_the_final_mapping():
    from kuafu.backends import EmulatedBackend

    qc = QuantumCircuit(5, 5)
    qc.h(0)
    for a, b in [(0, 4), (4, 2), (2, 1), (1, 3)]:
        qc.cx(a, b)
    qc.x(3)
    qc.measure(list(range(5)), list(range(5)))
    result = EmulatedBackend(devices.get("ScQ-P10"), noisy=False).run(qc, 200, seed=2)
    assert set(result.counts) == {"01000", "10111"}


def test_conditions_and_mid_circuit_measurement_survive_compilation():
    from kuafu.backends import EmulatedBackend

    qc = QuantumCircuit(3, 3)
    qc.x(0)
    qc.measure(0, 0)
    qc.x(2).c_if(0, 1)  # runs: c0 is 1
    qc.cx(2, 1)
    qc.measure(1, 1)
    qc.measure(2, 2)
    result = EmulatedBackend(devices.get("ScQ-P10"), noisy=False).run(qc, 50, seed=1)
    assert result.counts == {"111": 50}


def test_too_wide_and_unbound_are_clear_errors():
    from kuafu.circuit import Parameter

    with pytest.raises(CircuitTooWideError, match="ScQ-P10 has 10"):
        compile(QuantumCircuit(11), devices.get("ScQ-P10"))
    qc = QuantumCircuit(2)
    qc.rx(Parameter("theta"), 0)
    with pytest.raises(CompileError, match="theta"):
        compile(qc, devices.get("ScQ-P10"))
    with pytest.raises(ValueError, match="optimization_level"):
        compile(QuantumCircuit(2), devices.get("ScQ-P10"), optimization_level=5)


def test_validator_names_first_offending_gate_and_pair():
    device = devices.get("ScQ-P18")
    qc = QuantumCircuit(3)
    qc.rx(0.1, 0)
    qc.cz(0, 2)
    with pytest.raises(CompileError, match=r"instruction 1 \(cz on Q1, Q3\): ScQ-P18 has no "
                                           "coupler between Q1 and Q3"):
        check_native(qc, device)
    qc = QuantumCircuit(3)
    qc.ccx(0, 1, 2)
    with pytest.raises(CompileError, match="'ccx' is not a native gate"):
        check_native(qc, device)


def _qft(n: int) -> QuantumCircuit:
    qc = QuantumCircuit(n)
    for j in reversed(range(n)):
        qc.h(j)
        for k in reversed(range(j)):
            qc.cp(math.pi / 2 ** (j - k), j, k)
    for i in range(n // 2):
        qc.swap(i, n - 1 - i)
    return qc


@pytest.mark.parametrize("level", [1, 3])
@pytest.mark.parametrize("chip", ["ScQ-P18", "ScQ-P136"])
def test_long_runs_of_commuting_gates_route_correctly(level, chip):
    # a QFT's controlled phases commute: trials route it on both DAG variants (runs cut
    # into pairs, or whole), and the shallowest cheap routing wins
    qc = _qft(7)
    compiled = compile(qc, devices.get(chip), optimization_level=level, seed=level)
    check_native(compiled.circuit, devices.get(chip))
    assert_equivalent(qc, compiled)
    assert compiled.stats["cz_depth_estimate"] > 0


def test_a_capped_routing_dag_orders_long_diagonal_runs_in_pairs():
    from kuafu.compiler.sabre import routing_dag

    qc = QuantumCircuit(5)
    for k in range(1, 5):
        qc.cp(0.1 * k, 0, k)  # four commuting gates on qubit 0
    whole = routing_dag(qc.instructions, 5)
    pairs = routing_dag(qc.instructions, 5, max_layer=2)
    assert list(whole.npred) == [0, 0, 0, 0] and not whole.capped
    assert list(pairs.npred) == [0, 0, 2, 2] and pairs.capped


def test_the_number_of_threads_does_not_change_the_output(monkeypatch):
    rng = np.random.default_rng(11)
    qc = random_circuit(7, 80, rng, wide=False)
    device = devices.get("ScQ-P136")
    out = {}
    for threads in ("1", "2", "3"):
        monkeypatch.setenv("KUAFU_COMPILER_THREADS", threads)
        for level in (1, 3):
            c = compile(qc, device, optimization_level=level, seed=4)
            out[threads, level] = (c.circuit.instructions, c.initial_mapping, c.final_mapping)
    for level in (1, 3):
        assert out["1", level] == out["2", level] == out["3", level]


def test_single_qubit_runs_between_czs_take_one_rotation_when_they_can():
    # H on the target of each CX: its run between the CZs is a single ry/rx, not rz+ry
    qc = QuantumCircuit(2)
    for _ in range(3):
        qc.cx(0, 1)
        qc.rz(0.3, 1)
    compiled = compile(qc, devices.get("ScQ-P18"), optimization_level=0, seed=1)
    assert_equivalent(qc, compiled)
    names = [i.name for i in compiled.circuit.instructions]
    assert names.count("cz") == 3
    assert compiled.circuit.depth() <= 3 * 3 + 2


def test_dag_variants_are_shared_only_when_no_cap_cuts_a_run():
    from kuafu.compiler.sabre import LAYER_CAPS, Dags, routing_dag

    qft = _qft(6).instructions
    for order in ((0, 1), (1, 0)):  # whichever variant is asked for first
        dags = Dags(qft, 6)
        for v in order:
            assert list(dags.get(v).npred) == list(
                routing_dag(qft, 6, LAYER_CAPS[v]).npred)
        assert dags.get(0) is not dags.get(1)
    layers = QuantumCircuit(4)
    for _ in range(3):
        layers.cx(0, 1)
        layers.cp(0.3, 2, 3)
        layers.h(2)
        layers.h(3)
    dags = Dags(layers.instructions, 4)
    assert dags.get(1) is dags.get(0)


def test_chains_get_their_own_portfolio_at_high_levels():
    from kuafu.compiler.sabre import (
        HEURISTICS,
        HEURISTICS_CHAIN,
        HEURISTICS_HIGH,
        coupling_arrays,
        heuristics,
        is_chain,
    )

    chain, grid = coupling_arrays(devices.get("ScQ-P18")), coupling_arrays(devices.get("ScQ-P136"))
    assert is_chain(chain) and not is_chain(grid)
    assert heuristics(1, chain) is HEURISTICS and heuristics(3, chain) is HEURISTICS_CHAIN
    assert heuristics(3, grid) is HEURISTICS_HIGH
    assert len({len(heuristics(lvl, c)) for lvl in range(4) for c in (chain, grid)}) == 1
