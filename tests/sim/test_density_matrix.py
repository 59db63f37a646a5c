"""Density-matrix engine against Qiskit (test-only oracle): states, channels, mid-circuit."""

from __future__ import annotations

import math

import numpy as np
import pytest
from qiskit import QuantumCircuit as QiskitCircuit
from qiskit.quantum_info import DensityMatrix, Kraus, Operator
from qiskit_aer import AerSimulator
from qiskit_aer import noise as aer_noise

from helpers import mid_circuit
from kuafu.circuit import GATES, QuantumCircuit, unitary
from kuafu.errors import InsufficientMemoryError
from kuafu.sim import (
    NoiseModel,
    amplitude_damping,
    density_matrix,
    depolarizing,
    pauli_channel,
    readout_error,
    simulate,
    thermal_relaxation,
)
from kuafu.sim.density_matrix import outcome_probabilities

ONE_Q = thermal_relaxation(50, 40, 6).compose(depolarizing(0.02))
TWO_Q = depolarizing(0.05, 2).compose(amplitude_damping(0.05).tensor(pauli_channel({"Y": 0.1})))


def little_endian_kraus(kraus) -> Kraus:
    k = int(kraus[0].shape[0]).bit_length() - 1
    perm = list(range(k))[::-1]
    return Kraus([m.reshape((2,) * 2 * k).transpose(perm + [k + p for p in perm])
                  .reshape(2**k, 2**k) for m in kraus])


def random_noisy_pair(n: int, depth: int, rng: np.random.Generator):
    """The same random circuit for Kuafu and, gate by gate with its noise, a Qiskit rho."""
    names = [g for g in sorted(GATES) if GATES[g].num_qubits <= min(n, 3)]
    qc = QuantumCircuit(n)
    rho = DensityMatrix.from_label("0" * n)
    for _ in range(depth):
        spec = GATES[names[rng.integers(len(names))]]
        qubits = [int(q) for q in rng.choice(n, spec.num_qubits, replace=False)]
        params = [float(x) for x in rng.uniform(-math.pi, math.pi, spec.num_params)]
        qc.append(spec.name, qubits, params)
        gate = QuantumCircuit(spec.num_qubits)
        gate.append(spec.name, list(range(spec.num_qubits)), params)
        rho = rho.evolve(Operator(unitary(gate)), qubits)
        channel = {1: ONE_Q, 2: TWO_Q}.get(spec.num_qubits)
        if channel is not None:
            rho = rho.evolve(little_endian_kraus(channel.kraus), qubits)
    return qc, rho.data


NOISE = NoiseModel().with_gate_error(ONE_Q).with_gate_error(TWO_Q)


@pytest.mark.parametrize("seed", range(12))
def test_random_noisy_circuits_match_qiskit(seed):
    rng = np.random.default_rng(seed)
    n = 1 + seed % 5
    qc, expected = random_noisy_pair(n, 25, rng)
    rho = density_matrix(qc, NOISE)
    assert np.allclose(rho, expected, atol=1e-10)
    assert np.trace(rho).real == pytest.approx(1.0)


def test_noiseless_density_matrix_is_the_pure_state(rng):
    qc, _ = random_noisy_pair(4, 30, rng)
    psi = unitary(qc)[:, 0]
    assert np.allclose(density_matrix(qc), np.outer(psi, psi.conj()), atol=1e-10)


def mid_circuit_pair():
    """`helpers.mid_circuit` (measure, reset and conditions), for Kuafu and for Qiskit Aer."""
    qc = mid_circuit()
    theirs = QiskitCircuit(3, 3)
    theirs.h(0)
    theirs.cx(0, 1)
    theirs.measure(1, 0)
    with theirs.if_test((theirs.clbits[0], 1)):
        theirs.x(2)
    theirs.rx(0.7, 1)
    theirs.reset(0)
    theirs.ry(0.4, 0)
    theirs.measure(0, 1)
    theirs.cx(2, 1)
    theirs.measure(1, 2)
    return qc, theirs


def test_mid_circuit_measurement_reset_and_condition_match_aer():
    qc, theirs = mid_circuit_pair()
    noise = (NoiseModel().with_gate_error(amplitude_damping(0.1))
             .with_gate_error(depolarizing(0.1, 2)).with_readout_error(readout_error(0.05, 0.1)))
    aer = aer_noise.NoiseModel()
    aer.add_all_qubit_quantum_error(aer_noise.amplitude_damping_error(0.1),
                                    ["h", "x", "rx", "ry"])
    aer.add_all_qubit_quantum_error(aer_noise.depolarizing_error(0.1, 2), ["cx"])
    aer.add_all_qubit_readout_error(aer_noise.ReadoutError([[0.95, 0.05], [0.1, 0.9]]))
    shots = 40_000
    counts = AerSimulator(method="density_matrix", noise_model=aer, seed_simulator=3).run(
        theirs, shots=shots).result().get_counts()
    probs = outcome_probabilities(qc, noise)
    assert sum(probs.values()) == pytest.approx(1.0)
    for key in set(probs) | set(counts):
        p = probs.get(key, 0.0)
        assert abs(counts.get(key, 0) / shots - p) < 5 * math.sqrt(p * (1 - p) / shots) + 1e-3


def test_sampled_counts_follow_the_exact_distribution():
    qc, _ = mid_circuit_pair()
    noise = NoiseModel().with_gate_error(depolarizing(0.05)).with_readout_error(
        readout_error(0.02, 0.08))
    probs = outcome_probabilities(qc, noise)
    shots = 20_000
    result = simulate(qc, shots, noise=noise, method="density_matrix", seed=11)
    assert result.method == "density_matrix" and sum(result.counts.values()) == shots
    for key, p in probs.items():
        assert abs(result.counts.get(key, 0) / shots - p) < 5 * math.sqrt(p / shots) + 1e-3


def test_terminal_measurements_are_left_out_of_the_state():
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    rho = density_matrix(qc)
    assert rho[0, 3] == pytest.approx(0.5)


def test_memory_budget_is_enforced():
    with pytest.raises(InsufficientMemoryError) as info:
        density_matrix(QuantumCircuit(12), max_memory_bytes=1 << 20)
    assert info.value.required_bytes == 2 * 16 * 4**12
    assert "bytes" in str(info.value)
