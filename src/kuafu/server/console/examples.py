"""The composer's starting points: small OpenQASM 2 programs every user recognises."""

from __future__ import annotations

_HEADER = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'

EXAMPLES: dict[str, str] = {
    "Bell": _HEADER + """qreg q[2];
creg c[2];
h q[0];
cx q[0],q[1];
measure q -> c;
""",
    "GHZ": _HEADER + """qreg q[5];
creg c[5];
h q[0];
cx q[0],q[1];
cx q[1],q[2];
cx q[2],q[3];
cx q[3],q[4];
measure q -> c;
""",
    "QFT": _HEADER + """// quantum Fourier transform of |101> on 3 qubits
qreg q[3];
creg c[3];
x q[0];
x q[2];
h q[2];
cu1(pi/2) q[1],q[2];
cu1(pi/4) q[0],q[2];
h q[1];
cu1(pi/2) q[0],q[1];
h q[0];
swap q[0],q[2];
measure q -> c;
""",
    "Grover": _HEADER + """// Grover search for |11> on 2 qubits: one iteration finds it
qreg q[2];
creg c[2];
h q;
cz q[0],q[1];
h q;
x q;
cz q[0],q[1];
x q;
h q;
measure q -> c;
""",
}
