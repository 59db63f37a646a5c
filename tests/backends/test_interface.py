import pytest

from helpers import bell
from kuafu import backends, devices
from kuafu.backends import Backend, BackendResult, EmulatedBackend
from kuafu.circuit import QuantumCircuit
from kuafu.devices import DeviceStatus
from kuafu.errors import CircuitTooWideError, CompileError


def test_registry_lists_builtins_and_every_device():
    names = backends.available()
    assert names[:1] == ["simulator"]
    assert {"ScQ-P10", "ScQ-P18", "ScQ-P136"} <= set(names)
    for name in names:
        backend = backends.get(name)
        assert isinstance(backend, Backend) and backend.name == name
    with pytest.raises(ValueError, match="unknown backend 'ScQ-P999'"):
        backends.get("ScQ-P999")


def test_chip_backend_exposes_device_and_status():
    backend = backends.get("ScQ-P18")
    assert backend.device is devices.get("ScQ-P18") and backend.target is backend.device
    assert backend.num_qubits == 18
    status = backend.status()
    assert status.status is DeviceStatus.ONLINE and status.operational


def test_ideal_simulator_counts_use_clbit0_rightmost():
    qc = QuantumCircuit(3, 3)
    qc.x(0)
    qc.measure([0, 1, 2], [0, 1, 2])
    result = backends.get("simulator").run(qc, shots=50, seed=1)
    assert isinstance(result, BackendResult)
    assert result.counts == {"001": 50}
    assert result.shots == 50 and result.seed == 1


def test_noiseless_emulator_compiles_and_maps():
    backend = EmulatedBackend(devices.get("ScQ-P18"), noisy=False)
    result = backend.run(bell(), shots=400, seed=3)
    assert set(result.counts) <= {"00", "11"} and sum(result.counts.values()) == 400
    assert 100 < result.counts.get("00", 0) < 300
    assert set(result.initial_mapping) == {0, 1}
    assert len(result.physical_qubits) == 18
    assert result.metadata["compiler"]["twoq_after"] == 1
    assert {"compile", "simulate", "total"} <= set(result.timings)
    assert result.to_dict()["initial_mapping"].keys() == {"0", "1"}


def test_same_seed_same_counts():
    backend = EmulatedBackend(devices.get("ScQ-P10"), noisy=False)
    a = backend.run(bell(), shots=100, seed=11)
    b = backend.run(bell(), shots=100, seed=11)
    assert a.counts == b.counts and a.initial_mapping == b.initial_mapping


def test_compile_off_names_the_first_offending_gate():
    backend = EmulatedBackend(devices.get("ScQ-P10"), noisy=False)
    qc = QuantumCircuit(4, 1)
    qc.h(0)
    qc.cz(0, 1)
    qc.cz(1, 3)
    with pytest.raises(CompileError, match=r"instruction 2 \(cz on Q2, Q4\).*no coupler"):
        backend.run(qc, 10, compile=False)
    qc = QuantumCircuit(2)
    qc.cp(0.3, 0, 1)
    with pytest.raises(CompileError, match="'cp' is not a native gate of ScQ-P10"):
        backend.run(qc, 10, compile=False)


def test_native_mapped_circuit_runs_uncompiled():
    backend = EmulatedBackend(devices.get("ScQ-P10"), noisy=False)
    qc = QuantumCircuit(3, 2)
    qc.x(2)
    qc.measure(2, 1)
    qc.measure(0, 0)
    result = backend.run(qc, 20, compile=False, seed=0)
    assert result.counts == {"10": 20}


def test_bad_arguments():
    backend = backends.get("ScQ-P10")
    with pytest.raises(ValueError, match="shots"):
        backend.run(bell(), 0)
    with pytest.raises(ValueError, match="optimization_level"):
        backend.run(bell(), 10, optimization_level=7)
    with pytest.raises(CircuitTooWideError):
        backend.run(QuantumCircuit(11), 10)


def test_a_result_prints_in_one_short_line():
    qc = QuantumCircuit(6, 6)
    for q in range(6):
        qc.h(q)
    qc.measure(list(range(6)), list(range(6)))
    result = backends.get("ScQ-P10").run(qc, 2000, seed=3)
    text = repr(result)
    assert text == str(result) and "\n" not in text and len(text) < 200
    assert text.startswith("<BackendResult ScQ-P10 shots=2000 method=")
    assert f"… {len(result.counts) - 4} more}}>" in text and "OPENQASM" not in text
