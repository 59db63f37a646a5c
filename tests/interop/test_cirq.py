"""Cirq interop: conversions both ways, checked on unitaries and measurement keys."""

from __future__ import annotations

import cirq
import numpy as np
import pytest
import sympy

from helpers import random_circuit
from kuafu import QuantumCircuit
from kuafu.circuit import unitary
from kuafu.interop.cirq import from_cirq, to_cirq


def little_endian(u: np.ndarray) -> np.ndarray:
    """Cirq's big-endian operator reindexed little-endian (qubit 0 = bit 0), as Kuafu's."""
    n = int(np.log2(u.shape[0]))
    perm = [int(format(i, f"0{n}b")[::-1], 2) for i in range(2**n)]
    return u[np.ix_(perm, perm)]


@pytest.mark.parametrize("seed", range(5))
def test_cirq_to_kuafu_keeps_the_operator(seed):
    circuit = cirq.testing.random_circuit(qubits=3, n_moments=8, op_density=0.9,
                                          random_state=seed)
    circuit += cirq.Circuit([cirq.ISWAP(*cirq.LineQubit.range(2)) ** 0.3,
                             cirq.FSimGate(0.4, 0.1).on(*cirq.LineQubit.range(1, 3)),
                             cirq.PhasedXPowGate(phase_exponent=0.3, exponent=0.6).on(
                                 cirq.LineQubit(0))])
    qubits = sorted(circuit.all_qubits())
    ours = unitary(from_cirq(circuit))
    theirs = little_endian(circuit.unitary(qubit_order=qubits))
    assert cirq.equal_up_to_global_phase(ours, theirs, atol=1e-8)


def test_kuafu_to_cirq_keeps_the_operator(rng):
    for n in (1, 2, 3):
        qc = random_circuit(n, 25, rng)
        theirs = little_endian(cirq.unitary(to_cirq(qc)))
        if to_cirq(qc).all_qubits() != set(cirq.LineQubit.range(n)):
            continue  # an idle qubit is absent from Cirq's circuit
        assert cirq.equal_up_to_global_phase(theirs, unitary(qc), atol=1e-8)


def test_measurement_keys_become_registers_and_back():
    a, b, c = cirq.LineQubit.range(3)
    circuit = cirq.Circuit(cirq.H(a), cirq.CNOT(a, b), cirq.X(c),
                           cirq.measure(a, b, key="m"), cirq.measure(c, key="flag"))
    qc = from_cirq(circuit)
    assert {(r.name, r.size) for r in qc.cregs} == {("m", 2), ("flag", 1)}
    from kuafu.sim import simulate

    counts = simulate(qc, 200, seed=1).counts
    offset = {r.name: qc.register_offset(r) for r in qc.cregs}
    for key in counts:
        bits = key[::-1]
        assert bits[offset["flag"]] == "1" and bits[offset["m"]] == bits[offset["m"] + 1]
    back = to_cirq(qc)
    result = cirq.Simulator(seed=1).run(back, repetitions=50)
    assert set(result.measurements) == {"m", "flag"}
    assert np.all(result.measurements["flag"] == 1)


def test_symbols_become_parameters_and_back():
    t = sympy.Symbol("t")
    a, b = cirq.LineQubit.range(2)
    circuit = cirq.Circuit(cirq.rx(2 * t).on(a), cirq.Z(b) ** t, cirq.CZ(a, b))
    qc = from_cirq(circuit)
    assert [p.name for p in qc.parameters] == ["t"]
    bound = qc.bind([0.7])
    resolved = cirq.resolve_parameters(circuit, {"t": 0.7})
    assert cirq.equal_up_to_global_phase(unitary(bound), little_endian(cirq.unitary(resolved)))
    back = cirq.resolve_parameters(to_cirq(qc), {"t": 0.7})
    assert cirq.equal_up_to_global_phase(cirq.unitary(back), cirq.unitary(resolved))


def test_unsupported_operations_are_refused():
    q = cirq.LineQubit(0)
    circuit = cirq.Circuit(cirq.measure(q, key="m"), cirq.X(q).with_classical_controls("m"))
    with pytest.raises(ValueError):
        from_cirq(circuit)
    qc = QuantumCircuit(1, 1)
    qc.x(0).c_if(0, 1)
    with pytest.raises(ValueError):
        to_cirq(qc)
    qc = QuantumCircuit(1, 1)
    qc.measure(0, 0)
    qc.h(0)
    with pytest.raises(ValueError, match="terminal"):
        to_cirq(qc)
