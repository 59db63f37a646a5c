"""Hostile programs: each is refused with a QasmError naming the problem, in bounded memory.

How fast each is refused is measured by `benchmarks/bench_qasm.py --hostile` (timed
assertions do not belong in tests)."""

from __future__ import annotations

import resource

import pytest

from kuafu import qasm
from kuafu.errors import QasmError
from kuafu.qasm import Limits

HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'


def exponential_definitions(levels: int) -> str:
    lines = [HEAD, "gate g0 a { h a; }"]
    lines += [f"gate g{i} a {{ g{i - 1} a; g{i - 1} a; }}" for i in range(1, levels + 1)]
    return "\n".join(lines) + f"\nqreg q[1];\ng{levels} q[0];\n"


def chained_definitions(levels: int) -> str:
    lines = [HEAD, "gate g0 a { h a; }"]
    lines += [f"gate g{i} a {{ g{i - 1} a; }}" for i in range(1, levels + 1)]
    return "\n".join(lines) + f"\nqreg q[1];\ng{levels} q[0];\n"


HOSTILE = {
    "huge register": (HEAD + "qreg q[100000000];", "limit is 4096"),
    "absurd register digits": (HEAD + "qreg q[" + "9" * 5000 + "];", "too large"),
    "exponential gate expansion": (exponential_definitions(60), "expands to more than"),
    "deeply chained definitions": (chained_definitions(5000), "nest deeper"),
    "deep parentheses": (HEAD + "qreg q[1];\nrx(" + "(" * 100000 + "1" + ")" * 100000
                         + ") q[0];", "nests deeper"),
    "deep unary minus": (HEAD + "qreg q[1];\nrx(" + "-" * 100000 + "1) q[0];", "nests deeper"),
    "power tower": (HEAD + "qreg q[1];\nrx(" + "9^" * 50 + "9) q[0];", "out of range"),
    "include system file": (HEAD + 'include "/etc/shadow";', "cannot include"),
    "NaN from expression": (HEAD + "gate g(a) x { rx(a-a/0*0) x; }\nqreg q[1];\ng(1) q[0];",
                            "division by zero"),
    "unterminated comment": (HEAD + "/*" + "x" * 1_000_000, "never closed"),
    "binary garbage": (HEAD + "\x00\x01\x02", "unexpected character"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_program_is_refused(name):
    program, message = HOSTILE[name]
    with pytest.raises(QasmError, match=message) as info:
        qasm.loads(program)
    assert info.value.line >= 1 and info.value.column >= 1


def test_too_many_operations_is_refused_before_memory_grows():
    program = HEAD + "qreg q[2];\n" + "h q;\n" * 120_000  # 240k operations
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(QasmError, match="more than 100000 operations") as info:
        qasm.loads(program, limits=Limits(max_operations=100_000))
    assert info.value.line == 4 + 50_000
    growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert growth_mb < 400


def test_source_size_limit():
    with pytest.raises(QasmError, match="exceeds the limit"):
        qasm.loads(HEAD + " " * 2000, limits=Limits(max_source_chars=1000))


def test_qubit_limit_is_configurable():
    qasm.loads(HEAD + "qreg q[10];", limits=Limits(max_qubits=10))
    with pytest.raises(QasmError, match="11 qubits; the limit is 10"):
        qasm.loads(HEAD + "qreg q[10];\nqreg r[1];", limits=Limits(max_qubits=10))


def test_nested_definitions_within_limits_still_work():
    circuit = qasm.loads(exponential_definitions(10))
    assert len(circuit.instructions) == 2**10
