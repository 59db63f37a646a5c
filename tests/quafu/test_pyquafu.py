"""pyquafu 0.4.5, unmodified, against a live Kuafu server: one subprocess runs the whole
documented workflow (tests/quafu/pyquafu_workflow.py) and prints what pyquafu saw."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from .conftest import LAB_BACKEND, LAB_SYSTEM_ID, live_server

WORKFLOW = Path(__file__).with_name("pyquafu_workflow.py")
BELL_KEYS = {"00", "11"}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def seen(pyquafu_python, lab_plugin, tmp_path_factory) -> dict:
    """Everything the workflow script printed."""
    for server, token in live_server("sqlite", lab_plugin, tmp_path_factory):
        home = tmp_path_factory.mktemp("home")
        env = {**os.environ, "HOME": str(home), "MPLBACKEND": "Agg"}
        env.pop("PYTHONPATH", None)
        done = subprocess.run([str(pyquafu_python), str(WORKFLOW), server.url, token],
                              env=env, capture_output=True, text=True, timeout=600,
                              check=False)
        assert done.returncode == 0, done.stderr[-3000:]
        saved = json.loads((home / ".quafu" / "api").read_text())
        assert saved == {"token": token, "url": server.url + "/"}
        return json.loads(done.stdout.strip().splitlines()[-1])
    raise AssertionError("no server")


def test_backends_list_has_quafu_fields(seen):
    backends = seen["backends"]
    assert {"ScQ-P10", "ScQ-P18", "ScQ-P136", "simulator", LAB_BACKEND} <= set(backends)
    p10 = backends["ScQ-P10"]
    assert (p10["system_id"], p10["qubits"], p10["status"]) == (0, 10, "Online")
    assert backends["ScQ-P136"]["system_id"] == 2  # pyquafu tests this number
    assert backends[LAB_BACKEND]["system_id"] == LAB_SYSTEM_ID
    assert {"cz", "rx", "ry", "rz", "h"} <= set(p10["valid_gates"])
    assert p10["queued"] >= 0


def test_chip_info_gives_topology_and_calibration(seen):
    chip = seen["chip"]
    assert chip["couplers"] == 9  # a chain of ten qubits
    assert chip["mapping"] == {str(i): f"Q{i + 1}" for i in range(10)}
    assert 0.9 < chip["Q1_Q2"] < 1
    assert chip["qubits_info"] == sorted(f"Q{i}" for i in range(1, 11))


def test_synchronous_bell_is_half_00_half_11(seen):
    sync = seen["sync"]
    assert sync["status"] == "Completed" and sync["name"] == "bell"
    counts = sync["counts"]
    assert sum(counts.values()) == 2000
    inside = sum(counts.get(k, 0) for k in BELL_KEYS) / 2000
    assert inside > 0.9  # the rest is the emulated noise
    assert abs(counts["00"] - counts["11"]) / 2000 < 0.1
    assert sync["probabilities"]["00"] == pytest.approx(counts["00"] / 2000)
    assert 0.8 < sync["zz"] <= 1.0
    assert "cz" in sync["openqasm"]  # the compiled circuit, in the chip's gates


def test_bit_order_is_quafus(seen):
    x0 = seen["x0"]["counts"]  # X on qubit 0 of three: classical bit 0 leftmost
    assert max(x0, key=x0.get) == "100"
    swapped = seen["swapped_cbits"]["counts"]  # X on qubit 1, measured into bit 0
    assert max(swapped, key=swapped.get) == "10"


def test_asynchronous_sends_queue_then_complete(seen):
    assert seen["async_status"] == ["In Queue"] * 3
    group = seen["group"]
    assert [r["name"] for r in group] == ["async-0", "async-1", "async-2"]
    assert all(r["status"] == "Completed" for r in group)
    for r in group:
        assert sum(r["counts"].get(k, 0) for k in BELL_KEYS) / sum(r["counts"].values()) > 0.9
    assert seen["retrieved"]["task_id"] == group[0]["task_id"]
    assert seen["retrieved"]["counts"] == group[0]["counts"]
    assert seen["history"]["sweep"] == [r["task_id"] for r in group]


def test_submit_with_observables(seen):
    zz, xx, z0 = seen["observables"]["values"]
    assert seen["observables"]["runs"] == 2  # Z basis and X basis
    assert 0.8 < zz <= 1.0
    assert 0.8 < xx <= 1.0
    assert abs(z0) < 0.1


def test_errors_reach_the_user_as_pyquafu_exceptions(seen):
    errors = seen["errors"]
    kind, message = errors["no_shots"]
    assert kind == "UserError" and "shots" in message
    kind, message = errors["bad_token"]
    assert kind == "UserError" and "invalid API token" in message
    assert seen["unknown_task"] == {"status": "Failed", "task_id": "0" * 32}
