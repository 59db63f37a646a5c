"""Quafu's conventions without a server: bit order, measurement order, codes, and the
remote device's preparation of a task and reading of its counts."""

from __future__ import annotations

import dataclasses

import pytest

from kuafu import devices, qasm
from kuafu.backends import RemoteDevice
from kuafu.backends.remote import parse_counts_text
from kuafu.circuit.counts import from_quafu_counts, to_quafu_counts
from kuafu.server.quafu import protocol


def test_counts_become_quafus_measured_bits_lowest_leftmost():
    # three classical bits, bits 0 and 2 measured; Kuafu key "c2 c1 c0"
    counts = {"001": 7, "100": 3, "000": 1, "010": 4}
    assert to_quafu_counts(counts, clbits=[2, 0]) == \
        {"10": 7, "01": 3, "00": 5}


def test_final_measures_follow_the_submitted_order():
    compiled = ("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[10];\ncreg meas[2];\n"
                "ry(pi) q[4];\nmeasure q[4] -> meas[0];\ncz q[5],q[6];\n"
                "measure q[6] -> meas[1];\n")
    moved = protocol.measures_in_order(compiled, clbit_order=[1, 0])
    lines = moved.splitlines()
    assert lines[-2:] == ["measure q[6] -> meas[1];", "measure q[4] -> meas[0];"]
    assert "cz q[5],q[6];" in lines and len(lines) == len(compiled.splitlines())
    assert protocol.measured_map(moved) == "{6: 1, 4: 0}"


def test_a_measured_qubit_used_again_keeps_the_text():
    compiled = "qreg q[2];\ncreg c[2];\nmeasure q[0] -> c[0];\nx q[0];\nmeasure q[0] -> c[1];\n"
    assert protocol.measures_in_order(compiled, clbit_order=[1, 0]) == compiled


def test_system_ids():
    assert protocol.system_id("ScQ-P136", object()) == 2
    remote = RemoteDevice(devices.get("ScQ-P10"), system_id=42)
    assert protocol.system_id("ScQ-P10", remote) == 42
    other = protocol.system_id("My-Chip", object())
    assert other >= 1000 and other == protocol.system_id("My-Chip", object())


def test_agent_counts_are_read_in_quafu_order_and_checked():
    assert from_quafu_counts({"10": 3, "01": 1}, 2) == {"01": 3, "10": 1}
    assert to_quafu_counts({"01": 3}) == {"10": 3}
    with pytest.raises(ValueError, match="'1' is not 2 characters"):
        from_quafu_counts({"1": 3}, 2)
    with pytest.raises(ValueError, match="not a non-negative integer"):
        from_quafu_counts({"11": -1}, 2)
    assert parse_counts_text("{'00': 2}") == {"00": 2}
    with pytest.raises(ValueError, match="res is not a JSON object"):
        parse_counts_text("__import__('os')")


def test_remote_device_prepares_the_same_task_for_the_same_seed():
    chip = dataclasses.replace(devices.get("ScQ-P10"), name="Lab")
    remote = RemoteDevice(chip, system_id=5)
    circuit = qasm.loads('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\ncreg c[3];\n'
                         "h q[0];\ncx q[0],q[2];\nmeasure q -> c;\n")
    first, second = remote.prepare(circuit, seed=11), remote.prepare(circuit, seed=11)
    assert (first.qasm, first.initial_mapping) == (second.qasm, second.initial_mapping)
    assert "cz" in first.qasm
    result = remote.finish(first, {"101": 6, "000": 4}, shots=10, seed=11)
    assert result.counts == {"101": 6, "000": 4} and result.backend == "Lab"
    assert result.compiled_qasm == first.qasm and result.method == "device"
    with pytest.raises(NotImplementedError, match="remote device served by an agent"):
        remote.run(circuit, 10)
    with pytest.raises(ValueError, match="system_id"):
        RemoteDevice(chip, system_id=-1)
