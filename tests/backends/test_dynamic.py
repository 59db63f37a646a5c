"""Dynamic circuits (mid-circuit measurement, reset, classical conditions) on every chip.

Each runs with the chip's noise and must land near the noiseless reference (total
variation distance), with the noise visible: conditions stim cannot express with noise
go to the dense engines with the full noise model (issue 21, item 3).
"""

from __future__ import annotations

import pytest

from kuafu import backends, qasm
from kuafu.circuit import QuantumCircuit
from kuafu.sim import simulate

CHIPS = ["ScQ-P10", "ScQ-P18", "ScQ-P136"]
SHOTS = 2000

HEADER = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'

CONDITIONED = HEADER + """qreg q[2];
creg c[2];
h q[0];
measure q[0] -> c[0];
if(c==1) x q[1];
measure q[1] -> c[1];
"""

PROGRAMS = {
    "condition": CONDITIONED,
    "condition-t": CONDITIONED.replace("h q[0];", "h q[0];\nt q[0];"),
    "reset": HEADER + """qreg q[2];
creg c[3];
x q[0];
cx q[0],q[1];
measure q[0] -> c[0];
reset q[0];
measure q[0] -> c[1];
measure q[1] -> c[2];
""",
    "register-condition": HEADER + """qreg q[3];
creg m[2];
creg out[1];
h q[0];
h q[1];
measure q[0] -> m[0];
measure q[1] -> m[1];
if(m==3) x q[2];
ry(0.4) q[2];
measure q[2] -> out[0];
""",
    "teleport": HEADER + """qreg q[3];
creg a[1];
creg b[1];
creg out[1];
ry(1.1) q[0];
h q[1];
cx q[1],q[2];
cx q[0],q[1];
h q[0];
measure q[0] -> a[0];
measure q[1] -> b[0];
if(b==1) x q[2];
if(a==1) z q[2];
measure q[2] -> out[0];
""",
}


def _tvd(counts: dict[str, int], reference: dict[str, int]) -> float:
    n, m = sum(counts.values()), sum(reference.values())
    keys = set(counts) | set(reference)
    return 0.5 * sum(abs(counts.get(k, 0) / n - reference.get(k, 0) / m) for k in keys)


def _reference(circuit: QuantumCircuit) -> dict[str, int]:
    return simulate(circuit, 20_000, seed=11).counts


@pytest.mark.parametrize("chip", CHIPS)
@pytest.mark.parametrize("name", list(PROGRAMS))
def test_dynamic_circuits_run_on_every_chip_with_noise(chip, name):
    circuit = qasm.loads(PROGRAMS[name])
    result = backends.get(chip).run(circuit, shots=SHOTS, seed=5)
    assert sum(result.counts.values()) == SHOTS
    reference = _reference(circuit)
    assert _tvd(result.counts, reference) < 0.08, (result.counts, reference)
    assert result.method


@pytest.mark.parametrize("chip", CHIPS)
def test_noise_is_visible_on_a_conditioned_circuit(chip):
    """Readout errors alone put a few percent of shots outside {00, 11}."""
    result = backends.get(chip).run(qasm.loads(CONDITIONED), shots=SHOTS, seed=2)
    stray = result.counts.get("01", 0) + result.counts.get("10", 0)
    assert 0 < stray < 0.1 * SHOTS, result.counts


def test_c_if_from_the_builder_runs_on_a_chip():
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.measure(0, 0)
    qc.x(1).c_if(0, 1)
    qc.measure(1, 1)
    result = backends.get("ScQ-P10").run(qc, shots=SHOTS, seed=3)
    assert _tvd(result.counts, {"00": 1, "11": 1}) < 0.08, result.counts


def test_same_seed_same_counts_for_a_dynamic_circuit():
    backend = backends.get("ScQ-P18")
    circuit = qasm.loads(PROGRAMS["condition-t"])
    a = backend.run(circuit, shots=500, seed=9).counts
    assert a == backend.run(circuit, shots=500, seed=9).counts



def test_a_wide_dynamic_circuit_runs_on_scq_p136_as_a_noisy_mps():
    """32 qubits with a condition: too wide for the dense engines, not stim with noise."""
    n = 32
    qc = QuantumCircuit(n, n)
    qc.h(0)
    for q in range(n - 2):
        qc.cx(q, q + 1)
    qc.measure(n - 2, n - 2)
    qc.x(n - 1).c_if(n - 2, 1)
    qc.measure(list(range(n)), list(range(n)))
    result = backends.get("ScQ-P136").run(qc, shots=300, seed=1)
    assert result.method == "mps"
    top = sorted(result.counts, key=result.counts.get, reverse=True)[:2]
    assert set(top) == {"0" * n, "1" * n}, result.counts
