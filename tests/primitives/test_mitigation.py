"""Readout mitigation and zero-noise extrapolation: exact algebra, then on emulated chips."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from helpers import QELIB1_GATES, equal_up_to_phase, random_circuit
from kuafu import QuantumCircuit
from kuafu.circuit import unitary
from kuafu.primitives import (
    Estimator,
    ReadoutCalibration,
    extrapolation_weights,
    fold_gates,
    measure_readout,
    readout_from_backend,
)


# ----- readout algebra ------------------------------------------------------------------
def test_parity_weights_invert_the_tensored_assignment_matrix():
    cal = ReadoutCalibration({0: (0.02, 0.05), 1: (0.04, 0.01), 2: (0.1, 0.03)})
    qubits = [0, 1, 2]
    full = np.kron(np.kron(cal.matrix(2), cal.matrix(1)), cal.matrix(0))
    for state in range(8):
        true = np.zeros(8)
        true[state] = 1
        noisy = full @ true  # what the chip would report
        for subset in itertools.chain.from_iterable(itertools.combinations(qubits, k)
                                                    for k in range(1, 4)):
            value = sum(noisy[b] * np.prod([cal.parity_weights(q)[(b >> q) & 1]
                                            for q in subset]) for b in range(8))
            ideal = (-1) ** sum((state >> q) & 1 for q in subset)
            assert value == pytest.approx(ideal, abs=1e-12)


def test_mitigated_probabilities_recover_the_true_distribution():
    cal = ReadoutCalibration({5: (0.03, 0.06), 7: (0.02, 0.08)})
    truth = np.array([0.5, 0.1, 0.0, 0.4])  # index = b1 b0, bit 0 read from qubit 5
    noisy = np.kron(cal.matrix(7), cal.matrix(5)) @ truth
    counts = {format(i, "02b"): round(p * 1e6) for i, p in enumerate(noisy)}
    quasi = cal.mitigate_probabilities(counts, [5, 7])
    assert [quasi.get(format(i, "02b"), 0) for i in range(4)] == pytest.approx(truth, abs=1e-5)


def test_calibration_is_read_from_the_chip_and_measured_by_circuits(p10):
    published = readout_from_backend(p10)
    assert published.source == "calibration" and len(published.errors) == 10
    cal = p10.device.qubit_calibration[3]
    assert published.errors[3] == pytest.approx((1 - cal.readout_p00, 1 - cal.readout_p11))
    measured = measure_readout(p10, [3, 4], shots=20000, seed=2)
    for q in (3, 4):
        e0, e1 = measured.errors[q]
        p0, p1 = published.errors[q]
        assert abs(e0 - p0) < 0.01 and abs(e1 - p1) < 0.015  # T1 and the X gate add to e1


def _noisy_error(p10, circuit, observable, shots=40000, **options):
    exact = Estimator().run(circuit, observable).value
    result = Estimator(p10, shots=shots, seed=5, **options).run(circuit, observable)
    return abs(result.value - exact), result.std


@pytest.mark.parametrize("mode", ["calibration", "circuits"])
def test_readout_mitigation_brings_a_noisy_estimate_closer(p10, mode):
    qc = QuantumCircuit(3)
    qc.x(0)
    qc.x(2)
    obs = "-ZII + IZI - IIZ + ZZZ"  # every term exactly +1 in |101>
    raw, _raw_std = _noisy_error(p10, qc, obs)
    mitigated, std = _noisy_error(p10, qc, obs, readout_mitigation=mode)
    assert raw > 0.05  # ~2 % readout error on each qubit
    assert mitigated < raw / 3 and mitigated < 5 * std + 0.01


# ----- zero-noise extrapolation ---------------------------------------------------------
@pytest.mark.parametrize("scale", [1, 1.5, 2, 3, 4.2, 5])
def test_folding_keeps_the_unitary_and_scales_the_gate_count(scale, rng):
    qc = random_circuit(3, 20, rng, gates=QELIB1_GATES)
    folded = fold_gates(qc, scale)
    assert equal_up_to_phase(unitary(folded), unitary(qc))
    gates = sum(1 for i in folded.instructions if i.name != "barrier")
    assert gates == pytest.approx(scale * 20, abs=1)


def test_folding_refuses_measured_circuits_and_small_scales():
    qc = QuantumCircuit(1, 1)
    qc.h(0)
    with pytest.raises(ValueError):
        fold_gates(qc, 0.5)
    qc.measure(0, 0)
    with pytest.raises(ValueError):
        fold_gates(qc, 3)


@pytest.mark.parametrize("method,degree", [("linear", 1), ("quadratic", 2),
                                           ("richardson", 3)])
def test_extrapolation_is_exact_on_polynomials_of_its_degree(method, degree, rng):
    scales = [1, 2, 3, 5]
    coeffs = rng.normal(size=degree + 1)
    values = [np.polyval(coeffs[::-1], s) for s in scales]
    assert extrapolation_weights(scales, method) @ values == pytest.approx(coeffs[0])


@pytest.mark.slow  # tests/examples checks the same on the VQE example by default
def test_zne_with_readout_mitigation_brings_vqe_energy_closer(p10):
    """The H2 ansatz at a fixed point: each mitigation step reduces the error."""
    qc = QuantumCircuit(2)
    qc.ry(-0.2, 0)
    qc.ry(2.9, 1)
    for _ in range(2):
        qc.cz(0, 1)
        qc.ry(0.4, 0)
        qc.ry(-0.3, 1)
    obs = "-0.3324*II + 0.398*IZ - 0.398*ZI - 0.0113*ZZ + 0.181*XX"
    raw, _ = _noisy_error(p10, qc, obs, shots=100000)
    readout, _ = _noisy_error(p10, qc, obs, shots=100000, readout_mitigation="calibration")
    zne, std = _noisy_error(p10, qc, obs, shots=100000, readout_mitigation="calibration",
                            zne_scales=(1, 3, 5))
    assert readout < raw - 0.005
    assert zne < readout and zne < 4 * std + 0.003
