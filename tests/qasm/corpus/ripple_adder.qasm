// Ripple-carry adder of two 4-bit numbers (Cuccaro et al. construction), with
// user-defined gates, several registers, ccx and a final measurement.
OPENQASM 2.0;
include "qelib1.inc";
gate carry_in a, b, c { cx c, b; cx c, a; ccx a, b, c; }
gate uncarry a, b, c { ccx a, b, c; cx c, a; cx a, b; }
qreg carry[1];
qreg a[4];
qreg b[4];
qreg overflow[1];
creg sum[5];
// inputs: a = 0101, b = 0011
x a[0]; x a[2];
x b[0]; x b[1];
carry_in carry[0], b[0], a[0];
carry_in a[0], b[1], a[1];
carry_in a[1], b[2], a[2];
carry_in a[2], b[3], a[3];
cx a[3], overflow[0];
uncarry a[2], b[3], a[3];
uncarry a[1], b[2], a[2];
uncarry a[0], b[1], a[1];
uncarry carry[0], b[0], a[0];
measure b[0] -> sum[0];
measure b[1] -> sum[1];
measure b[2] -> sum[2];
measure b[3] -> sum[3];
measure overflow[0] -> sum[4];
