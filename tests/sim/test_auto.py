"""`simulate(method="auto")` decides by estimated cost, and refuses with the estimate."""

from __future__ import annotations

import pickle
import time

import numpy as np
import pytest

from helpers import ones_fraction, random_layers
from kuafu.circuit import QuantumCircuit
from kuafu.errors import CircuitTooCostlyError, SimulationError
from kuafu.sim import NoiseModel, depolarizing, readout_error, simulate
from kuafu.sim.api import SimulationPlan, plan_simulation
from kuafu.sim.cost import entangling_depth, entangling_skeleton
from kuafu.sim.mps import MPSOptions

PAULI = (NoiseModel().with_gate_error(depolarizing(0.01), num_qubits=1)
         .with_gate_error(depolarizing(0.02, 2), num_qubits=2)
         .with_readout_error(readout_error(0.02)))


def chain(n: int, *, phases: bool = True) -> QuantumCircuit:
    """A GHZ chain with non-Clifford phases: bond dimension 2 on a line."""
    qc = QuantumCircuit(n, n)
    qc.h(0)
    for q in range(n - 1):
        qc.cx(q, q + 1)
        if phases:
            qc.rz(0.3, q + 1)
    for q in range(n):
        qc.ry(0.2, q)
    qc.measure(list(range(n)), list(range(n)))
    return qc


def test_a_wide_weakly_entangled_circuit_runs_as_an_exact_mps():
    result = simulate(chain(60), 500, seed=1)
    assert result.method == "mps"
    assert result.method_details["fidelity_estimate"] == 1.0
    assert result.method_details["bond_dimension"] <= 4
    assert result.method_details["discarded_weight"] < 1e-12


def test_mps_and_statevector_agree_where_both_run():
    circuit = chain(16)
    a = simulate(circuit, 20_000, method="mps", seed=1)
    b = simulate(circuit, 20_000, method="statevector", seed=2)
    assert np.max(np.abs(ones_fraction(a.counts, 16) - ones_fraction(b.counts, 16))) < 0.03


def test_a_noisy_wide_chain_runs_as_mps_trajectories():
    result = simulate(chain(40), 200, noise=PAULI, seed=3)
    assert result.method == "mps" and result.method_details["trajectories"] >= 1
    assert sum(result.counts.values()) == 200


def test_stabilizer_and_dense_methods_keep_their_place():
    clifford = chain(40, phases=False)
    clifford.instructions = [i for i in clifford.instructions if i.name != "ry"]
    assert simulate(clifford, 100, seed=1).method == "stabilizer"
    assert simulate(clifford, 100, noise=PAULI, seed=1).method == "stabilizer"
    assert simulate(random_layers(8, 4), 100, seed=1).method == "statevector"
    assert simulate(random_layers(6, 3), 100, noise=PAULI, seed=1).method in (
        "density_matrix", "trajectories")


def test_a_deep_random_60_qubit_circuit_is_refused_in_well_under_a_second():
    circuit = random_layers(60, 30)
    start = time.perf_counter()
    with pytest.raises(CircuitTooCostlyError) as info:
        simulate(circuit, 1000, seed=1)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.5, elapsed  # shared 2-core test machines; about 0.1 s idle
    err = info.value
    assert isinstance(err, SimulationError)
    assert err.num_qubits == 60 and err.entangling_depth == entangling_depth(circuit) >= 30
    assert err.bond_dimension >= 2**25 and err.memory_bytes > 2**40 and err.seconds > 600
    text = str(err)
    for fragment in ("60 qubits", "entangling depth", "bond dimension about 2^", "limits",
                     "max_bond_dimension"):
        assert fragment in text, text


def test_the_refusal_survives_pickling():
    with pytest.raises(CircuitTooCostlyError) as info:
        simulate(random_layers(40, 30), 10, seed=1)
    copy = pickle.loads(pickle.dumps(info.value))
    assert str(copy) == str(info.value)
    assert (copy.num_qubits, copy.bond_dimension, copy.memory_bytes) == (
        info.value.num_qubits, info.value.bond_dimension, info.value.memory_bytes)


def test_a_bond_cap_answers_with_a_fidelity_estimate():
    circuit = random_layers(40, 8)
    result = simulate(circuit, 100, seed=1, mps_options=MPSOptions(max_bond_dimension=8))
    assert result.method == "mps"
    assert result.method_details["bond_dimension"] <= 8
    assert 0.0 <= result.method_details["fidelity_estimate"] < 1.0


def test_the_time_limit_refuses_what_would_run_too_long():
    circuit = random_layers(22, 12)
    with pytest.raises(CircuitTooCostlyError, match=r"limits are .* and 1e-06 s"):
        simulate(circuit, 10, max_seconds=1e-6)


def test_the_dense_limit_sends_wider_parts_to_mps():
    circuit = chain(12)
    assert simulate(circuit, 10, seed=1).method == "statevector"
    assert simulate(circuit, 10, seed=1, max_dense_qubits=8).method == "mps"


def test_the_plan_is_the_decision_alone():
    circuit = QuantumCircuit(70, 70)
    circuit.t(0)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.h(5)
    circuit.measure([0, 1, 5], [0, 1, 5])
    start = time.perf_counter()
    plan = plan_simulation(circuit, 1000)
    assert time.perf_counter() - start < 0.5
    assert isinstance(plan, SimulationPlan)
    assert [p.part.qubits for p in plan.parts] == [(0, 1), (5,)]
    assert plan.simulated_qubits == 3 and plan.method == "statevector"
    assert plan.seconds < 1 and plan.memory_bytes < 1 << 20


def test_a_given_qubit_order_is_one_candidate():
    """A scrambled order is worse than the engine's own for a chain: auto keeps its own."""
    circuit = chain(30)
    rng = np.random.default_rng(0)
    scrambled = tuple(int(q) for q in rng.permutation(30))
    plan = plan_simulation(circuit, 100, mps_options=MPSOptions(qubit_order=scrambled))
    (part,) = plan.parts
    assert part.estimate.method == "mps"
    assert part.estimate.mps_options.qubit_order is None
    assert part.estimate.bond_dimension <= 4


def test_the_entangling_skeleton_counts_blocks_by_schmidt_rank():
    qc = QuantumCircuit(4, 0)
    qc.h(1)
    qc.cx(0, 1)
    qc.rz(0.4, 1)
    qc.cx(0, 1)  # CX RZ CX on one pair: an RZZ, Schmidt rank 2
    qc.cx(2, 3)
    qc.cx(2, 3)  # a product of local gates (the identity): nothing
    qc.cx(1, 2)
    qc.cx(2, 1)
    qc.cx(1, 2)  # a SWAP: rank 4
    skeleton = entangling_skeleton(qc)
    blocks = [(i.name, i.qubits) for i in skeleton.instructions if len(i.qubits) == 2]
    assert blocks == [("cz", (0, 1)), ("swap", (1, 2))]


def test_parts_that_fit_alone_but_not_together_are_refused_with_the_total():
    circuit = QuantumCircuit(40, 40)
    for group in range(2):
        qs = list(range(20 * group, 20 * group + 20))
        sub = random_layers(20, 6, seed=group)
        for inst in sub.instructions:
            if inst.name != "measure":
                circuit.append(inst.name, [qs[q] for q in inst.qubits], list(inst.params))
    circuit.measure(list(range(40)), list(range(40)))
    plan = plan_simulation(circuit, 1000, max_seconds=None)
    assert len(plan.parts) == 2
    limit = 0.75 * plan.seconds  # each part alone fits, both together do not
    assert all(p.estimate.seconds < limit for p in plan.parts)
    with pytest.raises(CircuitTooCostlyError, match="2 independent parts together"):
        plan_simulation(circuit, 1000, max_seconds=limit)
