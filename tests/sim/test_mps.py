"""The MPS engine against independent references: kuafu's statevector (exact states), the
density matrix (noise, mid-circuit measurement), and Qiskit Aer's MPS (wide circuits)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import teleport
from kuafu.circuit import QuantumCircuit
from kuafu.sim import (
    NoiseModel,
    depolarizing,
    expectation,
    readout_error,
    statevector,
    thermal_relaxation,
)
from kuafu.sim.density_matrix import outcome_probabilities
from kuafu.sim.mps import MPSOptions, mps_cost, mps_state, run_mps
from kuafu.sim.result import counts_from_bits

ONE_QUBIT = ("h", "x", "y", "t", "s", "sdg", "sx", "rx", "ry", "rz", "u3")
TWO_QUBIT = ("cx", "cz", "cy", "swap", "rzz", "cp", "crx", "ch", "rxx", "cu3")


def random_circuit(n: int, gates: int, rng: np.random.Generator, *, local: bool = False,
                   measure: bool = False) -> QuantumCircuit:
    """Random gates on random qubits (neighbours only when `local`), some three-qubit."""
    qc = QuantumCircuit(n, n)
    add_random_gates(qc, gates, rng, local=local)
    if measure:
        qc.measure(list(range(n)), list(range(n)))
    return qc


def add_random_gates(qc: QuantumCircuit, gates: int, rng: np.random.Generator, *,
                     local: bool = False) -> None:
    n = qc.num_qubits
    for _ in range(gates):
        if n == 1 or rng.random() < 0.5:
            name = ONE_QUBIT[rng.integers(len(ONE_QUBIT))]
            q = int(rng.integers(n))
            if name in ("rx", "ry", "rz"):
                getattr(qc, name)(float(rng.uniform(0, 2 * math.pi)), q)
            elif name == "u3":
                qc.u3(*(float(x) for x in rng.uniform(0, 2 * math.pi, 3)), q)
            else:
                getattr(qc, name)(q)
            continue
        if local:
            a = int(rng.integers(n - 1))
            a, b = (a, a + 1) if rng.random() < 0.5 else (a + 1, a)
        else:
            a, b = (int(x) for x in rng.choice(n, 2, replace=False))
        name = TWO_QUBIT[rng.integers(len(TWO_QUBIT))]
        if name in ("rzz", "cp", "crx", "rxx"):
            getattr(qc, name)(float(rng.uniform(0, 2 * math.pi)), a, b)
        elif name == "cu3":
            qc.cu3(*(float(x) for x in rng.uniform(0, 2 * math.pi, 3)), a, b)
        else:
            getattr(qc, name)(a, b)
    if n >= 3 and not local and rng.random() < 0.3:
        a, b, c = (int(x) for x in rng.choice(n, 3, replace=False))
        qc.ccx(a, b, c)


def fidelity(a: np.ndarray, b: np.ndarray) -> float:
    return float(abs(np.vdot(a, b)) ** 2)


def total_variation(counts: dict[str, int], probs: dict[str, float], shots: int) -> float:
    keys = set(counts) | set(probs)
    return 0.5 * sum(abs(counts.get(k, 0) / shots - probs.get(k, 0.0)) for k in keys)


def assert_distribution(counts: dict[str, int], probs: dict[str, float], shots: int) -> None:
    """Every outcome within 5 sigma (plus a small floor) of its exact probability."""
    assert sum(counts.values()) == shots
    for key in set(counts) | set(probs):
        p = probs.get(key, 0.0)
        sigma = math.sqrt(p * (1 - p) / shots)
        assert abs(counts.get(key, 0) / shots - p) < 5 * sigma + 2e-3, key


# ----- exact states ----------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(4))
def test_random_circuits_match_statevector(seed):
    rng = np.random.default_rng(seed)
    for _ in range(60):
        n = int(rng.integers(1, 11))
        qc = random_circuit(n, int(rng.integers(0, 50)), rng)
        state = mps_state(qc)
        assert fidelity(statevector(qc), state.to_statevector()) >= 1 - 1e-10
        assert state.fidelity_estimate == 1.0


@pytest.mark.parametrize("n", [14, 16])
def test_wider_random_circuits_match_statevector(n):
    rng = np.random.default_rng(n)
    for local in (True, False):
        qc = random_circuit(n, 12 * n, rng, local=local)
        state = mps_state(qc)
        assert fidelity(statevector(qc), state.to_statevector()) >= 1 - 1e-10
        assert state.fidelity_estimate == 1.0


@pytest.mark.slow
def test_twenty_qubit_random_circuits_match_statevector():
    rng = np.random.default_rng(20)
    for local, gates in ((True, 400), (False, 60)):
        qc = random_circuit(20, gates, rng, local=local)
        assert fidelity(statevector(qc), mps_state(qc).to_statevector()) >= 1 - 1e-10


@pytest.mark.parametrize("order", [None, (3, 1, 4, 0, 2, 5), (5, 4, 3, 2, 1, 0)])
def test_any_chain_order_gives_the_same_state(order):
    qc = random_circuit(6, 60, np.random.default_rng(3))
    state = mps_state(qc, MPSOptions(qubit_order=order))
    assert fidelity(statevector(qc), state.to_statevector()) >= 1 - 1e-10


def test_bad_qubit_order_is_refused():
    with pytest.raises(ValueError, match="permutation"):
        mps_state(QuantumCircuit(3), MPSOptions(qubit_order=(0, 1, 1)))
    with pytest.raises(ValueError):
        MPSOptions(max_bond_dimension=0)


def test_truncated_states_stay_within_their_reported_error():
    rng = np.random.default_rng(11)
    for cap in (2, 4, 8, 16):
        qc = random_circuit(12, 300, rng, local=True)
        assert mps_state(qc).max_bond > cap
        state = mps_state(qc, MPSOptions(max_bond_dimension=cap))
        assert state.max_bond <= cap
        exact = fidelity(statevector(qc), state.to_statevector())
        # ||psi - psi_trunc||^2 <= 2 * sum of discarded weights (Verstraete and Cirac)
        assert exact >= 1 - 2 * state.discarded_weight - 1e-9
        assert state.fidelity_estimate < 1.0
        assert abs(state.fidelity_estimate - exact) < 0.5


def test_threshold_truncation_reports_its_error():
    qc = random_circuit(12, 200, np.random.default_rng(5), local=True)
    state = mps_state(qc, MPSOptions(truncation_threshold=1e-3))
    exact = fidelity(statevector(qc), state.to_statevector())
    assert state.fidelity_estimate < 1.0
    assert exact >= 1 - 2 * state.discarded_weight - 1e-9


def test_expectations_and_amplitudes_match_statevector():
    rng = np.random.default_rng(2)
    qc = random_circuit(7, 70, rng)
    state = mps_state(qc)
    psi = statevector(qc)
    for label in ("Z", "XZ", "IYIZ", "ZZZZZZZ", "XIIIIIY", "YXZIZXY"):
        assert state.expectation_pauli(label) == pytest.approx(expectation(qc, label), abs=1e-10)
    observable = {"ZZ": 0.5, "XIX": -1.25}
    assert state.expectation_pauli(observable) == pytest.approx(
        expectation(qc, observable), abs=1e-10)
    for index in (0, 5, 77, 127):
        bits = format(index, "07b")
        assert state.amplitude(bits) == pytest.approx(psi[index], abs=1e-12)


# ----- sampling ----------------------------------------------------------------------------
def test_sampled_shots_match_the_exact_distribution():
    rng = np.random.default_rng(4)
    qc = random_circuit(5, 40, rng, measure=True)
    shots = 20_000
    bits, timings, info = run_mps(qc, shots, None, np.random.default_rng(9))
    assert bits.shape == (shots, 5) and bits.dtype == np.uint8
    assert info.trajectories == 1 and info.fidelity_estimate == 1.0
    assert set(timings) == {"prepare", "run", "sample"}
    assert_distribution(counts_from_bits(bits), outcome_probabilities(qc), shots)


def test_partial_and_permuted_measurements_and_seeds():
    qc = QuantumCircuit(4, 3)
    qc.h(0)
    qc.cx(0, 3)
    qc.ry(0.7, 2)
    qc.cx(2, 1)
    qc.measure(3, 0)
    qc.measure(1, 2)
    shots = 10_000
    bits, _, _ = run_mps(qc, shots, None, np.random.default_rng(1))
    assert (bits[:, 1] == 0).all()
    assert_distribution(counts_from_bits(bits), outcome_probabilities(qc), shots)
    again, _, _ = run_mps(qc, shots, None, np.random.default_rng(1))
    assert (again == bits).all()


def test_ghz_with_phases_samples_only_two_outcomes():
    n = 60
    qc = QuantumCircuit(n, n)
    qc.h(0)
    for q in range(n - 1):
        qc.cx(q, q + 1)
        qc.rz(0.3 * q, q)
    qc.measure(list(range(n)), list(range(n)))
    bits, _, info = run_mps(qc, 4000, None, np.random.default_rng(0))
    assert info.max_bond == 2
    assert set(counts_from_bits(bits)) == {"0" * n, "1" * n}


def test_zero_shots_and_no_clbits():
    qc = QuantumCircuit(3)
    qc.h(0)
    qc.cx(0, 2)
    bits, _, _ = run_mps(qc, 0, None, np.random.default_rng(0))
    assert bits.shape == (0, 0)
    bits, _, _ = run_mps(qc, 5, None, np.random.default_rng(0))
    assert bits.shape == (5, 0)


# ----- mid-circuit measurement, reset, conditions ------------------------------------------
def teleport_like() -> QuantumCircuit:
    qc = QuantumCircuit(3, 3)
    qc.ry(1.1, 0)
    qc.rz(0.4, 0)
    teleport(qc)
    qc.reset(0)
    qc.h(0)
    qc.cx(0, 1)
    qc.reset(1)
    qc.measure(2, 2)
    qc.measure(0, 0)
    return qc


def test_mid_circuit_measurement_reset_and_conditions_match_density_matrix():
    qc = teleport_like()
    shots = 20_000
    bits, _, info = run_mps(qc, shots, None, np.random.default_rng(3))
    assert info.trajectories > 1
    assert_distribution(counts_from_bits(bits), outcome_probabilities(qc), shots)


def test_random_mid_circuit_programs_match_density_matrix():
    rng = np.random.default_rng(8)
    for _ in range(4):
        qc = QuantumCircuit(4, 4)
        for step in range(6):
            add_random_gates(qc, 6, rng)
            q = int(rng.integers(4))
            if step % 3 == 0:
                qc.measure(q, step % 4)
            elif step % 3 == 1:
                qc.rx(0.9, q).c_if(int(rng.integers(4)), 1)
            else:
                qc.reset(q)
        qc.measure(list(range(4)), list(range(4)))
        shots = 8000
        bits, _, _ = run_mps(qc, shots, None, np.random.default_rng(int(rng.integers(99))))
        assert total_variation(counts_from_bits(bits), outcome_probabilities(qc), shots) < 0.04


# ----- noise ---------------------------------------------------------------------------------
PAULI_NOISE = (NoiseModel().with_gate_error(depolarizing(0.02), num_qubits=1)
               .with_gate_error(depolarizing(0.08, 2), num_qubits=2)
               .with_readout_error(readout_error(0.03, 0.07)))
KRAUS_NOISE = (NoiseModel().with_gate_error(thermal_relaxation(40, 30, 4), num_qubits=1)
               .with_gate_error(depolarizing(0.05, 2)).with_readout_error(readout_error(0.05)))


@pytest.mark.parametrize("noise", [PAULI_NOISE, KRAUS_NOISE], ids=["pauli", "kraus"])
def test_noisy_trajectories_match_density_matrix(noise):
    rng = np.random.default_rng(6)
    qc = random_circuit(4, 30, rng, measure=True)
    shots = 20_000
    bits, _, info = run_mps(qc, shots, noise, np.random.default_rng(7))
    assert info.trajectories > 1
    assert_distribution(counts_from_bits(bits), outcome_probabilities(qc, noise), shots)


def test_noise_with_mid_circuit_measurement_matches_density_matrix():
    qc = teleport_like()
    shots = 20_000
    bits, _, _ = run_mps(qc, shots, KRAUS_NOISE, np.random.default_rng(5))
    assert_distribution(counts_from_bits(bits), outcome_probabilities(qc, KRAUS_NOISE), shots)


def test_device_noise_on_a_chip_layout_matches_density_matrix():
    from kuafu.devices import get

    device = get("ScQ-P136")
    noise = NoiseModel.from_device(device, [0, 1, 2])
    qc = QuantumCircuit(3, 3)
    qc.ry(0.8, 0)
    qc.cz(0, 1)
    qc.rx(1.3, 1)
    qc.cx(1, 2)
    qc.h(2)
    qc.cz(1, 2)
    qc.rx(0.5, 0)
    qc.measure([0, 1, 2], [0, 1, 2])
    shots = 20_000
    bits, _, _ = run_mps(qc, shots, noise, np.random.default_rng(2))
    assert_distribution(counts_from_bits(bits), outcome_probabilities(qc, noise), shots)


# ----- wide circuits against Qiskit Aer's MPS ------------------------------------------------
def to_qiskit(qc: QuantumCircuit):
    """The same circuit built from Qiskit's own gate classes (measurements dropped)."""
    qiskit = pytest.importorskip("qiskit")
    out = qiskit.QuantumCircuit(qc.num_qubits)
    for inst in qc.instructions:
        params = [float(p) for p in inst.params]
        if inst.name == "measure":
            continue
        if inst.name == "u3":
            out.u(*params, *inst.qubits)
        elif inst.name == "cu3":
            out.cu(*params, 0.0, *inst.qubits)
        else:
            getattr(out, inst.name)(*params, *inst.qubits)
    return out


def _aer_expectations(qc: QuantumCircuit, labels: list[tuple[str, list[int]]]) -> list[float]:
    aer = pytest.importorskip("qiskit_aer")
    from qiskit.quantum_info import Pauli

    qiskit = pytest.importorskip("qiskit")
    theirs = qiskit.transpile(to_qiskit(qc), basis_gates=["u", "cx"], optimization_level=0)
    for i, (label, qubits) in enumerate(labels):
        theirs.save_expectation_value(Pauli(label), qubits, label=f"e{i}")
    # enable_truncation=False: Aer 0.18 drops qubits outside what it takes for the light
    # cone of the saved expectations and returns wrong values for several of them
    sim = aer.AerSimulator(method="matrix_product_state", enable_truncation=False)
    data = sim.run(theirs, shots=1).result().data(0)
    return [float(np.real(data[f"e{i}"])) for i in range(len(labels))]


def kicked_ising(n: int, depth: int, theta: float = 0.6) -> QuantumCircuit:
    qc = QuantumCircuit(n, n)
    for _ in range(depth):
        for q in range(n):
            qc.rx(theta, q)
        for start in (0, 1):
            for q in range(start, n - 1, 2):
                qc.rzz(-math.pi / 2, q, q + 1)
    return qc


@pytest.mark.parametrize("n,depth", [(30, 4), (60, 3)])
def test_wide_kicked_ising_matches_aer(n, depth):
    qc = kicked_ising(n, depth)
    qc.t(n // 2)
    state = mps_state(qc)
    assert state.fidelity_estimate == 1.0
    sites = [0, n // 3, n // 2, n - 1]
    labels = [("Z", [q]) for q in sites] + [("ZZ", [q, q + 1]) for q in sites[:-1]]
    ours = [state.expectation_pauli("Z" + "I" * q) for q in sites]
    ours += [state.expectation_pauli("ZZ" + "I" * q) for q in sites[:-1]]
    assert ours == pytest.approx(_aer_expectations(qc, labels), abs=1e-8)


@pytest.mark.slow
def test_hundred_qubit_random_local_circuit_matches_aer():
    rng = np.random.default_rng(100)
    qc = random_circuit(100, 300, rng, local=True)
    state = mps_state(qc)
    sites = [0, 17, 50, 98]
    labels = [("Z", [q]) for q in sites] + [("ZZ", [q, q + 1]) for q in sites]
    ours = [state.expectation_pauli("Z" + "I" * q) for q in sites]
    ours += [state.expectation_pauli("ZZ" + "I" * q) for q in sites]
    assert ours == pytest.approx(_aer_expectations(qc, labels), abs=1e-8)


def test_chip_graph_circuit_matches_aer():
    from kuafu.devices import get

    device = get("ScQ-P136")
    n = 40
    edges = [(a, b) for a, b in device.couplers if a < n and b < n]
    qc = QuantumCircuit(n, n)
    for q in range(n):
        qc.ry(0.3 + 0.01 * q, q)
    for a, b in edges[:45]:
        qc.cx(a, b)
    for q in range(n):
        qc.rx(0.2, q)
    state = mps_state(qc)
    sites = [0, 5, 17, 33]
    labels = [("Z", [q]) for q in sites] + [("ZZ", [a, b]) for a, b in edges[:3]]
    ours = [state.expectation_pauli("Z" + "I" * q) for q in sites]
    ours += [state.expectation_pauli({_zz(a, b): 1.0}) for a, b in edges[:3]]
    assert ours == pytest.approx(_aer_expectations(qc, labels), abs=1e-8)


def _zz(a: int, b: int) -> str:
    label = ["I"] * (max(a, b) + 1)
    label[a] = label[b] = "Z"
    return "".join(reversed(label))


# ----- cost estimate -------------------------------------------------------------------------
def test_cost_estimate_of_a_chain_and_a_random_circuit():
    chain = kicked_ising(50, 4)
    cost = mps_cost(chain)
    assert cost.max_bond == 16 and cost.swaps == 0 and not cost.truncates
    capped = mps_cost(random_circuit(60, 3000, np.random.default_rng(0)),
                      MPSOptions(max_bond_dimension=64))
    assert capped.max_bond == 64 and capped.truncates and capped.log2_bond > 20
    assert capped.seconds > cost.seconds and capped.memory_bytes > cost.memory_bytes


# ----- shots shared among a bounded number of trajectories ------------------------------------
@pytest.mark.parametrize("make", [lambda rng: random_circuit(4, 30, rng, measure=True),
                                  lambda rng: teleport_like()], ids=["random", "dynamic"])
def test_shared_trajectories_sample_the_noisy_distribution(make):
    """With `max_trajectories`, every shot still comes from the exact noisy distribution
    (the counts are unbiased); only their statistical error grows, to that of between
    `max_trajectories` and `shots` independent shots."""
    qc = make(np.random.default_rng(6))
    shots, cap = 20_000, 2_000
    bits, _, info = run_mps(qc, shots, KRAUS_NOISE, np.random.default_rng(11),
                            options=MPSOptions(max_trajectories=cap))
    assert bits.shape == (shots, qc.num_clbits)
    assert 1 < info.trajectories <= cap
    assert info.shots_per_trajectory == shots / cap
    exact = outcome_probabilities(qc, KRAUS_NOISE)
    assert total_variation(counts_from_bits(bits), exact, shots) < 0.06


def test_shared_trajectories_cap_changes_nothing_below_it():
    qc = teleport_like()
    options = MPSOptions(max_trajectories=10_000)
    bits, _, info = run_mps(qc, 500, KRAUS_NOISE, np.random.default_rng(2), options=options)
    again, _, _ = run_mps(qc, 500, KRAUS_NOISE, np.random.default_rng(2))
    assert info.shots_per_trajectory == 1.0
    assert np.array_equal(bits, again)


def test_max_trajectories_must_be_positive():
    with pytest.raises(ValueError, match="max_trajectories"):
        MPSOptions(max_trajectories=0)
