// The Bell state (|00> + |11>)/sqrt(2), measured: expect about half 00 and half 11.
// kuafu submit examples/bell.qasm --backend ScQ-P10 --shots 1000 --wait
OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
cx q[0],q[1];
measure q -> c;
