"""OpenQASM 3 import through the reference parser, for the subset Kuafu's circuits hold."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kuafu import qasm
from kuafu.circuit import Condition, QuantumCircuit, unitary
from kuafu.errors import QasmError

pytest.importorskip("openqasm3")

HEAD = 'OPENQASM 3.0;\ninclude "stdgates.inc";\n'


def test_registers_gates_measure_and_if():
    c = qasm.loads(HEAD + "qubit[2] q;\nbit[2] c;\nh q[0];\ncx q[0], q[1];\n"
                   "c[0] = measure q[0];\nmeasure q[1] -> c[1];\nif (c == 3) x q[0];\n"
                   "reset q;\nbarrier q;\n")
    names = [i.name for i in c.instructions]
    assert names == ["h", "cx", "measure", "measure", "x", "reset", "reset", "barrier"]
    assert c.instructions[4].condition == Condition((0, 1), 3)


def test_user_gates_and_constants_give_the_right_operator():
    c = qasm.loads(HEAD + "gate zz(t) a, b { cx a, b; rz(t) b; cx a, b; }\nqubit[2] q;\n"
                   "zz(π/3) q[0], q[1];\nU(tau/4, 0, pi) q[0];\n")
    ref = QuantumCircuit(2)
    ref.rzz(math.pi / 3, 0, 1)
    ref.u3(math.pi / 2, 0, math.pi, 0)
    np.testing.assert_allclose(unitary(c), unitary(ref), atol=1e-12)


def test_inputs_become_symbolic_parameters():
    c = qasm.loads(HEAD + "input float theta;\nqubit q;\nrx(2 * theta) q;\n")
    assert [p.name for p in c.parameters] == ["theta"]
    bound = c.bind({"theta": 0.25})
    assert float(bound.instructions[0].params[0]) == 0.5


def test_old_style_registers_and_bit_condition():
    c = qasm.loads(HEAD + "qreg q[1];\ncreg c[1];\nmeasure q[0] -> c[0];\nif (c[0]) { x q[0]; }\n")
    assert c.instructions[1].condition == Condition((0,), 1)


@pytest.mark.parametrize(
    "body, message",
    [
        ("qubit[2] q;\nctrl @ x q[0], q[1];", "modifiers"),
        ("qubit q;\nfor int i in [0:3] { x q; }", "ForInLoop"),
        ("qubit q;\nfoo q;", "'foo' is not defined"),
        ("qubit[2] q;\nx q[5];", "out of range"),
        ("qubit[2] q;\nx q[0:1];", "not supported"),
        ("qubit q;\nbit c;\nc = measure q;\nif (c) { x q; } else { h q; }", "else"),
    ],
)
def test_unsupported_constructs_are_named(body, message):
    with pytest.raises(QasmError, match=message) as info:
        qasm.loads(HEAD + body)
    assert info.value.line >= 3


@pytest.mark.parametrize(
    "body, line, column", [("qubit[2 q;", 3, 9), ("qubit q;\n x q; $$;", 4, 7)])
def test_syntax_errors_come_back_as_qasm_errors_quietly(body, line, column, capfd):
    with pytest.raises(QasmError, match="syntax error") as info:
        qasm.loads(HEAD + body)
    assert (info.value.line, info.value.column) == (line, column)
    assert capfd.readouterr() == ("", ""), "the library must not print"
