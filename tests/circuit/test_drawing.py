"""Labels of a drawn circuit (shared by the text drawing and the console's SVG): rounded
parameters, π fractions, conditions; and the text drawing's order of conditioned gates."""

from __future__ import annotations

import math

import pytest

from kuafu import qasm
from kuafu.circuit import QuantumCircuit
from kuafu.circuit.drawing import condition_label, gate_label, number_label, params_label
from kuafu.circuit.gates import GATES


@pytest.mark.parametrize(("value", "text"), [
    (0.0, "0"), (0.134364244112, "0.1344"), (math.pi / 2, "π/2"), (-3 * math.pi / 4, "-3π/4"),
    (math.pi, "π"), (2 * math.pi, "2π"), (math.pi / 2 * (1 + 1e-15), "π/2"),
    (1.5707, "1.571"), (123456.789, "1.235e+05"), (-0.5, "-0.5"), (2.0, "2"),
])
def test_numbers_are_rounded_or_pi_fractions(value, text):
    assert number_label(value) == text


def test_parameter_labels_stay_short():
    assert params_label([0.134364244112, 1.2345678901, math.pi / 2]) == "0.1344,1.235,π/2"
    assert len(params_label([0.1234567891234567] * 3)) <= 3 * 6 + 2


def test_every_library_gate_has_a_label_and_none_is_invented():
    from kuafu.circuit import drawing

    for name in GATES:
        assert gate_label(name)
    assert set(drawing.LABELS) <= set(GATES) | {"measure", "reset", "delay"}
    assert set(drawing.CONTROLLED) <= set(GATES)


def test_condition_labels_name_the_register_or_the_bits():
    circuit = qasm.loads('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\n'
                         'creg d[1];\nmeasure q[0] -> c[0];\nif(c==1) x q[1];\n'
                         'if(d==1) x q[0];\n')
    conditioned = [i for i in circuit.instructions if i.condition is not None]
    assert [condition_label(i.condition, circuit) for i in conditioned] == ["c==1", "d==1"]
    qc = QuantumCircuit(2, 3)
    qc.x(1).c_if(2, 1)
    assert condition_label(qc.instructions[0].condition, qc) == "c[2]==1"


def test_text_drawing_rounds_parameters_and_puts_a_condition_after_its_measurement():
    qc = QuantumCircuit(2, 1)
    qc.rx(0.134364244112, 0)
    qc.measure(0, 0)
    qc.x(1).c_if(0, 1)  # on a wire the measurement does not touch
    lines = qc.draw().splitlines()
    assert "Rx(0.1344)" in lines[0] and "0.13436" not in qc.draw()
    assert "X if c==1" in lines[1]
    assert lines[1].index("X if c==1") > lines[0].index("M")
    assert "◉" in lines[2] and lines[2].index("◉") > lines[2].index("╩")
