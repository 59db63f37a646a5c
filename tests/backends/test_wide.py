"""Wide circuits on the emulated ScQ-P136: split exactly, MPS with noise, or refused fast."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest

from helpers import ones_fraction, random_layers
from kuafu import backends, devices
from kuafu.backends import EmulatedBackend
from kuafu.backends.emulator import chain_order
from kuafu.circuit import QuantumCircuit
from kuafu.errors import CircuitTooCostlyError
from kuafu.sim import simulate


def qc40(pairs: bool = True, n: int = 40) -> QuantumCircuit:
    """The issue's example: RY(0.3) on every qubit, CX on pairs (or along a chain), RX(0.2)."""
    qc = QuantumCircuit(n, n)
    for q in range(n):
        qc.ry(0.3, q)
    for q in range(0, n - 1, 2 if pairs else 1):
        qc.cx(q, q + 1)
    for q in range(n):
        qc.rx(0.2, q)
    qc.measure(list(range(n)), list(range(n)))
    return qc


def test_the_issue_example_runs_on_scq_p136_with_noise():
    circuit = qc40()
    result = backends.get("ScQ-P136").run(circuit, shots=1000, seed=1)
    assert sum(result.counts.values()) == 1000
    details = result.method_details
    # 20 pairs, unless routing on the chip joined a few (a SWAP through a neighbour)
    assert details["method"] == result.method and len(details["parts"]) >= 15
    assert sum(len(part["qubits"]) for part in details["parts"]) >= 40
    ideal = ones_fraction(simulate(circuit, 20_000, seed=2).counts, 40)
    noisy = ones_fraction(result.counts, 40)
    assert np.max(np.abs(noisy - ideal)) < 0.1
    assert not np.allclose(noisy, ideal, atol=1e-3)  # the noise is there


def test_a_connected_40_qubit_chain_runs_as_an_mps_with_noise():
    circuit = qc40(pairs=False)
    result = backends.get("ScQ-P136").run(circuit, shots=300, seed=3)
    details = result.method_details
    assert result.method == "mps" and details["method"] == "mps"
    assert details["fidelity_estimate"] == pytest.approx(1.0)
    assert 2 <= details["bond_dimension"] <= 64
    ideal = ones_fraction(simulate(circuit, 20_000, seed=4).counts, 40)
    noisy = ones_fraction(result.counts, 40)
    assert np.max(np.abs(noisy - ideal)) < 0.15


def test_a_deep_random_60_qubit_circuit_is_refused_fast_with_the_estimate():
    backend = backends.get("ScQ-P136")
    circuit = random_layers(60, 20)
    start = time.perf_counter()
    with pytest.raises(CircuitTooCostlyError) as info:
        backend.run(circuit, shots=1000, seed=1)
    assert time.perf_counter() - start < 20  # compiling 60 qubits x 20 layers included
    err = info.value
    assert err.num_qubits >= 60 and err.entangling_depth >= 20
    assert err.bond_dimension >= 2**20 and err.method == "mps"
    message = str(err)
    for fragment in (f"{err.num_qubits} qubits", "entangling depth", "bond dimension",
                     "EiB", "limits"):
        assert fragment in message, message
    start = time.perf_counter()  # the decision alone (the compiled circuit is cached)
    with pytest.raises(CircuitTooCostlyError):
        backend.estimate(circuit, 1000)
    assert time.perf_counter() - start < 3


def test_an_operator_bond_cap_answers_with_a_fidelity_estimate():
    backend = EmulatedBackend(devices.get("ScQ-P136"), noisy=False, max_bond_dimension=4)
    circuit = random_layers(30, 4, seed=5)
    result = backend.run(circuit, shots=200, seed=1)
    details = result.method_details
    assert result.method == "mps"
    assert details["bond_dimension"] <= 4
    assert 0.0 <= details["fidelity_estimate"] < 1.0


def test_small_circuits_keep_their_exact_dense_or_stabilizer_methods():
    backend = backends.get("ScQ-P136")
    ghz = QuantumCircuit(50, 50)
    ghz.h(0)
    for q in range(49):
        ghz.cx(q, q + 1)
    ghz.measure(list(range(50)), list(range(50)))
    assert backend.run(ghz, shots=100, seed=1).method == "stabilizer"
    bell_t = QuantumCircuit(2, 2)
    bell_t.ry(0.4, 0)
    bell_t.cx(0, 1)
    bell_t.measure([0, 1], [0, 1])
    assert backend.run(bell_t, shots=100, seed=1).method in ("density_matrix",
                                                              "trajectories")


def test_the_chain_order_walks_the_chip_lattice_along_couplers():
    device = devices.get("ScQ-P136")
    every = tuple(range(device.num_qubits))
    order = chain_order(device, every)
    assert sorted(order) == list(every)
    for a, b in itertools.pairwise(order):
        assert device.has_coupler(a, b), (a, b)
    some = (3, 20, 37, 54, 4)
    assert sorted(chain_order(device, some)) == list(range(len(some)))


def test_wide_noisy_runs_share_shots_among_a_bounded_number_of_trajectories():
    """Beyond the dense engines' width, noisy MPS trajectories are capped (the shots
    shared among them, stated in the result); narrower circuits keep one per shot, and
    an operator may ask for one per shot at any width."""
    from kuafu.backends.emulator import WIDE_TRAJECTORIES

    circuit = qc40(pairs=False)
    details = backends.get("ScQ-P136").run(circuit, shots=2000, seed=5
                                           ).method_details
    assert details["method"] == "mps"
    assert details["trajectories"] <= WIDE_TRAJECTORIES
    assert details["shots_per_trajectory"] == pytest.approx(2000 / WIDE_TRAJECTORIES)

    per_shot = EmulatedBackend(devices.get("ScQ-P136"), wide_trajectories=None)
    details = per_shot.run(circuit, shots=300, seed=5).method_details
    assert details["shots_per_trajectory"] == 1.0 and details["trajectories"] > 1

    narrow = backends.get("ScQ-P136").run(qc40(pairs=False, n=12), shots=300, seed=6)
    assert narrow.method_details.get("shots_per_trajectory", 1.0) == 1.0
