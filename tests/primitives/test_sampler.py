"""The Sampler: counts in one batch, sweeps, and mitigated quasi-distributions."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import bell
from kuafu import Parameter, QuantumCircuit
from kuafu.primitives import Sampler


def test_ideal_sampler_without_backend():
    res = Sampler(shots=1000, seed=1).run(bell())
    assert set(res.counts[0]) == {"00", "11"} and sum(res.counts[0].values()) == 1000
    assert res.quasi_dists is None


def test_sweep_is_one_batch(counting):
    theta = Parameter("theta")
    qc = QuantumCircuit(1, 1)
    qc.ry(theta, 0)
    qc.measure(0, 0)
    angles = [0.0, np.pi / 2, np.pi]
    res = Sampler(counting, shots=2000, seed=3).run(qc, [[a] for a in angles])
    assert counting.batches == [3]
    p1 = [c.get("1", 0) / 2000 for c in res.counts]
    assert p1 == pytest.approx([0, 0.5, 1], abs=0.05)


def test_several_circuits_with_their_own_parameters(counting):
    theta = Parameter("theta")
    qc = QuantumCircuit(1, 1)
    qc.rx(theta, 0)
    qc.measure(0, 0)
    res = Sampler(counting, shots=100, seed=3).run([qc, bell()], [[np.pi], None])
    assert res.counts[0] == {"1": 100}
    assert counting.batches == [2]


def test_readout_mitigated_quasi_distribution_is_closer(p10):
    qc = QuantumCircuit(3, 3)
    qc.x(1)
    qc.measure([0, 1, 2], [0, 1, 2])
    res = Sampler(p10, shots=20000, seed=2, readout_mitigation="calibration").run(qc)
    raw = res.counts[0].get("010", 0) / 20000
    quasi = res.quasi_dists[0]
    assert sum(quasi.values()) == pytest.approx(1)
    assert raw < 0.97 and abs(quasi["010"] - 1) < abs(raw - 1) / 3


def test_misuse():
    qc = QuantumCircuit(1)
    qc.h(0)
    with pytest.raises(ValueError, match="measures nothing"):
        Sampler().run(qc)
    with pytest.raises(ValueError):
        Sampler(readout_mitigation="nope")
