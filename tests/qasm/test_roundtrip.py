"""Property-based tests: circuits round-trip through OpenQASM; garbage only raises QasmError."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kuafu import qasm
from kuafu.circuit import (
    GATES,
    ClassicalRegister,
    Condition,
    QuantumCircuit,
    QuantumRegister,
)
from kuafu.errors import QasmError

GATE_NAMES = sorted(GATES)
angles = st.one_of(
    st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False),
    st.sampled_from([math.pi, -math.pi / 2, 3 * math.pi / 4, 0.0, 1e-300, 5e-324]),
)


@st.composite
def circuits(draw) -> QuantumCircuit:
    qsizes = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    csizes = draw(st.lists(st.integers(1, 3), min_size=0, max_size=2))
    regs = [QuantumRegister(f"q{i}", n) for i, n in enumerate(qsizes)]
    regs += [ClassicalRegister(f"c{i}", n) for i, n in enumerate(csizes)]
    qc = QuantumCircuit(*regs)
    for _ in range(draw(st.integers(0, 25))):
        kind = draw(st.sampled_from(["gate", "gate", "gate", "measure", "reset", "barrier",
                                     "delay", "if"]))
        if kind in ("gate", "if"):
            names = [g for g in GATE_NAMES if GATES[g].num_qubits <= qc.num_qubits]
            spec = GATES[draw(st.sampled_from(names))]
            qubits = draw(st.permutations(range(qc.num_qubits)))[: spec.num_qubits]
            params = [draw(angles) for _ in range(spec.num_params)]
            condition = None
            if kind == "if" and qc.cregs:
                reg = draw(st.sampled_from(qc.cregs))
                offset = qc.register_offset(reg)
                condition = Condition(tuple(range(offset, offset + reg.size)),
                                      draw(st.integers(0, 2**reg.size - 1)))
            qc.append(spec.name, qubits, params, condition=condition)
        elif kind == "measure" and qc.num_clbits:
            qc.measure(draw(st.integers(0, qc.num_qubits - 1)),
                       draw(st.integers(0, qc.num_clbits - 1)))
        elif kind == "reset":
            qc.reset(draw(st.integers(0, qc.num_qubits - 1)))
        elif kind == "barrier":
            qc.barrier(*draw(st.lists(st.integers(0, qc.num_qubits - 1), min_size=1,
                                      max_size=3, unique=True)))
        elif kind == "delay":
            qc.delay(draw(st.floats(0, 1e6, allow_nan=False)), draw(
                st.integers(0, qc.num_qubits - 1)))
    return qc


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(circuits())
def test_write_then_read_gives_the_same_circuit(circuit):
    text = qasm.dumps(circuit)
    again = qasm.loads(text)
    assert again == circuit
    assert qasm.dumps(again) == text


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=400))
def test_byte_soup_raises_only_qasm_error(data):
    try:
        qasm.loads(data)
    except QasmError as error:
        assert error.line >= 1 and error.column >= 1


TOKENS = ["OPENQASM", "2.0", ";", 'include "qelib1.inc"', "qreg", "creg", "q", "c", "[", "]",
          "0", "1", "3", "(", ")", ",", "->", "==", "gate", "opaque", "{", "}", "if",
          "measure", "reset", "barrier", "h", "cx", "u3", "rx", "pi", "+", "-", "*", "/", "^",
          "sin", "g", "a", "b", "\n", " ", "//c\n", "1e308", "ccx", "U", "CX"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=60))
def test_token_soup_raises_only_qasm_error(tokens):
    """Plausible-looking token sequences probe the parser, not just the lexer."""
    text = " ".join(tokens)
    try:
        qasm.loads(text)
    except QasmError as error:
        assert error.line >= 1 and error.column >= 1


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_text_soup_after_a_valid_header_raises_only_qasm_error(text):
    try:
        qasm.loads('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\ncreg c[3];\n' + text)
    except QasmError as error:
        assert error.line >= 1
