"""pyquafu 0.4.5, unmodified, against a live Kuafu server: one subprocess runs the whole
documented workflow (tests/quafu/pyquafu_workflow.py) and prints what pyquafu saw."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kuafu.server.testing import LiveServer

from .conftest import LAB_BACKEND, LAB_SYSTEM_ID, live_server

WORKFLOW = Path(__file__).with_name("pyquafu_workflow.py")
BELL_KEYS = {"00", "11"}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def quafu_server(lab_plugin, tmp_path_factory) -> Iterator[tuple[LiveServer, str]]:
    """A live server on SQLite and a user's token."""
    yield from live_server("sqlite", lab_plugin, tmp_path_factory)


@pytest.fixture(scope="module")
def seen(pyquafu_python, quafu_server, tmp_path_factory) -> dict:
    """Everything the workflow script printed."""
    server, token = quafu_server
    home = tmp_path_factory.mktemp("home")
    env = {**os.environ, "HOME": str(home), "MPLBACKEND": "Agg"}
    env.pop("PYTHONPATH", None)
    done = subprocess.run([str(pyquafu_python), str(WORKFLOW), server.url, token],
                          env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    saved = json.loads((home / ".quafu" / "api").read_text())
    assert saved == {"token": token, "url": server.url + "/"}
    return json.loads(done.stdout.strip().splitlines()[-1])


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
    # answered at once: usually still queued, though a free worker may have started it
    assert set(seen["async_status"]) <= {"In Queue", "Running", "Completed"}
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


def test_bad_forms_answer_quafu_codes_not_http_errors(quafu_server):
    """What pyquafu would turn into its exceptions; checked over plain HTTP because pyquafu
    itself refuses most of these before sending."""
    server, token = quafu_server

    def post(path: str, form: dict, headers: dict | None = None) -> dict:
        answer = httpx.post(f"{server.url}/qbackend/{path}/", data=form, timeout=30,
                            headers={"api_token": token} if headers is None else headers)
        assert answer.status_code == 200, answer.text
        return answer.json()

    bell = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\nh q[0];\n"
    broken = post("scq_kit_asyc", {"qtasm": bell + "cx q[0] q[1];\n", "selected_server": 0})
    assert broken["status"] == 5001 and "line 6" in broken["message"]
    wide = post("scq_kit_asyc", {"qtasm": bell.replace("q[2]", "q[11]"), "selected_server": 0})
    assert wide["status"] == 5001 and "ScQ-P10 has 10 qubits" in wide["message"]
    unknown = post("scq_kit_asyc", {"qtasm": bell, "selected_server": 99})
    assert unknown["status"] == 400 and "no backend with system_id 99" in unknown["message"]
    shots = post("scq_kit_asyc", {"qtasm": bell, "selected_server": 0, "shots": "many"})
    assert shots["status"] == 400 and "shots must be an integer" in shots["message"]
    empty = post("scq_kit", {"selected_server": 0})
    assert empty["status"] == 400 and "qtasm" in empty["message"]
    anonymous = post("get_backends", {}, headers={})
    assert anonymous["status"] == 400 and "missing API token" in anonymous["message"]
    chip = post("scq_get_chip_info", {"system_name": "scq-p99"})
    assert chip["status"] == 400 and "no backend 'scq-p99'" in chip["message"]
    lost = post("scq_task_recall", {"task_id": "nope"})
    assert lost["status"] == 4 and "no job 'nope'" in lost["message"]
