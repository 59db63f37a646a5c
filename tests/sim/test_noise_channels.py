"""Channels and NoiseModel: physical, equal to Qiskit Aer's definitions, looked up as documented."""

from __future__ import annotations

import math

import numpy as np
import pytest
from qiskit.quantum_info import Kraus, SuperOp
from qiskit_aer import noise as aer_noise

from kuafu.sim import (
    NoiseModel,
    ReadoutError,
    amplitude_damping,
    depolarizing,
    kraus_channel,
    pauli_channel,
    phase_damping,
    readout_error,
    thermal_relaxation,
    unitary_mixture,
)
from kuafu.sim.channels import pauli_matrix


def to_qiskit_kraus(kraus: list[np.ndarray]) -> Kraus:
    """Our Kraus ops are big-endian over their qubits; Qiskit's are little-endian."""
    k = int(kraus[0].shape[0]).bit_length() - 1
    perm = list(range(k))[::-1]
    ops = [m.reshape((2,) * 2 * k).transpose(perm + [k + p for p in perm]).reshape(2**k, 2**k)
           for m in kraus]
    return Kraus(ops)


def same_channel(ours, theirs) -> bool:
    return np.allclose(SuperOp(to_qiskit_kraus(list(ours.kraus))).data, SuperOp(theirs).data,
                       atol=1e-12)


ALL = [
    depolarizing(0.03), depolarizing(0.2, 2), amplitude_damping(0.3),
    amplitude_damping(0.3, 0.1), phase_damping(0.4), thermal_relaxation(50, 70, 10),
    thermal_relaxation(50, 20, 10, 0.05), pauli_channel({"X": 0.1, "Z": 0.2}),
    pauli_channel({"XY": 0.1, "ZI": 0.05}),
]


@pytest.mark.parametrize("channel", ALL, ids=repr)
def test_channels_preserve_the_trace(channel):
    dim = 2**channel.num_qubits
    total = sum(k.conj().T @ k for k in channel.kraus)
    assert np.allclose(total, np.eye(dim), atol=1e-12)


def test_depolarizing_matches_aer():
    assert same_channel(depolarizing(0.05), aer_noise.depolarizing_error(0.05, 1))
    assert same_channel(depolarizing(0.2, 2), aer_noise.depolarizing_error(0.2, 2))
    assert depolarizing(0.04).pauli["X"] == pytest.approx(0.01)


@pytest.mark.parametrize(("t1", "t2", "t", "pop"), [(50, 70, 10, 0), (50, 20, 10, 0),
                                                    (30, 60, 5, 0), (40, 30, 8, 0.1)])
def test_thermal_relaxation_matches_aer(t1, t2, t, pop):
    ours = thermal_relaxation(t1, t2, t, pop)
    theirs = aer_noise.thermal_relaxation_error(t1, t2, t, pop)
    assert same_channel(ours, theirs)


def test_amplitude_and_phase_damping_match_aer():
    assert same_channel(amplitude_damping(0.3), aer_noise.amplitude_damping_error(0.3))
    assert same_channel(phase_damping(0.4), aer_noise.phase_damping_error(0.4))


def test_pauli_labels_are_big_endian_over_the_qubits():
    channel = pauli_channel({"XZ": 1.0})
    assert np.allclose(channel.kraus[0], np.kron(pauli_matrix("X"), pauli_matrix("Z")))
    # Qiskit labels put the first qubit rightmost.
    assert same_channel(channel, aer_noise.pauli_error([("ZX", 1.0)]))


def test_pauli_data_marks_stim_runnable_channels():
    assert depolarizing(0.1).is_pauli and phase_damping(0.2).is_pauli
    assert not amplitude_damping(0.1).is_pauli
    assert not thermal_relaxation(50, 70, 10).is_pauli
    assert thermal_relaxation(math.inf, 70, 10).is_pauli  # pure dephasing
    assert amplitude_damping(0.1).mixture is None


def test_compose_and_tensor_keep_pauli_data_and_match_kraus():
    a, b = pauli_channel({"X": 0.1}), pauli_channel({"Y": 0.2, "Z": 0.1})
    both = a.compose(b)
    assert both.pauli["Z"] == pytest.approx(0.1 * 0.2 + 0.9 * 0.1)
    assert np.allclose(both.superoperator(), b.superoperator() @ a.superoperator())
    mixed = amplitude_damping(0.2).compose(depolarizing(0.1))
    assert mixed.pauli is None
    assert np.allclose(mixed.superoperator(),
                       depolarizing(0.1).superoperator() @ amplitude_damping(0.2).superoperator())
    wide = a.tensor(b)
    assert wide.num_qubits == 2 and wide.pauli["XY"] == pytest.approx(0.1 * 0.2)
    assert np.allclose(wide.superoperator(), sum(
        np.kron(k, k.conj()) for k in (np.kron(x, y) for x in a.kraus for y in b.kraus)))


def test_unitary_mixture_and_kraus_validation():
    coherent = unitary_mixture([(1.0, pauli_matrix("X"))])
    assert coherent.is_unitary_mixture and not coherent.is_pauli
    with pytest.raises(ValueError):
        kraus_channel([np.eye(2) * 0.9])
    with pytest.raises(ValueError):
        unitary_mixture([(0.5, np.eye(2))])
    with pytest.raises(ValueError):
        pauli_channel({"X": 0.7, "Y": 0.7})
    with pytest.raises(ValueError):
        thermal_relaxation(10, 30, 1)  # T2 > 2 T1


def test_readout_error():
    err = readout_error(0.02, 0.05)
    assert err.flip_probabilities == (0.02, 0.05)
    assert err.fidelity == pytest.approx(1 - 0.035)
    with pytest.raises(ValueError):
        ReadoutError(np.array([[0.9, 0.2], [0.1, 0.9]]))


def test_noise_model_lookup_order_and_immutability():
    d1, d2 = depolarizing(0.01), depolarizing(0.02, 2)
    special, on_q3, sx_any = depolarizing(0.5), depolarizing(0.3), depolarizing(0.2)
    base = NoiseModel()
    model = (base.with_gate_error(d1).with_gate_error(d2)
             .with_gate_error(sx_any, gates="sx")
             .with_gate_error(special, gates=["sx"], qubits=[3])
             .with_gate_error(on_q3, qubits=[3]))
    assert base.is_empty and not model.is_empty
    assert model.channel_for("sx", (3,)) is special
    assert model.channel_for("sx", (1,)) is sx_any
    assert model.channel_for("h", (3,)) is on_q3
    assert model.channel_for("h", (0,)) is d1
    assert model.channel_for("cx", (0, 1)) is d2
    assert model.channel_for("measure", (0,)) is None
    assert model.is_pauli and model.is_unitary_mixture
    assert not model.with_gate_error(amplitude_damping(0.1), gates="x").is_pauli
    with pytest.raises(ValueError):
        model.with_gate_error(d1, gates="cx")
    with pytest.raises(TypeError):
        model.gate_errors[("x", None)] = d1  # type: ignore[index]


def test_noise_model_readout_errors():
    err, special = readout_error(0.02), readout_error(0.1, 0.2)
    model = NoiseModel().with_readout_error(err).with_readout_error(special, qubits=[2])
    assert model.readout_for(0) is err and model.readout_for(2) is special
