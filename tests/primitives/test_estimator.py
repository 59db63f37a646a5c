"""The Estimator against exact maths and Qiskit: exact mode, sampling, errors, sweeps."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit.quantum_info import SparsePauliOp, Statevector

from helpers import QELIB1_GATES, random_circuit
from kuafu import Parameter, QuantumCircuit
from kuafu.interop.qiskit import to_qiskit
from kuafu.primitives import Estimator, EstimatorOptions, PauliSum


def random_observable(n: int, rng, terms: int = 5) -> PauliSum:
    labels = ["".join(rng.choice(list("IXYZ"), n)) for _ in range(terms)]
    return PauliSum(list(zip(rng.normal(size=terms), labels, strict=True)))


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_exact_values_match_qiskit(n, rng):
    for _ in range(3):
        qc = random_circuit(n, 15, rng, gates=QELIB1_GATES)
        obs = random_observable(n, rng)
        ours = Estimator().run(qc, obs).value
        theirs = Statevector(to_qiskit(qc)).expectation_value(
            SparsePauliOp(obs.labels, obs.coeffs))
        assert ours == pytest.approx(theirs.real, abs=1e-9)


def test_sampled_values_agree_with_exact_within_their_errors(ideal, rng):
    qc = random_circuit(3, 20, rng, gates=QELIB1_GATES)
    observables = [random_observable(3, rng, 6) for _ in range(3)]
    exact = Estimator().run(qc, observables).values
    res = Estimator(ideal, shots=20000, seed=4).run(qc, observables)
    assert res.values.shape == res.stds.shape == (1, 3)
    z = np.abs(res.values - exact) / res.stds
    assert np.all(z < 5), z
    assert np.all((res.stds > 0.001) & (res.stds < 0.05))


def test_standard_error_matches_the_spread_of_repeated_runs(ideal):
    qc = QuantumCircuit(2)
    qc.ry(1.1, 0)
    qc.cx(0, 1)
    qc.rx(0.4, 1)
    obs = "0.7*ZZ + 0.5*ZI - 0.3*IZ"  # one setting: correlated terms
    runs = [Estimator(ideal, shots=400, seed=s).run(qc, obs) for s in range(60)]
    spread = np.std([r.value for r in runs], ddof=1)
    assert np.mean([r.std for r in runs]) == pytest.approx(spread, rel=0.3)


def test_sweep_runs_as_one_batch_and_follows_the_exact_curve(counting):
    theta = Parameter("theta")
    qc = QuantumCircuit(2)
    qc.ry(theta, 0)
    qc.cx(0, 1)
    angles = np.linspace(0, np.pi, 7)
    res = Estimator(counting, shots=4000, seed=1).run(qc, ["ZZ", "XX", "ZI"],
                                                      [[a] for a in angles])
    assert counting.batches == [7 * 2]  # 7 parameter sets x 2 settings, one call
    exact = np.stack([np.ones_like(angles), np.sin(angles), np.cos(angles)], axis=1)
    assert res.values.shape == (7, 3)
    assert np.all(np.abs(res.values - exact) < 5 * res.stds + 1e-9)


def test_parameter_mappings_and_identity_terms():
    a, b = Parameter("a"), Parameter("b")
    qc = QuantumCircuit(1)
    qc.rx(a, 0)
    qc.rz(b, 0)
    est = Estimator()
    assert est.run(qc, "2*I + Z", {"a": np.pi, "b": 0.3}).value == pytest.approx(1.0)
    assert est.run(qc, "Z", [0.0, 1.0]).value == pytest.approx(1.0)


def test_terminal_measurements_are_ignored(ideal):
    qc = QuantumCircuit(1, 1)
    qc.x(0)
    qc.measure(0, 0)
    assert Estimator(ideal, shots=100, seed=1).run(qc, "Z").value == -1
    assert Estimator().run(qc, "Z").value == pytest.approx(-1)


def test_misuse_is_reported():
    theta = Parameter("theta")
    qc = QuantumCircuit(2)
    qc.rx(theta, 0)
    with pytest.raises(ValueError, match="free parameters"):
        Estimator().run(qc, "ZZ")
    with pytest.raises(ValueError, match="3 qubits"):
        Estimator().run(qc, "ZZZ", [0.1])
    with pytest.raises(ValueError):
        EstimatorOptions(readout_mitigation="magic")
    with pytest.raises(ValueError):
        EstimatorOptions(zne_scales=(1,))
    with pytest.raises(ValueError):
        Estimator(shots=0)
    with pytest.raises(ValueError, match="index"):
        _ = Estimator().run(qc, ["ZZ", "XX"], [0.1]).value


def test_mitigated_runs_also_report_the_plain_estimate_from_the_same_shots(ideal):
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    res = Estimator(ideal, shots=2000, seed=2, readout_mitigation="circuits",
                    zne_scales=(1, 3)).run(qc, ["ZZ", "XX"])
    meta = res.metadata
    # an ideal machine has no readout error: mitigation changes nothing at scale 1
    assert np.allclose(meta["unmitigated_values"], meta["scale_values"][0])
    assert meta["scale_values"].shape == meta["scale_stds"].shape == (2, 1, 2)
    assert np.allclose(res.values, 1)
