"""The public `kuafu.sim` API: method choice, results, seeds, memory refusal, expectation."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from qiskit.quantum_info import DensityMatrix, SparsePauliOp, Statevector

import kuafu.sim as ksim
from kuafu.circuit import QuantumCircuit, unitary
from kuafu.errors import InsufficientMemoryError, SimulationError
from kuafu.sim import (
    NoiseModel,
    SimResult,
    amplitude_damping,
    density_matrix,
    depolarizing,
    expectation,
    readout_error,
    simulate,
    statevector,
)
from kuafu.sim.trajectories import trajectory_required_bytes

PAULI = (NoiseModel().with_gate_error(depolarizing(0.01), num_qubits=1)
         .with_gate_error(depolarizing(0.02, 2), num_qubits=2)
         .with_readout_error(readout_error(0.02)))


def rotations(n: int, rng: np.random.Generator) -> QuantumCircuit:
    qc = QuantumCircuit(n, n)
    for q in range(n):
        qc.u3(*(rng.random(3) * 3), q)
    for q in range(n - 1):
        qc.cx(q, q + 1)
    qc.rz(0.3, 0)
    qc.measure(list(range(n)), list(range(n)))
    return qc


def test_public_names_are_exported():
    for name in ksim.__all__:
        assert hasattr(ksim, name), name


def test_result_is_frozen_and_complete(rng):
    result = simulate(rotations(3, rng), 256, seed=5, memory=True)
    assert isinstance(result, SimResult)
    assert result.method == "statevector" and result.shots == 256 and result.seed == 5
    assert sum(result.counts.values()) == 256 and len(result.memory) == 256
    assert all(len(k) == 3 for k in result.counts) and result.time_taken > 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.shots = 3  # type: ignore[misc]


def test_counts_put_classical_bit_zero_rightmost():
    qc = QuantumCircuit(3, 3)
    qc.x(0)
    qc.measure([0, 1, 2], [0, 1, 2])
    for noise, method in [(None, "auto"), (PAULI, "trajectories"), (PAULI, "density_matrix"),
                          (PAULI, "stabilizer")]:
        counts = simulate(qc, 2000, noise=noise, method=method, seed=1).counts
        assert max(counts, key=counts.get) == "001", method


def test_auto_picks_the_expected_engine(rng):
    clifford = QuantumCircuit(3, 3)
    clifford.h(0)
    clifford.cx(0, 1)
    clifford.measure([0, 1], [0, 1])
    general = rotations(3, rng)
    assert simulate(clifford, 10, noise=PAULI, seed=1).method == "stabilizer"
    assert simulate(clifford, 10, seed=1).method == "statevector"
    assert simulate(general, 10, seed=1).method == "statevector"
    assert simulate(general, 1000, noise=PAULI, seed=1).method == "density_matrix"
    thermal = NoiseModel().with_gate_error(amplitude_damping(0.01))
    assert simulate(clifford, 10, noise=thermal, seed=1).method in (
        "density_matrix", "trajectories")
    wide = rotations(15, rng)
    assert simulate(wide, 10, noise=PAULI, seed=1).method == "trajectories"


def test_seed_is_reported_and_reproduces_the_run(rng):
    qc = rotations(3, rng)
    first = simulate(qc, 300, noise=PAULI, memory=True)
    again = simulate(qc, 300, noise=PAULI, memory=True, seed=first.seed)
    assert first.seed is not None and first.memory == again.memory


def test_memory_refusal_names_the_bytes():
    qc = QuantumCircuit(30, 1)
    qc.t(0)
    for q in range(29):
        qc.cx(q, q + 1)
    qc.measure(29, 0)
    with pytest.raises(InsufficientMemoryError) as info:
        simulate(qc, 10, noise=PAULI, method="trajectories", max_memory_bytes=1 << 30)
    err = info.value
    assert err.required_bytes == trajectory_required_bytes(30)
    assert err.available_bytes == 1 << 30
    assert f"{err.required_bytes:,}" in str(err)
    with pytest.raises(InsufficientMemoryError):
        simulate(qc, 10, method="statevector", max_memory_bytes=1 << 30)
    # "auto" finds a method that fits: a chain of CX is a bond-2 matrix product state
    assert simulate(qc, 10, noise=PAULI, max_memory_bytes=1 << 30).method == "mps"
    qc_clifford = QuantumCircuit(30, 1)
    qc_clifford.h(0)
    qc_clifford.measure(0, 0)
    assert simulate(qc_clifford, 10, noise=PAULI, max_memory_bytes=1 << 20).method == "stabilizer"


def test_bad_arguments():
    qc = QuantumCircuit(1, 1)
    with pytest.raises(ValueError):
        simulate(qc, 10, method="magic")
    with pytest.raises(ValueError):
        simulate(qc, 10, precision="half")
    with pytest.raises(SimulationError):
        simulate(qc, 10, noise=PAULI, method="statevector")


def test_statevector_and_density_matrix_functions(rng):
    qc = rotations(3, rng)
    psi = statevector(qc)
    qc_nomeasure = QuantumCircuit(3)
    for inst in qc.instructions:
        if inst.name != "measure":
            qc_nomeasure.append(inst.name, inst.qubits, inst.params)
    assert abs(np.vdot(psi, unitary(qc_nomeasure)[:, 0])) == pytest.approx(1.0)
    assert np.allclose(density_matrix(qc), np.outer(psi, psi.conj()), atol=1e-10)


def test_expectation_matches_qiskit(rng):
    qc = rotations(3, rng)
    qc_nomeasure = QuantumCircuit(3)
    for inst in qc.instructions:
        if inst.name != "measure":
            qc_nomeasure.append(inst.name, inst.qubits, inst.params)
    terms = [(0.5, "XZI"), (-1.25, "YYX"), (2.0, "IIZ"), (0.7, "ZXY")]
    op = SparsePauliOp([label for _, label in terms], [c for c, _ in terms])
    psi = Statevector(np.ascontiguousarray(unitary(qc_nomeasure)[:, 0]))
    assert expectation(qc, terms) == pytest.approx(psi.expectation_value(op).real, abs=1e-10)
    as_dict = {label: c for c, label in terms}
    assert expectation(qc, as_dict) == pytest.approx(expectation(qc, terms))
    rho = DensityMatrix(density_matrix(qc, PAULI))
    assert expectation(qc, terms, noise=PAULI) == pytest.approx(
        rho.expectation_value(op).real, abs=1e-10)
    assert expectation(qc, "Z") == pytest.approx(
        psi.expectation_value(SparsePauliOp("IIZ")).real, abs=1e-10)
    with pytest.raises(ValueError):
        expectation(qc, "XXXX")


def test_zero_shots_and_no_clbits():
    qc = QuantumCircuit(2)
    qc.h(0)
    assert simulate(qc, 0, noise=PAULI, method="trajectories", seed=1).counts == {}
    result = simulate(qc, 5, noise=PAULI, method="density_matrix", seed=1)
    assert result.counts == {"": 5}


def test_expectation_of_bell_state():
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    assert expectation(qc, "ZZ") == pytest.approx(1.0)
    assert expectation(qc, "XX") == pytest.approx(1.0)
    assert expectation(qc, "YY") == pytest.approx(-1.0)
    # 2q depolarizing(p) shrinks every non-identity Pauli expectation by 1 - p
    noisy = expectation(qc, "ZZ", noise=NoiseModel().with_gate_error(depolarizing(0.1, 2)))
    assert noisy == pytest.approx(0.9, abs=1e-12)


def test_a_result_prints_in_one_short_line():
    qc = QuantumCircuit(5, 5)
    for q in range(5):
        qc.h(q)
    qc.measure(list(range(5)), list(range(5)))
    result = simulate(qc, 1000, seed=3, method="statevector")
    assert repr(result).startswith("<SimResult shots=1000 method=statevector seed=3 counts={")
    assert repr(result).endswith(f"… {len(result.counts) - 4} more}}>")
