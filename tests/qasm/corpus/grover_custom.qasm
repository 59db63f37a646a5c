// Grover search over 3 qubits with nested parameterised gate definitions,
// cswap, and expressions with functions.
OPENQASM 2.0;
include "qelib1.inc";
gate layer(theta, phi) a, b {
  ry(theta) a;
  rz(-phi / 2 + pi) b;
  cx a, b;
}
gate block(theta) a, b, c {
  layer(theta, 2 * theta) a, b;
  layer(sin(theta) ^ 2, sqrt(theta)) b, c;
  cswap a, b, c;
}
gate oracle a, b, c { h c; ccx a, b, c; h c; }
gate diffuse a, b, c { h a; h b; h c; x a; x b; x c; h c; ccx a, b, c; h c; x a; x b; x c; h a; h b; h c; }
qreg q[3];
qreg anc[1];
creg r[3];
h q;
oracle q[0], q[1], q[2];
diffuse q[0], q[1], q[2];
block(0.7) q[2], anc[0], q[0];
crz(pi/3) anc[0], q[1];
cu3(0.1, 0.2, 0.3) q[1], anc[0];
rzz(0.25) q[0], q[2];
rxx(-0.5) q[1], q[2];
csx q[0], anc[0];
cu(0.4, 0.5, 0.6, 0.7) anc[0], q[2];
c3sqrtx q[0], q[1], q[2], anc[0];
rccx q[0], q[1], anc[0];
measure q -> r;
