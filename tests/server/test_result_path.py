"""One typed result from the simulator to the client: the same field names at every hop
(`SimResult` -> `BackendResult` -> the stored dict -> `schemas.JobResult` on the wire ->
`client.Result`), the simulator's timings kept, the calibration and seed on it."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from helpers import bell
from kuafu import backends, devices, schemas
from kuafu.backends import BackendResult
from kuafu.client import Result
from kuafu.qasm import dumps
from kuafu.server.core import quantum
from kuafu.sim import SimResult

GOLDEN = Path(__file__).parent / "golden"
WIRE = set(schemas.JobResult.model_fields)
# What the server records beside a backend's result (`core.quantum.result_record`): the
# versions of the software that ran it. Every other wire field is a `BackendResult` field.
SERVER_ADDED = {"software"}


def test_every_wire_field_has_the_same_name_at_every_hop():
    backend_fields = {f.name for f in dataclasses.fields(BackendResult)}
    assert backend_fields >= WIRE - SERVER_ADDED, WIRE - SERVER_ADDED - backend_fields
    assert {name for name in dir(Result) if not name.startswith("_")} >= WIRE
    sim_fields = {f.name for f in dataclasses.fields(SimResult)}
    shared = {"counts", "shots", "method", "method_details", "timings", "seed"}
    assert shared <= sim_fields and shared <= WIRE


def test_the_stored_form_of_a_backend_result_is_the_golden_wire_form():
    device = devices.get("ScQ-P10")
    out = BackendResult(
        backend="ScQ-P10", shots=1000, counts={"00": 489, "11": 493, "01": 9, "10": 9},
        compiled_qasm=("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[10];\ncreg c[2];\n"
                       "ry(pi/2) q[5];\ncz q[5],q[6];\nmeasure q[5] -> c[0];\n"
                       "measure q[6] -> c[1];\n"),
        initial_mapping={0: 5, 1: 6}, final_mapping={0: 5, 1: 6},
        physical_qubits=device.qubits, method="stabilizer",
        method_details={"method": "stabilizer"},
        timings={"prepare": 0.0003, "run": 0.0004, "sample": 0.00001, "format": 0.0001,
                 "compile": 0.012, "simulate": 0.03, "total": 0.042},
        seed=7, calibration_id=device.calibration_id,
        calibrated_at=datetime(2026, 11, 25, 6, tzinfo=UTC), metadata={"noisy": True})
    stored = quantum.result_record(out, device, 1000)
    assert set(stored) == WIRE
    golden = json.loads((GOLDEN / "job_result.json").read_text())
    assert stored.pop("software")["numpy"] and golden.pop("software")  # versions vary
    assert stored == golden
    wire = schemas.JobResult.model_validate(stored)
    result = Result("job", wire, backend="ScQ-P10")
    for name in WIRE - SERVER_ADDED:
        assert getattr(result, name) == getattr(wire, name) == getattr(out, name) or (
            name.endswith("mapping") and getattr(result, name) == {"0": 5, "1": 6})


@pytest.mark.parametrize("name", ["ScQ-P10", "simulator"])
def test_a_run_keeps_the_simulators_timings_seed_and_calibration(name):
    target = backends.get(name)
    out = target.run(bell(), 200, seed=11)
    stored = quantum.run(dumps(bell()), name, 200, True, 11)
    assert set(stored) == WIRE
    assert stored["seed"] == out.seed == 11
    assert stored["counts"] == dict(out.counts)
    assert {"compile", "simulate", "total", "format"} <= set(stored["timings"])
    assert {"prepare", "run"} <= set(stored["timings"]), stored["timings"]
    if target.device is not None:
        assert stored["calibration_id"] == out.calibration_id == target.device.calibration_id
        assert stored["calibrated_at"] is not None
    else:
        assert stored["calibration_id"] is None and out.calibration_id is None
