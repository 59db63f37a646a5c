"""Engine conformance: every simulation method runs one circuit set and agrees.

The reference is the exact distribution of `kuafu.sim.density_matrix` (itself checked
here against the exact statevector for circuits that only measure at the end). Every
engine — statevector in complex128 and complex64, density matrix, trajectories,
stabilizer (on the circuits stim can express), MPS — samples each circuit with
`kuafu.sim.simulate(circuit, shots, method=..., seed=...)`; its counts must put no shot
on an impossible outcome and lie within a statistical bound of the reference in total
variation. The set covers mid-circuit measurement, reset, conditions on bits and on
registers, conditioned measurement and reset, and random dynamic circuits over the
whole gate library; a second set adds noise for the engines that take it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import bell, ghz, random_circuit, teleport
from kuafu.circuit import GATES, ClassicalRegister, QuantumCircuit, QuantumRegister
from kuafu.circuit.instruction import Condition
from kuafu.errors import SimulationError
from kuafu.sim import NoiseModel, depolarizing, pauli_channel, readout_error, simulate
from kuafu.sim.density_matrix import outcome_probabilities
from kuafu.sim.stabilizer import NotStabilizerError, is_clifford

SHOTS = 4000
ENGINES = [("statevector", "double"), ("statevector", "single"), ("density_matrix", "double"),
           ("trajectories", "double"), ("trajectories", "single"), ("stabilizer", "double"),
           ("mps", "double")]


def mid_circuit_measurement() -> QuantumCircuit:
    qc = QuantumCircuit(2, 3)
    qc.h(0)
    qc.measure(0, 0)
    qc.cx(0, 1)
    qc.h(0)
    qc.measure(0, 1)
    qc.measure(1, 2)
    return qc


def reset_after_entangling() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.reset(0)
    qc.sx(0)
    qc.measure([0, 1], [0, 1])
    return qc


def teleportation() -> QuantumCircuit:
    """Teleports ry(0.7)|0>: bit 2 reads 1 with probability sin^2(0.35)."""
    qc = QuantumCircuit(3, 3)
    qc.ry(0.7, 0)
    teleport(qc)
    qc.measure(2, 2)
    return qc


def clifford_teleportation() -> QuantumCircuit:
    """Teleportation of |+> with Pauli corrections on single bits: stim runs it."""
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    teleport(qc)
    qc.h(2)
    qc.measure(2, 2)
    return qc


def register_condition() -> QuantumCircuit:
    q, c, d = QuantumRegister("q", 3), ClassicalRegister("c", 2), ClassicalRegister("d", 1)
    qc = QuantumCircuit(q, c, d)
    qc.h(0)
    qc.rx(0.9, 1)
    qc.measure([0, 1], [0, 1])
    qc.append("cry", [0, 2], [1.3], condition=Condition((0, 1), 2))
    qc.append("h", [2], condition=Condition((0, 1), 3))
    qc.measure(2, 2)
    return qc


def conditioned_measure_and_reset() -> QuantumCircuit:
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.x(1)
    qc.ry(0.8, 2)
    qc.measure(2, 2)
    qc.measure(0, 0)
    qc.append("reset", [1], condition=Condition((0,), 1))
    qc.append("measure", [1], clbits=[2], condition=Condition((0,), 0))
    qc.measure(1, 1)
    return qc


def repeated_measurement() -> QuantumCircuit:
    """Measure, flip on the outcome, measure again into the same and another bit."""
    qc = QuantumCircuit(2, 2)
    qc.ry(1.9, 0)
    qc.measure(0, 0)
    qc.append("x", [0], condition=Condition((0,), 1))
    qc.t(0)
    qc.h(0)
    qc.measure(0, 0)
    qc.barrier(0, 1)
    qc.delay(100, 1)
    qc.id(1)
    qc.measure(1, 1)
    return qc


def partial_and_permuted() -> QuantumCircuit:
    """Clbits written in another order than the qubits, one never written."""
    qc = QuantumCircuit(3, 4)
    qc.ry(0.4, 0)
    qc.cx(0, 1)
    qc.ccx(0, 1, 2)
    qc.u3(0.3, 0.2, 0.1, 2)
    qc.measure(2, 0)
    qc.measure(0, 3)
    qc.measure(1, 1)
    return qc


def random_dynamic(seed: int) -> QuantumCircuit:
    """Random gates over the whole library between mid-circuit measurements, resets,
    and gates, measurements and resets conditioned on the register."""
    rng = np.random.default_rng(seed)
    n = 3
    qc = QuantumCircuit(n, n)
    for _ in range(3):
        qc = qc.compose(random_circuit(n, 3, rng))
        q = int(rng.integers(n))
        kind = int(rng.integers(4))
        cond = Condition(tuple(range(n)), int(rng.integers(2 ** n)))
        if kind == 0:
            qc.measure(q, int(rng.integers(n)))
        elif kind == 1:
            qc.reset(q)
        elif kind == 2:
            name = sorted(GATES)[int(rng.integers(len(GATES)))]
            spec = GATES[name]
            if spec.num_qubits <= n:
                qubits = [int(x) for x in rng.choice(n, spec.num_qubits, replace=False)]
                qc.append(name, qubits, [float(x) for x in rng.uniform(-3, 3, spec.num_params)],
                          condition=cond)
        else:
            name = ["measure", "reset"][int(rng.integers(2))]
            qc.append(name, [q], clbits=[q] if name == "measure" else [], condition=cond)
    qc.measure(list(range(n)), list(range(n)))
    return qc


CIRCUITS = {
    "bell": bell(),
    "ghz4": ghz(4),
    "random_unitary": random_circuit(4, 14, np.random.default_rng(3), measure=True),
    "mid_circuit_measurement": mid_circuit_measurement(),
    "reset": reset_after_entangling(),
    "teleportation": teleportation(),
    "clifford_teleportation": clifford_teleportation(),
    "register_condition": register_condition(),
    "conditioned_measure_and_reset": conditioned_measure_and_reset(),
    "repeated_measurement": repeated_measurement(),
    "partial_and_permuted": partial_and_permuted(),
    **{f"random_dynamic_{s}": random_dynamic(s) for s in range(4)},
}
NOISE = (NoiseModel()
         .with_gate_error(pauli_channel({"X": 0.03, "Z": 0.02}), num_qubits=1)
         .with_gate_error(depolarizing(0.05, 2))
         .with_readout_error(readout_error(0.03, 0.06)))
NOISY = ["bell", "ghz4", "random_unitary", "mid_circuit_measurement", "reset",
         "clifford_teleportation", "register_condition", "random_dynamic_0"]


def tv_bound(probs: dict[str, float], shots: int, failure: float = 1e-6) -> float:
    """A bound the total-variation distance of `shots` samples from `probs` exceeds with
    probability below `failure`: its mean is at most sum(sqrt(p (1 - p) / shots)) / 2,
    and one shot moves it by at most 1/shots (McDiarmid: P(TV > mean + t) <=
    exp(-2 shots t^2))."""
    mean = 0.5 * sum(math.sqrt(p * (1 - p) / shots) for p in probs.values())
    return mean + math.sqrt(math.log(1 / failure) / (2 * shots))


def assert_agrees(counts: dict[str, int], probs: dict[str, float], shots: int) -> None:
    impossible = {k: v for k, v in counts.items() if probs.get(k, 0.0) < 1e-12}
    assert not impossible, f"shots on impossible outcomes: {impossible}"
    assert sum(counts.values()) == shots
    tv = 0.5 * sum(abs(counts.get(k, 0) / shots - p) for k, p in probs.items())
    assert tv <= tv_bound(probs, shots), (tv, counts, probs)


def stim_can_run(circuit: QuantumCircuit, noise: NoiseModel | None) -> bool:
    from kuafu.sim.stabilizer import to_stim

    try:
        to_stim(circuit, noise)
    except NotStabilizerError:
        return False
    return True


def test_the_reference_is_the_exact_statevector_where_that_exists():
    from kuafu.circuit import statevector

    for name in ["bell", "ghz4", "random_unitary"]:
        circuit = CIRCUITS[name]
        unitary = circuit.copy()
        unitary.instructions = [i for i in circuit.instructions if i.name != "measure"]
        amplitudes = statevector(unitary)
        expected = {format(i, f"0{circuit.num_qubits}b"): abs(a) ** 2
                    for i, a in enumerate(amplitudes) if abs(a) ** 2 > 1e-12}
        got = {k: p for k, p in outcome_probabilities(circuit).items() if p > 1e-12}
        assert got.keys() == expected.keys()
        for key, p in expected.items():
            assert got[key] == pytest.approx(p, abs=1e-9)


@pytest.mark.parametrize("method,precision", ENGINES)
def test_every_engine_agrees_on_every_circuit(method, precision):
    ran = 0
    for seed, (name, circuit) in enumerate(CIRCUITS.items()):
        if method == "stabilizer" and not stim_can_run(circuit, None):
            assert not is_clifford(circuit) or any(i.condition for i in circuit.instructions)
            continue
        probs = outcome_probabilities(circuit)
        result = simulate(circuit, SHOTS, method=method, seed=seed, precision=precision)
        assert result.method == method, name
        try:
            assert_agrees(result.counts, probs, SHOTS)
        except AssertionError as exc:
            raise AssertionError(f"{method}/{precision} on {name}: {exc}") from None
        ran += 1
    assert ran >= 5


@pytest.mark.parametrize("method", ["density_matrix", "trajectories", "stabilizer", "mps"])
def test_every_noisy_engine_agrees_on_noisy_circuits(method):
    ran = 0
    for seed, name in enumerate(NOISY):
        circuit = CIRCUITS[name]
        if method == "stabilizer" and not stim_can_run(circuit, NOISE):
            continue
        probs = outcome_probabilities(circuit, NOISE)
        result = simulate(circuit, SHOTS, noise=NOISE, method=method, seed=seed)
        try:
            assert_agrees(result.counts, probs, SHOTS)
        except AssertionError as exc:
            raise AssertionError(f"noisy {method} on {name}: {exc}") from None
        ran += 1
    assert ran >= 2


def test_the_statevector_engine_refuses_noise_rather_than_ignoring_it():
    with pytest.raises((SimulationError, ValueError)):
        simulate(bell(), 10, noise=NOISE, method="statevector", seed=1)
