"""The OpenQASM 2.0 reader: the whole language, and precise errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kuafu import qasm
from kuafu.circuit import Condition, QuantumCircuit, unitary
from kuafu.errors import QasmError

HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'


def load(body: str) -> QuantumCircuit:
    return qasm.loads(HEAD + body)


def ops(circuit: QuantumCircuit) -> list[tuple]:
    return [(i.name, i.qubits, tuple(round(float(p), 12) for p in i.params), i.clbits)
            for i in circuit.instructions]


def test_registers_broadcasting_and_measure():
    c = load("qreg a[2]; qreg b[2]; creg m[2];\nh a;\ncx a,b;\ncx a[0],b;\nmeasure b -> m;\n")
    assert [r.name for r in c.qregs] == ["a", "b"]
    assert ops(c) == [
        ("h", (0,), (), ()), ("h", (1,), (), ()),
        ("cx", (0, 2), (), ()), ("cx", (1, 3), (), ()),
        ("cx", (0, 2), (), ()), ("cx", (0, 3), (), ()),
        ("measure", (2,), (), (0,)), ("measure", (3,), (), (1,)),
    ]


def test_builtin_u_and_cx_work_without_qelib1():
    c = qasm.loads("OPENQASM 2.0;\nqreg q[2];\nU(pi/2,0,pi) q[0];\nCX q[0],q[1];\n")
    assert ops(c) == [("u3", (0,), (round(math.pi / 2, 12), 0.0, round(math.pi, 12)), ()),
                      ("cx", (0, 1), (), ())]


def test_expressions_follow_precedence_and_functions():
    c = load("qreg q[1];\n"
             "rz(-pi/2 + 3*2^2 - -1) q[0];\n"
             "rz(sin(pi/6)*cos(0)+tan(0)+exp(0)+ln(1)+sqrt(4)) q[0];\n"
             "rz(2^3^2) q[0];\nrz(-2^2) q[0];\nrz(1.5e-3) q[0];\nrz(.5) q[0];\n")
    values = [float(i.params[0]) for i in c.instructions]
    assert values == pytest.approx([-math.pi / 2 + 12 + 1, 0.5 + 1 + 2, 512, -4, 1.5e-3, 0.5])


def test_gate_definitions_nest_with_parameters():
    c = load("gate inner(a) x { rx(a) x; }\n"
             "gate outer(a, b) x, y { inner(a*2) x; cx x, y; inner(-b) y; barrier x, y; }\n"
             "qreg q[2];\nouter(0.25, pi) q[1], q[0];\n")
    assert ops(c) == [("rx", (1,), (0.5,), ()), ("cx", (1, 0), (), ()),
                      ("rx", (0,), (round(-math.pi, 12),), ()), ("barrier", (1, 0), (), ())]


def test_gate_definition_can_shadow_a_library_gate_of_the_same_shape():
    c = load("gate rzz(t) a, b { cx a, b; rz(t) b; cx a, b; }\nqreg q[2];\nrzz(0.3) q[0], q[1];\n")
    assert [i.name for i in c.instructions] == ["cx", "rz", "cx"]


def test_gates_beyond_the_specifications_qelib1_may_be_redefined_after_including_it():
    """`cu`, `rzz`, `sy`... are Kuafu's (and Qiskit's) additions; old files define them."""
    c = load("gate rzz(t) a, b { cx a, b; }\ngate sy a { x a; }\ngate cu c, t { h t; }\n"
             "qreg q[2];\nrzz(1) q[0], q[1];\nsy q[0];\ncu q[0], q[1];\n")
    assert [i.name for i in c.instructions] == ["cx", "x", "h"]


def test_a_specification_gate_may_still_be_defined_without_qelib1_or_declared_opaque():
    c = qasm.loads("OPENQASM 2.0;\ngate h a { U(pi/2, 0, pi) a; }\nqreg q[1];\nh q[0];\n")
    assert [i.name for i in c.instructions] == ["u3"]
    c = load("opaque h a;\nqreg q[1];\nh q[0];\n")
    assert [i.name for i in c.instructions] == ["h"] and c.opaque_gates == {}


def test_redefining_a_specification_gate_is_an_error_in_qiskit_too():
    from qiskit import qasm2

    with pytest.raises(qasm2.QASM2ParseError, match="'h' is already defined"):
        qasm2.loads(HEAD + "gate h a { x a; }")
    for name in sorted(qasm.reader.QELIB1_SPEC_GATES):
        with pytest.raises(QasmError, match=f"'{name}' is already defined"):
            load(f"gate {name} a {{ U(0, 0, 0) a; }}")


def test_a_program_may_redefine_a_library_gate_with_another_signature():
    """QASMBench's ipea_n2 and pea_n5 define `gate cu c,t` for the old qelib1.inc."""
    c = load("qreg q[2];\ngate cu c, t { cx c, t; h t; }\ncu q[0], q[1];\ncu3(1,2,3) q[0], q[1];\n")
    assert [i.name for i in c.instructions] == ["cx", "h", "cu3"]


def test_opaque_gates_are_kept_as_declared_instructions():
    c = load("opaque pulse(a, b) x, y;\nqreg q[2];\npulse(1, 2) q[0], q[1];\n")
    assert c.opaque_gates == {"pulse": (2, 2)}
    assert ops(c) == [("pulse", (0, 1), (1.0, 2.0), ())]
    assert qasm.loads(qasm.dumps(c)) == c


def test_if_reset_barrier_and_comments():
    c = load("// a comment\nqreg q[2]; /* block\ncomment */ creg c[2];\n"
             "measure q[0] -> c[0];\nif (c == 1) x q[1];\nif(c==2) measure q[1] -> c[1];\n"
             "reset q;\nbarrier q[0], q;\n")
    cond = Condition((0, 1), 1)
    assert c.instructions[1].condition == cond
    assert c.instructions[2].condition == Condition((0, 1), 2)
    assert [i.name for i in c.instructions[3:]] == ["reset", "reset", "barrier"]
    assert c.instructions[-1].qubits == (0, 1)


def test_if_applies_to_every_gate_of_an_expanded_definition():
    c = load("gate two a, b { h a; cx a, b; }\nqreg q[2]; creg c[1];\nif (c==1) two q[0], q[1];\n")
    assert all(i.condition == Condition((0,), 1) for i in c.instructions)


def test_quafu_dialect_gates():
    c = load("qreg q[2];\nsy q[0];\nsydg q[1];\ndelay(100) q[0];\ndelay(2us) q[1];\n"
             "cnot q[0], q[1];\n")
    assert ops(c) == [("sy", (0,), (), ()), ("sydg", (1,), (), ()),
                      ("delay", (0,), (100.0,), ()), ("delay", (1,), (2000.0,), ()),
                      ("cx", (0, 1), (), ())]


def test_qiskit_style_opaque_delay_declaration_is_accepted():
    c = load("opaque delay(t) q;\nqreg q[1];\ndelay(5) q[0];\n")
    assert ops(c) == [("delay", (0,), (5.0,), ())]


def test_bytes_input_and_crlf_line_endings():
    c = qasm.loads((HEAD + "qreg q[1];\r\nh q[0];\r\n").encode())
    assert ops(c) == [("h", (0,), (), ())]


def test_load_resolves_includes_next_to_the_file(tmp_path):
    (tmp_path / "mygates.inc").write_text("gate bell a, b { h a; cx a, b; }\n")
    program = HEAD + 'include "mygates.inc";\nqreg q[2];\nbell q[0],q[1];\n'
    (tmp_path / "main.qasm").write_text(program)
    c = qasm.load(tmp_path / "main.qasm")
    assert [i.name for i in c.instructions] == ["h", "cx"]


def test_dump_and_load_through_files(tmp_path):
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    qasm.dump(qc, tmp_path / "bell.qasm")
    assert qasm.load(tmp_path / "bell.qasm") == qc
    with open(tmp_path / "bell.qasm") as handle:
        assert qasm.load(handle) == qc


def test_ghz_operator_is_right():
    c = load("qreg q[3];\nh q[0];\ncx q[0],q[1];\ncx q[1],q[2];\n")
    state = unitary(c)[:, 0]
    expected = np.zeros(8, dtype=complex)
    expected[0] = expected[7] = 1 / math.sqrt(2)
    np.testing.assert_allclose(state, expected, atol=1e-12)


# (program, line, column, part of the message)
MALFORMED = [
    ("OPENQASM 2.0;\nqreg q[2]\nh q[0];", 3, 1, "expected ';'"),
    ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nfoo q[0];', 4, 1, "'foo' is not defined"),
    ("OPENQASM 2.0;\nqreg q[2];\nh q[0];", 3, 1, 'include "qelib1.inc"'),
    (HEAD + "qreg q[2];\nh q[2];", 4, 5, "index 2 is out of range for q[2]"),
    (HEAD + "qreg q[2];\ncx q[0], q[0];", 4, 4, "same qubit twice"),
    (HEAD + "qreg q[2];\nrx q[0];", 4, 1, "takes 1 parameters, got 0"),
    (HEAD + "qreg q[2];\ncx q[0];", 4, 1, "acts on 2 qubits, got 1"),
    (HEAD + "qreg q[2];\nqreg q[3];", 4, 6, "already declared"),
    (HEAD + "qreg q[2];\ncreg c[1];\nmeasure q -> c;", 5, 1, "2 qubits into 1 bits"),
    (HEAD + "qreg q[2];\nqreg r[3];\ncx q, r;", 5, 4, "different sizes"),
    (HEAD + "qreg q[1];\nrx(1/0) q[0];", 4, 5, "division by zero"),
    (HEAD + "qreg q[1];\nrx(ln(0)) q[0];", 4, 4, "ln"),
    (HEAD + "qreg q[1];\nrx(sqrt(-1)) q[0];", 4, 4, "sqrt"),
    (HEAD + "qreg q[1];\nrx(10^400) q[0];", 4, 10, "out of range"),
    (HEAD + "qreg q[1];\nrx(theta) q[0];", 4, 4, "unknown identifier 'theta'"),
    (HEAD + "qreg q[1];\nrx(1+) q[0];", 4, 6, "expected a number"),
    (HEAD + "qreg q[1];\nh q[0]; @", 4, 9, "unexpected character '@'"),
    (HEAD + "qreg q[1];\n/* never closed\nh q[0];", 4, 1, "never closed"),
    (HEAD + 'include "/etc/passwd";', 3, 9, "cannot include '/etc/passwd'"),
    (HEAD + 'include "../../etc/passwd";', 3, 9, "cannot include"),
    (HEAD + '// a comment\ninclude "odd//name.inc"; /* x */', 4, 9, "cannot include 'odd//name"),
    (HEAD + "gate g a { g a; }", 3, 12, "recursive"),
    (HEAD + "gate g a { h b; }", 3, 14, "'b' is not a qubit argument"),
    (HEAD + "gate g a { measure a -> c; }", 3, 12, "not allowed inside a gate"),
    (HEAD + "gate g a { h a; }\ngate g a { x a; }", 4, 6, "already defined"),
    (HEAD + "gate h a { x a; }", 3, 6, "'h' is already defined"),
    (HEAD + "gate cu3(a, b, c) t, u { cx t, u; }", 3, 6, "'cu3' is already defined"),
    ("OPENQASM 2.0;\ngate h a { U(0, 0, 0) a; }\ninclude \"qelib1.inc\";", 3, 9,
     "defines 'h', which the program has already defined"),
    (HEAD + "gate U a { h a; }", 3, 6, "reserved"),
    (HEAD + "qreg q[1];\ncreg c[1];\nif (c == 2) x q[0];", 5, 10, "does not fit"),
    (HEAD + "qreg q[1];\nif (d == 0) x q[0];", 4, 5, "'d' is not a classical register"),
    (HEAD + "qreg q[1];\ncreg c[1];\nmeasure c -> q;", 5, 9, "'c' is not a quantum register"),
    (HEAD + "qreg q[0];", 3, 8, "at least one bit"),
    (HEAD + "qreg q[1];\nOPENQASM 2.0;", 4, 1, "first statement"),
    ("OPENQASM 4.0;", 1, 10, "version 4.0"),
    (HEAD + "qreg q[1];\nh q[0]", 4, 7, "the end of the program"),
    (HEAD + "qreg q[1];\nbarrier;", 4, 8, "expected a quantum register"),
    (HEAD + "qreg q[1]; creg c[1];\nif (c == 1) barrier q;", 4, 13, "after if"),
]


@pytest.mark.parametrize("program, line, column, message", MALFORMED)
def test_malformed_programs_name_the_problem_and_its_place(program, line, column, message):
    with pytest.raises(QasmError) as info:
        qasm.loads(program)
    error = info.value
    assert (error.line, error.column) == (line, column), str(error)
    assert message in error.message
    assert isinstance(error, ValueError)
    assert str(error).startswith(f"line {line}, column {column}: ")


def test_non_utf8_bytes_are_reported_at_their_place():
    with pytest.raises(QasmError, match="not valid UTF-8") as info:
        qasm.loads(HEAD.encode() + b"qreg q[1];\nh q[0]; \xff\xfe")
    assert (info.value.line, info.value.column) == (4, 9)


def test_nan_and_infinite_angles_are_rejected():
    for text in ("rx(10^1000) q[0];", "rx(exp(1000)) q[0];"):
        with pytest.raises(QasmError):
            load("qreg q[1];\n" + text)
    with pytest.raises(QasmError, match="finite"):
        load("gate g(a) x { rx(a*a) x; }\nqreg q[1];\ng(1e200) q[0];")
