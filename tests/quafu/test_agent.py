"""The Quafu device-agent protocol: a lab's remote device (`Lab-R10`, system 77) whose jobs,
submitted through the native API, are fetched and answered by an agent on loopback."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from helpers import BELL
from kuafu.server.testing import LiveServer

from .conftest import LAB_AGENT_TOKEN, LAB_BACKEND, LAB_SYSTEM_ID, live_server

X_ON_0 = BELL.replace("h q[0];\ncx q[0],q[1];", "x q[0];")
AGENT = {"api_token": LAB_AGENT_TOKEN}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lab(lab_plugin, tmp_path_factory) -> Iterator[tuple[LiveServer, httpx.Client]]:
    """A server on PostgreSQL that knows the lab's device, and a user's HTTP client."""
    for server, token in live_server("postgresql", lab_plugin, tmp_path_factory):
        with httpx.Client(base_url=server.url, timeout=60,
                          headers={"Authorization": f"Bearer {token}"}) as http:
            yield server, http


def submit(http: httpx.Client, qasm: str, shots: int = 500) -> str:
    answer = http.post("/api/v1/jobs", json={"qasm": qasm, "backend": LAB_BACKEND,
                                             "shots": shots})
    assert answer.status_code == 201, answer.text
    return answer.json()["ids"][0]


def wait_for(http: httpx.Client, job_id: str) -> dict:
    for _ in range(20):
        job = http.get(f"/api/v1/jobs/{job_id}", params={"wait": 30}).json()
        if job["status"] in ("done", "failed", "cancelled"):
            return job
    raise AssertionError(f"job {job_id} did not end: {job}")


def fetch(server: LiveServer, headers: dict | None = AGENT, system_id: int = LAB_SYSTEM_ID):
    return httpx.get(f"{server.url}/qbackend/scq_task/", params={"system_id": system_id},
                     headers=headers, timeout=30)


def post_result(server: LiveServer, form: dict, headers: dict | None = AGENT):
    return httpx.post(f"{server.url}/qbackend/scq_result/", data=form, headers=headers,
                      timeout=30)


def test_remote_device_is_listed_and_its_jobs_wait_for_an_agent(lab):
    server, http = lab
    assert fetch(server).json() is None  # nothing queued yet
    detail = http.get(f"/api/v1/backends/{LAB_BACKEND}").json()
    assert detail["qubits"] == 10 and len(detail["coupling_map"]) == 9
    job_id = submit(http, BELL)
    assert fetch(server, headers=None).status_code == 401  # the device has a token
    assert fetch(server, system_id=78).status_code == 404
    task = fetch(server).json()
    assert task["task_id"] == job_id and task["shots"] == 500 and task["qubits"] == 10
    assert "cz" in task["circuit"]  # compiled for the chip before it goes out
    assert http.get(f"/api/v1/jobs/{job_id}").json()["status"] == "running"

    bad = post_result(server, {"task_id": job_id, "status": "finished", "res": '{"0": 5}'})
    assert bad.status_code == 400 and "'0' is not 2 characters" in bad.json()["detail"]
    # Quafu agents may write the counts as a Python literal; keys put bit 0 leftmost.
    ok = post_result(server, {"task_id": job_id, "status": "finished",
                              "res": "{'00': 240, '11': 250, '10': 10}",
                              "server": str(LAB_SYSTEM_ID)})
    assert ok.status_code == 200, ok.text
    job = wait_for(http, job_id)
    assert job["status"] == "done"
    assert job["result"]["counts"] == {"00": 240, "11": 250, "01": 10}
    assert job["result"]["method"] == "device" and "cz" in job["result"]["compiled_qasm"]
    again = post_result(server, {"task_id": job_id, "status": "finished", "res": "{}"})
    assert "result ignored" in again.json()["message"]


def test_cancelled_and_failed_tasks(lab):
    server, http = lab
    cancelled = submit(http, BELL)
    assert fetch(server).json()["task_id"] == cancelled
    assert http.post(f"/api/v1/jobs/{cancelled}/cancel").json()["cancelled"]
    late = post_result(server, {"task_id": cancelled, "status": "finished",
                                "res": '{"00": 500}'})
    assert "result ignored" in late.json()["message"]
    assert wait_for(http, cancelled)["status"] == "cancelled"

    failed = submit(http, BELL)
    assert fetch(server).json()["task_id"] == failed
    post_result(server, {"task_id": failed, "status": "failed", "raw": "fridge warm"})
    job = wait_for(http, failed)
    assert job["status"] == "failed" and "fridge warm" in job["error"]


def test_agent_process_serves_jobs_from_the_native_api(lab):
    server, http = lab
    ids = [submit(http, BELL, 1000) for _ in range(3)] + [submit(http, X_ON_0, 1000)]
    agent = subprocess.Popen(
        [sys.executable, "-m", "kuafu.backends.remote", "--url", server.url,
         "--system-id", str(LAB_SYSTEM_ID), "--token", LAB_AGENT_TOKEN,
         "--interval", "0.1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        jobs = [wait_for(http, job_id) for job_id in ids]
    finally:
        agent.terminate()
        agent.wait(timeout=30)
    assert [j["status"] for j in jobs] == ["done"] * 4
    for bell in jobs[:3]:  # the agent's stand-in is the ideal simulator
        counts = bell["result"]["counts"]
        assert set(counts) == {"00", "11"} and sum(counts.values()) == 1000
        assert bell["result"]["method"] == "device"
        assert bell["attempts"] == 1
    assert jobs[3]["result"]["counts"] == {"01": 1000}  # Kuafu's order: bit 0 rightmost
