"""A corpus of malformed and hostile OpenQASM programs, each with why it is hostile."""

from __future__ import annotations

HEADER = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\n'


def _doubling_gates(levels: int) -> str:
    """Each gate calls the one before twice: 2**levels operations from a few lines."""
    lines = ["gate g0 a { x a; }"]
    lines += [f"gate g{i} a {{ g{i - 1} a; g{i - 1} a; }}" for i in range(1, levels + 1)]
    return HEADER + "\n".join(lines) + f"\ng{levels} q[0];\n"


def corpus() -> dict[str, str]:
    """Name -> program text. Every one must be refused with a 4xx naming the problem."""
    nested = "(" * 100_000 + "1" + ")" * 100_000
    return {
        "recursive gate": HEADER + "gate g a { g a; }\ng q[0];\n",
        "mutually recursive gates": HEADER + "gate f a { h a; }\ngate g a { f a; g a; }\n"
                                             "g q[0];\n",
        "exponential gate expansion": _doubling_gates(40),
        "hundred million qubits": 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[100000000];\n'
                                  "h q;\n",
        "huge register index": HEADER + "x q[99999999999999999999999999];\n",
        "ten megabytes of gates": HEADER + "x q[0];\n" * 1_300_000,
        "include of a system file": 'OPENQASM 2.0;\ninclude "/etc/passwd";\nqreg q[1];\n',
        "include of a relative path": 'OPENQASM 2.0;\ninclude "../../etc/shadow";\nqreg q[1];\n',
        "nan angle": HEADER + "rx(nan) q[0];\nmeasure q -> c;\n",
        "infinite angle": HEADER + "rx(1e999) q[0];\nmeasure q -> c;\n",
        "division by zero": HEADER + "rx(1/0) q[0];\nmeasure q -> c;\n",
        "inf minus inf": HEADER + "rx(1e999-1e999) q[0];\nmeasure q -> c;\n",
        "hundred thousand nested parentheses": HEADER + f"rx({nested}) q[0];\n",
        "deep unary minus": HEADER + "rx(" + "-" * 100_000 + "1) q[0];\n",
        "long identifier": HEADER + "qreg " + "a" * 500_000 + "[1];\n",
        "null bytes": HEADER + "h q[0];\x00\x00\nmeasure q -> c;\n",
        "lone surrogate": HEADER + "// \ud800\nh q[0];\n",
        "no version line": "qreg q[2];\nh q[0];\n",
        "empty program": "",
        "gate with a thousand parameters": HEADER + "U(" + ",".join(["1"] * 1000) + ") q[0];\n",
        "measure into a missing register": HEADER + "measure q -> nothere;\n",
        "zero-size register": 'OPENQASM 2.0;\nqreg q[0];\n',
        "opaque gate used": HEADER + "opaque magic a;\nmagic q[0];\n",
        "qubit reused in one gate": HEADER + "cx q[0],q[0];\n",
        "many registers": 'OPENQASM 2.0;\n' + "".join(f"qreg r{i}[1];\n" for i in range(50_000)),
    }


#: Non-UTF-8 request bodies: sent as raw bytes with a JSON content type.
RAW_BODIES = {
    "latin-1 bytes in json": b'{"qasm": "OPENQASM 2.0;\xff\xfe qreg q[1];", "backend": "ScQ-P10"}',
    "truncated json": b'{"qasm": "OPENQASM 2.0;',
    "deeply nested json": b'{"qasm": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "utf-16 body": '{"qasm": "x", "backend": "ScQ-P10"}'.encode("utf-16"),
}
