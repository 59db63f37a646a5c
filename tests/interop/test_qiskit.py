"""Qiskit interop: conversions both ways (Qiskit's Operator as oracle), Target, BackendV2."""

from __future__ import annotations

import math

import pytest
import qiskit
from qiskit import transpile
from qiskit.circuit import Parameter, ParameterVector
from qiskit.circuit.random import random_circuit as qiskit_random_circuit
from qiskit.quantum_info import Operator

from helpers import QELIB1_GATES, equal_up_to_phase, random_circuit
from kuafu import backends
from kuafu.circuit import unitary
from kuafu.interop.qiskit import KuafuBackend, from_qiskit, target_from_device, to_qiskit


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_kuafu_to_qiskit_keeps_the_operator(n, rng):
    for _ in range(3):
        qc = random_circuit(n, 25, rng)  # every library gate, sy/sydg included
        assert equal_up_to_phase(Operator(to_qiskit(qc)).data, unitary(qc))


@pytest.mark.parametrize("seed", range(6))
def test_qiskit_to_kuafu_keeps_the_operator(seed):
    qc = qiskit_random_circuit(4, 8, max_operands=3, seed=seed)
    assert equal_up_to_phase(unitary(from_qiskit(qc)), Operator(qc).data)


def test_round_trip_is_exact_for_library_gates(rng):
    qc = random_circuit(3, 30, rng, gates=QELIB1_GATES, measure=True)
    assert from_qiskit(to_qiskit(qc)) == qc


def test_registers_measurements_and_parameters_survive():
    theta = ParameterVector("θ", 2)
    phi = Parameter("phi")
    qr, cr, extra = (qiskit.QuantumRegister(2, "a"), qiskit.ClassicalRegister(2, "m"),
                     qiskit.ClassicalRegister(1, "flag"))
    qc = qiskit.QuantumCircuit(qr, cr, extra)
    qc.rx(2 * theta[0] + 1, 0)
    qc.ry(phi.sin() * theta[1], 1)
    qc.cx(0, 1)
    qc.delay(2, 0, unit="us")
    qc.measure([0, 1], [0, 1])
    qc.measure(1, 2)
    k = from_qiskit(qc)
    assert [(r.name, r.size) for r in k.qregs] == [("a", 2)]
    assert [(r.name, r.size) for r in k.cregs] == [("m", 2), ("flag", 1)]
    assert [p.name for p in k.parameters] == ["phi", "θ_0_", "θ_1_"]
    assert next(i for i in k.instructions if i.name == "delay").params == (2000.0,)
    values = [0.3, -0.4, 1.2]
    ours = k.bind(values)
    back = to_qiskit(k).assign_parameters(values)
    theirs = qc.assign_parameters(dict(zip(qc.parameters, values, strict=True)))
    gates = [i for i in ours.instructions if i.name in ("rx", "ry")]
    assert [float(i.params[0]) for i in gates] == pytest.approx(
        [float(d.operation.params[0]) for d in theirs.data if d.operation.name in ("rx", "ry")])
    assert back.num_parameters == 0


def test_control_flow_is_refused():
    qc = qiskit.QuantumCircuit(1, 1)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)):
        qc.x(0)
    with pytest.raises(ValueError, match="control flow"):
        from_qiskit(qc)


def test_target_mirrors_the_device():
    device = backends.get("ScQ-P18").device
    target = target_from_device(device)
    assert target.num_qubits == 18
    edges = set(target.build_coupling_map("cz").get_edges())
    assert edges == {(a, b) for a, b in device.couplers} | {(b, a) for a, b in device.couplers}
    a, b = device.couplers[0]
    assert target["cz"][(a, b)].error == pytest.approx(1 - device.coupler_fidelity(a, b))
    assert target["cz"][(a, b)].duration == pytest.approx(60e-9)
    assert target["sx"][(2,)].error == pytest.approx(1 - device.qubit_calibration[2].fidelity_1q)
    assert target["rz"][(2,)].error == 0
    assert target["measure"][(5,)].error == pytest.approx(
        1 - device.qubit_calibration[5].readout_fidelity)


def test_transpile_and_run_on_a_local_chip():
    backend = KuafuBackend("ScQ-P10")
    qc = qiskit.QuantumCircuit(3, 3)
    qc.h(0)
    qc.cx(0, 1)
    qc.cx(1, 2)
    qc.measure(range(3), range(3))
    compiled = transpile(qc, backend, seed_transpiler=1)
    assert compiled.num_qubits == 10
    assert set(compiled.count_ops()) <= set(backend.target.operation_names)
    result = backend.run([compiled, qc], shots=1000, seed=5).result()
    for counts in (result.get_counts(0), result.get_counts(1)):
        assert sum(counts.values()) == 1000
        assert counts.get("000", 0) + counts.get("111", 0) > 850


def test_counts_are_formatted_per_register_as_qiskit_does():
    backend = KuafuBackend("ScQ-P10")
    qc = qiskit.QuantumCircuit(qiskit.QuantumRegister(2, "q"), qiskit.ClassicalRegister(1, "a"),
                               qiskit.ClassicalRegister(2, "b"))
    qc.x(1)
    qc.measure(1, 0)
    qc.measure([0, 1], [1, 2])
    counts = backend.run(qc, shots=200, seed=1).result().get_counts()
    assert max(counts, key=counts.get) == "10 1"


def test_run_options():
    backend = KuafuBackend("ScQ-P10")
    qc = qiskit.QuantumCircuit(1, 1)
    qc.measure(0, 0)
    with pytest.raises(ValueError, match="unknown run options"):
        backend.run(qc, shots=10, colour="red")
    job = backend.run(qc, shots=10, seed=1, compile=True)
    assert job.status().name == "DONE"
    assert sum(job.result().get_counts().values()) == 10


def test_parametric_rotation_probabilities_match_exact():
    theta = Parameter("t")
    qc = qiskit.QuantumCircuit(1, 1)
    qc.ry(theta, 0)
    qc.measure(0, 0)
    backend = KuafuBackend("ScQ-P10")
    circuits = transpile([qc.assign_parameters([a]) for a in (0.5, 2.0)], backend)
    result = backend.run(circuits, shots=4000, seed=3).result()
    for i, a in enumerate((0.5, 2.0)):
        assert result.get_counts(i).get("1", 0) / 4000 == pytest.approx(
            math.sin(a / 2) ** 2, abs=0.04)


def test_qiskit_backend_primitives_run_on_a_kuafu_chip():
    """Qiskit's own BackendEstimatorV2 and BackendSamplerV2 (they need `memory`)."""
    from qiskit.primitives import BackendEstimatorV2, BackendSamplerV2
    from qiskit.quantum_info import SparsePauliOp

    backend = KuafuBackend("ScQ-P10")
    qc = qiskit.QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    compiled = transpile(qc, backend, seed_transpiler=1)
    obs = SparsePauliOp(["ZZ", "XX"]).apply_layout(compiled.layout)
    estimator = BackendEstimatorV2(backend=backend, options={"default_precision": 0.02,
                                                             "seed_simulator": 3})
    ev = estimator.run([(compiled, obs)]).result()[0].data.evs
    assert 1.7 < float(ev) <= 2.0
    measured = qc.copy()
    measured.measure_all()
    sampler = BackendSamplerV2(backend=backend, options={"seed_simulator": 2})
    counts = sampler.run([transpile(measured, backend, seed_transpiler=1)],
                         shots=400).result()[0].data.meas.get_counts()
    assert sum(counts.values()) == 400 and counts["00"] + counts["11"] > 360
    memory = backend.run(measured, shots=50, seed=1, memory=True).result().get_memory()
    assert len(memory) == 50 and set(memory) <= {"00", "01", "10", "11"}
