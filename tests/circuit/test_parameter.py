"""Symbolic parameters: arithmetic, binding, OpenQASM text."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kuafu import qasm
from kuafu.circuit import Parameter, QuantumCircuit, unitary
from kuafu.circuit import parameter as p


def test_expressions_evaluate_like_python():
    theta, phi = Parameter("theta"), Parameter("phi")
    expr = 2 * theta - phi / 4 + p.sin(theta) ** 2 - (-phi)
    assert expr.parameters == {theta, phi}
    value = expr.bind({theta: 0.3, phi: -1.2})
    assert value == pytest.approx(2 * 0.3 + 1.2 / 4 + math.sin(0.3) ** 2 - 1.2)


def test_partial_binding_keeps_the_rest_symbolic():
    a, b = Parameter("a"), Parameter("b")
    partial = (a * b).bind({a: 2.0})
    assert partial.parameters == {b}
    assert partial.bind({b: 3.0}) == 6.0


def test_same_name_different_symbols():
    assert Parameter("x") != Parameter("x")


def test_non_finite_binding_is_rejected():
    a = Parameter("a")
    with pytest.raises(ValueError, match="nan"):
        a.bind({a: float("nan")})
    with pytest.raises(ValueError, match="inf"):
        (a * 1e308 * 10).bind({a: 1.0})
    with pytest.raises(TypeError, match="unbound"):
        float(a + 1)


def test_circuit_bind_by_object_name_or_order():
    theta, phi = Parameter("theta"), Parameter("phi")
    qc = QuantumCircuit(2)
    qc.rx(theta, 0)
    qc.crz(2 * phi, 0, 1)
    assert qc.parameters == [phi, theta]
    by_object = qc.bind({theta: 0.4, phi: 0.1})
    by_name = qc.bind({"theta": 0.4, "phi": 0.1})
    by_order = qc.bind([0.1, 0.4])
    assert by_object == by_name == by_order
    assert by_object.num_parameters == 0 and qc.num_parameters == 2
    reference = QuantumCircuit(2)
    reference.rx(0.4, 0)
    reference.crz(0.2, 0, 1)
    np.testing.assert_allclose(unitary(by_object), unitary(reference), atol=1e-12)
    with pytest.raises(ValueError, match="no parameter named"):
        qc.bind({"gamma": 1.0})


def test_unbound_circuit_cannot_be_written_as_openqasm2():
    qc = QuantumCircuit(1)
    qc.rx(Parameter("theta"), 0)
    with pytest.raises(qasm.QasmError, match="unbound"):
        qasm.dumps(qc)


def test_inverse_negates_symbolic_angles():
    theta = Parameter("t")
    qc = QuantumCircuit(1)
    qc.u3(theta, 0.2, 0.3, 0)
    inv = qc.inverse().bind({theta: 0.5})
    both = qc.bind({theta: 0.5}).compose(inv)
    np.testing.assert_allclose(unitary(both), np.eye(2), atol=1e-12)


@pytest.mark.parametrize("value", [math.pi / 2, -3 * math.pi / 4, 2 * math.pi, 0.1, 1e-7, -0.0])
def test_numbers_are_written_to_read_back_exactly(value):
    text = p.format_number(value)
    qc = qasm.loads(f'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\nrz({text}) q[0];\n')
    assert qc.instructions[0].params[0] == value
