"""QuantumCircuit: building, broadcasting, metrics, composition, inversion, drawing."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import random_circuit
from kuafu.circuit import (
    ClassicalRegister,
    Condition,
    QuantumCircuit,
    QuantumRegister,
    statevector,
    unitary,
)
from kuafu.errors import CircuitError


def to_qiskit(circuit: QuantumCircuit):
    """The same circuit in Qiskit, built gate by gate through Qiskit's own methods."""
    from qiskit import QuantumCircuit as QiskitCircuit

    qc = QiskitCircuit(circuit.num_qubits, circuit.num_clbits)
    for inst in circuit.instructions:
        if inst.name == "measure":
            qc.measure(inst.qubits[0], inst.clbits[0])
        elif inst.name == "barrier":
            qc.barrier(*inst.qubits)
        elif inst.name == "reset":
            qc.reset(inst.qubits[0])
        else:
            name = {"u3": "u", "u1": "p", "cu1": "cp", "c3x": "mcx", "c4x": "mcx"}.get(
                inst.name, inst.name)
            params = [float(p) for p in inst.params]
            if inst.name == "u2":
                qc.u(np.pi / 2, *params, *inst.qubits)
            elif name == "mcx":
                qc.mcx(list(inst.qubits[:-1]), inst.qubits[-1])
            elif inst.name == "u0" or inst.name == "id":
                qc.id(inst.qubits[0])
            elif inst.name == "cu3":
                qc.cu(*params, 0, *inst.qubits)
            elif inst.name == "c3sqrtx":
                from qiskit.circuit.library import C3SXGate

                qc.append(C3SXGate(), list(inst.qubits))
            elif inst.name == "rc3x":
                qc.rcccx(*inst.qubits)
            elif inst.name in ("sy", "sydg"):
                sign = 1 if inst.name == "sy" else -1
                qc.ry(sign * np.pi / 2, inst.qubits[0])
                qc.global_phase += sign * np.pi / 4
            elif inst.name == "rccx":
                qc.rccx(*inst.qubits)
            else:
                getattr(qc, name)(*params, *inst.qubits)
    return qc


def test_registers_get_flat_indices_in_declaration_order():
    a, b = QuantumRegister("a", 2), QuantumRegister("b", 3)
    m = ClassicalRegister("m", 2)
    qc = QuantumCircuit(a, b, m)
    assert (qc.num_qubits, qc.num_clbits) == (5, 2)
    assert qc.register_offset(b) == 2
    assert qc.qubit_name(3) == "b[1]"
    qc.x(b)
    assert [i.qubits for i in qc.instructions] == [(2,), (3,), (4,)]


def test_broadcasting_pairs_registers_and_single_qubits():
    a, b = QuantumRegister("a", 3), QuantumRegister("b", 3)
    qc = QuantumCircuit(a, b)
    qc.cx(a, b)
    qc.cz(0, b)
    assert [i.qubits for i in qc.instructions] == [(0, 3), (1, 4), (2, 5), (0, 3), (0, 4), (0, 5)]
    with pytest.raises(CircuitError, match="different sizes"):
        QuantumCircuit(QuantumRegister("x", 2), QuantumRegister("y", 3)).cx(
            QuantumRegister("x", 2), QuantumRegister("y", 3))


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda qc: qc.h(5), "out of range"),
        (lambda qc: qc.cx(0, 0), "same qubit twice"),
        (lambda qc: qc.rx(float("nan"), 0), "finite"),
        (lambda qc: qc.append("rx", [0], []), "takes 1 parameters"),
        (lambda qc: qc.append("nope", [0]), "unknown gate"),
        (lambda qc: qc.measure(0, 3), "out of range"),
    ],
)
def test_invalid_operations_raise_circuit_error(build, message):
    qc = QuantumCircuit(2, 2)
    with pytest.raises(CircuitError, match=message):
        build(qc)


def test_metrics_match_qiskit(rng):
    for _ in range(20):
        qc = random_circuit(5, 30, rng, measure=True)
        qc.barrier()
        ref = to_qiskit(qc)
        assert qc.depth() == ref.depth()
        assert qc.size() == ref.size()
        assert qc.width() == ref.width()
        assert sum(qc.count_ops().values()) == sum(ref.count_ops().values())


def test_unitary_and_statevector_match_qiskit(rng):
    from qiskit.quantum_info import Operator, Statevector

    for n in (1, 2, 3, 5):
        for _ in range(10):
            qc = random_circuit(n, 25, rng)
            ref = to_qiskit(qc)
            np.testing.assert_allclose(unitary(qc), Operator(ref).data, atol=1e-10)
            np.testing.assert_allclose(statevector(qc), Statevector(ref).data, atol=1e-10)


def test_inverse_undoes_the_circuit(rng):
    for n in (1, 3, 5):
        qc = random_circuit(n, 40, rng)
        both = qc.compose(qc.inverse())
        np.testing.assert_allclose(unitary(both), np.eye(2**n), atol=1e-10)


def test_inverse_refuses_measurement_and_conditions():
    qc = QuantumCircuit(1, 1)
    qc.measure(0, 0)
    with pytest.raises(CircuitError, match="measure"):
        qc.inverse()
    qc = QuantumCircuit(1, 1)
    qc.x(0).c_if(0, 1)
    with pytest.raises(CircuitError, match="condition"):
        qc.inverse()


def test_compose_maps_wires_and_leaves_operands_unchanged():
    bell = QuantumCircuit(2, 2)
    bell.h(0)
    bell.cx(0, 1)
    bell.measure([0, 1], [0, 1])
    big = QuantumCircuit(4, 4)
    out = big.compose(bell, qubits=[3, 1], clbits=[2, 0])
    assert big.instructions == []
    assert [(i.name, i.qubits, i.clbits) for i in out.instructions] == [
        ("h", (3,), ()), ("cx", (3, 1), ()), ("measure", (3,), (2,)), ("measure", (1,), (0,))]
    front = out.compose(QuantumCircuit(1), qubits=[0], front=True)
    assert front == out


def test_copy_is_independent():
    qc = QuantumCircuit(2)
    qc.h(0)
    dup = qc.copy()
    dup.x(1)
    assert len(qc) == 1 and len(dup) == 2 and qc != dup


def test_c_if_conditions_on_register_or_bit():
    c = ClassicalRegister("c", 2)
    qc = QuantumCircuit(QuantumRegister("q", 1), c)
    qc.x(0).c_if(c, 3)
    qc.h(0).c_if(1, 1)
    assert qc.instructions[0].condition == Condition((0, 1), 3)
    assert qc.instructions[1].condition == Condition((1,), 1)
    assert Condition((0, 1), 3).holds([1, 1]) and not Condition((0, 1), 2).holds([1, 1])
    with pytest.raises(ValueError, match="does not fit"):
        qc.x(0).c_if(c, 4)


def test_measure_all_and_mid_circuit_detection():
    qc = QuantumCircuit(3)
    qc.h(0)
    qc.measure_all()
    assert qc.num_clbits == 3 and qc.cregs[0].name == "meas"
    assert not qc.has_mid_circuit_operations()
    qc.x(0)
    assert qc.has_mid_circuit_operations()


def test_delay_is_stored_in_nanoseconds():
    qc = QuantumCircuit(1)
    qc.delay(2, 0, unit="us")
    assert qc.instructions[0].params == (2000.0,)
    with pytest.raises(ValueError, match="unit"):
        qc.delay(1, 0, unit="fortnight")


def test_draw_shows_every_wire_and_gate():
    qc = QuantumCircuit(3, 1)
    qc.h(0)
    qc.cx(0, 2)
    qc.rz(0.5, 1)
    qc.measure(2, 0)
    text = qc.draw()
    lines = text.splitlines()
    assert [line.split(":")[0].strip() for line in lines] == ["q[0]", "q[1]", "q[2]", "c[0]"]
    assert "H" in lines[0] and "■" in lines[0]
    assert "Rz(0.5)" in lines[1] and "┼" in lines[1]
    assert "X" in lines[2] and "M" in lines[2]
    assert "╩" in lines[3]
    assert str(qc) == text


def test_draw_folds_long_circuits():
    qc = QuantumCircuit(1)
    for _ in range(100):
        qc.h(0)
    blocks = qc.draw(width=60).split("\n\n")
    assert len(blocks) > 1
    assert all(len(line) <= 60 for line in qc.draw(width=60).splitlines())
