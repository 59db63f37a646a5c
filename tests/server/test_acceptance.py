"""Every program the server accepts is one its worker runs, and the reverse.

The server's submission check (`execution.validate`) and the backends' runs apply one
rule, `kuafu.compiler.check_circuit`; the server adds only its own policy (a program
must measure something, and fit the width and cost limits). Here random programs over
the whole gate library, with conditions, resets, delays, barriers, opaque gates and
uncompiled circuits on pairs without a coupler, go to both, on every backend.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from kuafu import backends, qasm
from kuafu.circuit import GATES, QuantumCircuit
from kuafu.circuit.instruction import Condition
from kuafu.errors import KuafuError
from kuafu.server.errors import InvalidRequest
from kuafu.server.services import execution

LOCAL = [name for name in backends.available()
         if not isinstance(backends.get(name), backends.RemoteDevice)]
"""Every backend that runs here (a real chip's runs wait for its device agent)."""
KINDS = ["gate"] * 6 + ["condition", "reset", "delay", "barrier", "opaque", "measure"]
ANGLES = [0.0, math.pi / 2, 0.3]


def random_program(rng: np.random.Generator, num_qubits: int,
                   gates: list[str]) -> QuantumCircuit:
    """Up to eight random operations, then at least one measurement."""
    qc = QuantumCircuit(num_qubits, num_qubits)
    if rng.random() < 0.3:
        qc.declare_opaque("magic", 0, 1)
    usable = [g for g in gates if GATES[g].num_qubits <= num_qubits]
    for _ in range(int(rng.integers(0, 9))):
        kind = KINDS[rng.integers(len(KINDS))]
        q = int(rng.integers(num_qubits))
        if kind in ("gate", "condition"):
            spec = GATES[usable[rng.integers(len(usable))]]
            qubits = [int(x) for x in rng.choice(num_qubits, spec.num_qubits, replace=False)]
            params = [float(x) for x in rng.choice(ANGLES, spec.num_params)]
            qc.append(spec.name, qubits, params,
                      condition=condition(rng, num_qubits) if kind == "condition" else None)
        elif kind == "reset":
            qc.append("reset", [q], condition=condition(rng, num_qubits, 0.3))
        elif kind == "delay":
            qc.delay(float(rng.integers(0, 100)), q)
        elif kind == "barrier":
            size = int(rng.integers(1, num_qubits + 1))
            qc.barrier(*[int(x) for x in rng.choice(num_qubits, size, replace=False)])
        elif kind == "opaque" and "magic" in qc.opaque_gates:
            qc.append("magic", [q])
        elif kind == "measure":
            qc.append("measure", [q], clbits=[int(rng.integers(num_qubits))],
                      condition=condition(rng, num_qubits, 0.3))
    qc.measure(list(range(num_qubits)), list(range(num_qubits)))
    return qc


def condition(rng: np.random.Generator, num_clbits: int,
              chance: float = 1.0) -> Condition | None:
    """A condition on the whole register (what OpenQASM 2 writes), with `chance`."""
    if rng.random() >= chance:
        return None
    return Condition(tuple(range(num_clbits)), int(rng.integers(2 ** num_clbits)))


def accepted(text: str, backend: str, compile: bool) -> bool:
    try:
        execution.validate(text, backend, compile)
    except InvalidRequest:
        return False
    return True


def runs(text: str, backend: str, compile: bool) -> bool:
    try:
        backends.get(backend).run(qasm.loads(text), shots=10, compile=compile, seed=1)
    except KuafuError:
        return False
    return True


@pytest.mark.parametrize("backend", LOCAL)
def test_the_server_accepts_exactly_what_the_backend_runs(backend):
    rng = np.random.default_rng(sum(map(ord, backend)))
    device = backends.get(backend).device
    outcomes = {True: 0, False: 0}
    for _ in range(80):
        compile = device is None or bool(rng.random() < 0.5)
        native = device is not None and not compile and rng.random() < 0.8
        gates = sorted(device.native_gates & set(GATES)) if native else sorted(GATES)
        text = qasm.dumps(random_program(rng, int(rng.integers(1, 5)), gates))
        ok = accepted(text, backend, compile)
        assert ok == runs(text, backend, compile), (backend, compile, text)
        outcomes[ok] += 1
    assert min(outcomes.values()) >= 3  # both sides of the rule were exercised


HEADER = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'


@pytest.mark.parametrize("body,compile,runnable", [
    ("qreg q[2];\ncreg c[2];\nh q[0];\nmeasure q[0] -> c[0];\n"
     "if(c==1) measure q[1] -> c[1];\n", True, True),
    ("qreg q[2];\ncreg c[2];\nx q[1];\nh q[0];\nmeasure q[0] -> c[0];\n"
     "if(c==1) reset q[1];\nmeasure q[1] -> c[1];\n", True, True),
    ("qreg q[2];\ncreg c[2];\ndelay(40ns) q[0];\nid q[1];\nmeasure q -> c;\n", False, True),
    ("opaque magic a;\nqreg q[1];\ncreg c[1];\nmagic q[0];\nmeasure q -> c;\n", True, False),
    ("qreg q[3];\ncreg c[3];\ncz q[0],q[2];\nmeasure q -> c;\n", False, False),
    ("qreg q[3];\ncreg c[3];\nccx q[0],q[1],q[2];\nmeasure q -> c;\n", False, False),
])
@pytest.mark.parametrize("backend", ["simulator", "ScQ-P10"])
def test_named_cases(backend, body, compile, runnable):
    if backend == "simulator" and "magic" not in body:
        runnable = True  # all-to-all, every library gate
    text = HEADER + body
    assert accepted(text, backend, compile) == runnable
    assert runs(text, backend, compile) == runnable


def test_a_program_that_measures_nothing_is_the_servers_own_refusal():
    text = HEADER + "qreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\n"
    with pytest.raises(InvalidRequest) as refused:
        execution.validate(text, "ScQ-P10", True)
    assert refused.value.code == "no_measurement"
    assert runs(text, "ScQ-P10", True)  # the backend would run it, for empty counts
