"""The density matrix on the block kernels (issue 20) against the per-operation reference
(`fusion=False`, one kernel pass per gate and channel) and against Qiskit Aer's density
matrix (a test-only oracle): several blocks per segment (6-8 qubits), every sort of channel
the superoperator lowering distinguishes, mid-circuit measurement, reset and conditions."""

from __future__ import annotations

import importlib
import math

import numpy as np
import pytest

from helpers import random_circuit
from kuafu.circuit import GATES, Condition, QuantumCircuit
from kuafu.sim import (
    NoiseModel,
    amplitude_damping,
    density_matrix,
    depolarizing,
    kraus_channel,
    pauli_channel,
    phase_damping,
    readout_error,
    simulate,
    thermal_relaxation,
    unitary_mixture,
)
from kuafu.sim.blocks import compile_block
from kuafu.sim.channels import Channel
from kuafu.sim.density_matrix import outcome_probabilities

dm = importlib.import_module("kuafu.sim.density_matrix")

GATE_SET = sorted(g for g in GATES if GATES[g].num_qubits <= 3 and g not in
                  ("sy", "sydg", "u0", "id"))


def random_kraus(k: int, count: int, rng: np.random.Generator) -> Channel:
    """A channel with no structure: the first columns of a random isometry."""
    d = 2**k
    z = rng.normal(size=(count * d, d)) + 1j * rng.normal(size=(count * d, d))
    q, _ = np.linalg.qr(z)
    return kraus_channel([q[i * d:(i + 1) * d] for i in range(count)])


def channels(rng: np.random.Generator) -> dict[str, tuple[Channel, Channel]]:
    """(1-qubit, 2-qubit) channel pairs of every structure `_channel_pieces` tells apart."""
    relax = thermal_relaxation(50e3, 30e3, 60)
    relax2 = thermal_relaxation(50e3, 30e3, 300).tensor(thermal_relaxation(40e3, 60e3, 300))
    return {
        "depolarizing": (depolarizing(0.02), depolarizing(0.05, 2)),
        "pauli": (pauli_channel({"X": 0.01, "Y": 0.02, "Z": 0.03}),
                  pauli_channel({"XI": 0.01, "ZY": 0.02, "YY": 0.015, "IZ": 0.03})),
        "device-like": (relax.compose(depolarizing(0.01)),
                        relax2.compose(depolarizing(0.03, 2))),
        "damping": (amplitude_damping(0.1, 0.2).compose(phase_damping(0.05)),
                    amplitude_damping(0.1).tensor(phase_damping(0.2))),
        "one unitary": (unitary_mixture([(1.0, np.array([[0, 1], [1, 0]]))]),
                        depolarizing(0.0, 2)),
        "unstructured": (random_kraus(1, 3, rng), random_kraus(2, 2, rng)),
    }


def noise_of(one: Channel, two: Channel, readout: bool = False) -> NoiseModel:
    noise = NoiseModel().with_gate_error(one).with_gate_error(two)
    return noise.with_readout_error(readout_error(0.03, 0.07)) if readout else noise


@pytest.mark.parametrize("kind", ["depolarizing", "pauli", "device-like", "damping",
                                  "one unitary", "unstructured"])
def test_channel_micro_operations_are_the_superoperator(kind):
    """Each channel's micro-operations, lowered as a block of its 2k bits, equal
    sum_k K (x) conj(K) on every basis vector (columns of the block's matrix)."""
    for channel in channels(np.random.default_rng(1))[kind]:
        k = channel.num_qubits
        kraus = [np.asarray(m, dtype=complex) for m in channel.kraus]
        pieces = dm._channel_pieces(b"".join(m.tobytes() for m in kraus), len(kraus), k)
        expected = sum(np.kron(m, m.conj()) for m in kraus)
        positions = tuple(range(2 * k))
        block = compile_block(positions, [(pieces, positions)] if pieces.pieces else [])
        call = dm.kernel_call(block, np.dtype(np.complex128))
        got = np.eye(4**k, dtype=complex)
        for i in range(4**k) if call is not None else []:
            column = np.ascontiguousarray(got[:, i])
            call[0](column, *call[1])
            got[:, i] = column
        # the matrix is little-endian over (column bits, row bits): index c + 2**k r
        np.testing.assert_allclose(got, expected, atol=1e-13)


@pytest.mark.parametrize("kind", ["depolarizing", "pauli", "device-like", "damping",
                                  "one unitary", "unstructured"])
def test_blocks_match_the_per_operation_reference(kind):
    rng = np.random.default_rng(len(kind))
    one, two = channels(rng)[kind]
    for n in (3, 6, 8):
        qc = random_circuit(n, 40, rng, gates=GATE_SET)
        ours = density_matrix(qc, noise_of(one, two))
        ref = dm.density_matrix(qc, noise_of(one, two), fusion=False)
        np.testing.assert_allclose(ours, ref, atol=1e-12)
        assert np.trace(ours).real == pytest.approx(1.0)


def random_dynamic(n: int, depth: int, rng: np.random.Generator) -> QuantumCircuit:
    """Random gates with mid-circuit measurements, resets and conditioned gates."""
    qc = QuantumCircuit(n, n)
    names = [g for g in GATE_SET if GATES[g].num_qubits <= 2]
    for _ in range(depth):
        roll = rng.random()
        q = int(rng.integers(n))
        if roll < 0.08:
            qc.measure(q, int(rng.integers(n)))
        elif roll < 0.12:
            qc.reset(q)
        else:
            spec = GATES[names[rng.integers(len(names))]]
            qubits = [int(x) for x in rng.choice(n, spec.num_qubits, replace=False)]
            params = [float(x) for x in rng.uniform(-math.pi, math.pi, spec.num_params)]
            condition = None
            if roll > 0.9:
                condition = Condition((int(rng.integers(n)),), int(rng.integers(2)))
            qc.append(spec.name, qubits, params, condition=condition)
    qc.measure(list(range(n)), list(range(n)))
    return qc


@pytest.mark.parametrize("seed", range(4))
def test_mid_circuit_measurement_reset_and_conditions_match_the_reference(seed):
    rng = np.random.default_rng(40 + seed)
    one, two = list(channels(rng).values())[seed + 1]
    qc = random_dynamic(6 + seed % 2, 50, rng)
    noise = noise_of(one, two, readout=True)
    ours = outcome_probabilities(qc, noise)
    ref = outcome_probabilities(qc, noise, fusion=False)
    assert set(ours) == set(ref)
    for key, p in ref.items():
        assert ours[key] == pytest.approx(p, abs=1e-12)


def test_single_precision_is_close_to_double():
    rng = np.random.default_rng(5)
    one, two = channels(rng)["device-like"]
    qc = random_circuit(7, 60, rng, gates=GATE_SET)
    single = dm.density_matrix(qc, noise_of(one, two), precision="single")
    assert single.dtype == np.complex64
    np.testing.assert_allclose(single, density_matrix(qc, noise_of(one, two)), atol=2e-6)
    qc.measure_all()
    counts = simulate(qc, 100, noise=noise_of(one, two), method="density_matrix",
                      precision="single", seed=1).counts
    assert sum(counts.values()) == 100


AER_GATES = ["h", "x", "y", "z", "s", "sdg", "t", "tdg", "sx", "sxdg", "rx", "ry", "rz", "p",
             "u1", "u2", "u3", "cx", "cy", "cz", "cp", "cu1", "swap", "rxx", "rzz", "ccx"]
"""Kuafu gates Aer's density matrix runs as they are (others it would transpile, moving the
noise)."""


def aer_density_matrix(qc: QuantumCircuit, one: Channel, two: Channel) -> np.ndarray:
    """Qiskit Aer's density matrix of `qc` with `one`/`two` after every 1-/2-qubit gate."""
    qiskit_aer = pytest.importorskip("qiskit_aer")
    from qiskit.quantum_info import Kraus

    from kuafu.interop.qiskit import to_qiskit

    def little_endian(channel: Channel):
        k = channel.num_qubits
        perm = list(range(k))[::-1]
        return Kraus([np.asarray(m).reshape((2,) * 2 * k).transpose(perm + [k + p for p in perm])
                      .reshape(2**k, 2**k) for m in channel.kraus])

    theirs = to_qiskit(qc)
    noise = qiskit_aer.noise.NoiseModel()
    names = {1: set(), 2: set()}
    for inst in theirs.data:
        if inst.operation.num_qubits in names:
            names[inst.operation.num_qubits].add(inst.operation.name)
    for k, channel in ((1, one), (2, two)):
        if names[k]:
            noise.add_all_qubit_quantum_error(
                qiskit_aer.noise.QuantumError(little_endian(channel)), sorted(names[k]))
    theirs.save_density_matrix()
    sim = qiskit_aer.AerSimulator(method="density_matrix", noise_model=noise)
    return np.asarray(sim.run(theirs).result().data()["density_matrix"])


@pytest.mark.parametrize("seed", range(6))
def test_blocks_match_qiskit_aer(seed):
    rng = np.random.default_rng(70 + seed)
    kind = ["depolarizing", "pauli", "device-like", "damping", "unstructured",
            "device-like"][seed]
    one, two = channels(rng)[kind]
    n = 6 + seed % 3
    qc = random_circuit(n, 45, rng, gates=AER_GATES)
    np.testing.assert_allclose(density_matrix(qc, noise_of(one, two)),
                               aer_density_matrix(qc, one, two), atol=1e-10)
