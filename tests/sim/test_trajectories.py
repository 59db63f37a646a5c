"""Trajectories agree with the exact density matrix, and seeds make them reproducible."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import mid_circuit
from kuafu.circuit import QuantumCircuit
from kuafu.sim import (
    NoiseModel,
    depolarizing,
    pauli_channel,
    readout_error,
    simulate,
    thermal_relaxation,
    unitary_mixture,
)
from kuafu.sim.channels import pauli_matrix
from kuafu.sim.density_matrix import outcome_probabilities


def brickwork(n: int, layers: int, rng: np.random.Generator) -> QuantumCircuit:
    qc = QuantumCircuit(n, n)
    for layer in range(layers):
        for q in range(n):
            qc.u3(*(rng.random(3) * 2 * math.pi), q)
        for q in range(layer % 2, n - 1, 2):
            qc.cx(q, q + 1)
    qc.measure(list(range(n)), list(range(n)))
    return qc


def assert_matches(counts: dict[str, int], probs: dict[str, float], shots: int) -> None:
    """Every outcome within 5 sigma (plus a small floor) of its exact probability."""
    assert sum(counts.values()) == shots
    for key in set(counts) | set(probs):
        p = probs.get(key, 0.0)
        assert abs(counts.get(key, 0) / shots - p) < 5 * math.sqrt(p * (1 - p) / shots) + 2e-3, key


PAULI_NOISE = (NoiseModel().with_gate_error(depolarizing(0.02), num_qubits=1)
               .with_gate_error(depolarizing(0.08, 2), num_qubits=2)
               .with_readout_error(readout_error(0.03, 0.07)))


@pytest.mark.parametrize("seed", range(3))
def test_pauli_noise_presampled_matches_density_matrix(seed):
    rng = np.random.default_rng(seed)
    qc = brickwork(4, 5, rng)
    shots = 20_000
    result = simulate(qc, shots, noise=PAULI_NOISE, method="trajectories", seed=seed)
    assert_matches(result.counts, outcome_probabilities(qc, PAULI_NOISE), shots)


def test_general_kraus_channels_match_density_matrix(rng):
    qc = brickwork(3, 4, rng)
    noise = (NoiseModel().with_gate_error(thermal_relaxation(40, 30, 4), num_qubits=1)
             .with_gate_error(depolarizing(0.05, 2)).with_readout_error(readout_error(0.05)))
    shots = 8_000
    result = simulate(qc, shots, noise=noise, method="trajectories", seed=5)
    assert_matches(result.counts, outcome_probabilities(qc, noise), shots)


def test_mid_circuit_measurement_reset_and_conditions_match_density_matrix():
    qc = mid_circuit()
    noise = (NoiseModel().with_gate_error(thermal_relaxation(30, 20, 3))
             .with_gate_error(depolarizing(0.1, 2)).with_readout_error(readout_error(0.05, 0.1)))
    shots = 8_000
    result = simulate(qc, shots, noise=noise, method="trajectories", seed=9)
    assert_matches(result.counts, outcome_probabilities(qc, noise), shots)


def test_non_identity_main_choice_and_coherent_errors():
    """A mixture whose most likely unitary is not the identity (a coherent over-rotation)."""
    rx = np.array([[math.cos(0.2), -1j * math.sin(0.2)], [-1j * math.sin(0.2), math.cos(0.2)]])
    over = unitary_mixture([(0.7, rx), (0.3, pauli_matrix("Z"))])
    noise = NoiseModel().with_gate_error(over, gates=["h", "x"]).with_gate_error(
        pauli_channel({"XX": 0.1}), gates="cx")
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.x(1)
    qc.measure([0, 1], [0, 1])
    shots = 10_000
    result = simulate(qc, shots, noise=noise, method="trajectories", seed=2)
    assert_matches(result.counts, outcome_probabilities(qc, noise), shots)


def test_trajectories_agree_with_density_matrix_method_on_counts():
    rng = np.random.default_rng(3)
    qc = brickwork(5, 4, rng)
    shots = 10_000
    a = simulate(qc, shots, noise=PAULI_NOISE, method="trajectories", seed=1).counts
    b = simulate(qc, shots, noise=PAULI_NOISE, method="density_matrix", seed=1).counts
    tvd = 0.5 * sum(abs(a.get(k, 0) - b.get(k, 0)) for k in set(a) | set(b)) / shots
    assert tvd < 0.06


def test_seeds_make_trajectories_reproducible(rng):
    qc = brickwork(4, 3, rng)
    first = simulate(qc, 500, noise=PAULI_NOISE, method="trajectories", seed=42, memory=True)
    again = simulate(qc, 500, noise=PAULI_NOISE, method="trajectories", seed=42, memory=True)
    other = simulate(qc, 500, noise=PAULI_NOISE, method="trajectories", seed=43, memory=True)
    assert first.memory == again.memory and first.counts == again.counts
    assert first.memory != other.memory
    assert len(first.memory) == 500 and first.seed == 42


def test_single_precision_trajectories_run(rng):
    qc = brickwork(4, 3, rng)
    result = simulate(qc, 2000, noise=PAULI_NOISE, method="trajectories", seed=1,
                      precision="single")
    assert_matches(result.counts, outcome_probabilities(qc, PAULI_NOISE), 2000)


def test_composed_and_asymmetric_pauli_channels_match_density_matrix(rng):
    """Composed channels keep their Kraus list aligned with their unitaries; an asymmetric
    2-qubit channel follows its gate's argument order (cx 1 0 as well as cx 0 1)."""
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.cx(0, 1)
    qc.cx(2, 1)
    qc.ry(0.4, 2)
    qc.cx(1, 0)
    qc.measure([0, 1, 2], [0, 1, 2])
    noise = (NoiseModel()
             .with_gate_error(depolarizing(0.1).compose(pauli_channel({"X": 0.2})), num_qubits=1)
             .with_gate_error(pauli_channel({"XI": 0.15, "IZ": 0.05}).compose(
                 depolarizing(0.1, 2)), num_qubits=2))
    shots = 10_000
    result = simulate(qc, shots, noise=noise, method="trajectories", seed=8)
    assert_matches(result.counts, outcome_probabilities(qc, noise), shots)
