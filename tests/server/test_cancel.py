"""Cancelling stops the computation and frees the worker; a job shows `running` only
while a worker runs it. Real servers (uvicorn and worker processes in subprocesses)."""

from __future__ import annotations

import itertools
import time

import psutil

from kuafu.server.testing import LiveServer, create_user

from .conftest import BELL
from .test_api import api, wait_done


def long_program(qubits: int = 16) -> str:
    """A noisy 16-qubit circuit on ScQ-P18 that runs for minutes at 20 000 shots, yet
    within the server's cost limit (100 000 shots are refused at submission as too
    costly to emulate, with the estimate)."""
    lines = ['OPENQASM 2.0;', 'include "qelib1.inc";', f"qreg q[{qubits}];",
             f"creg c[{qubits}];"]
    lines += [f"h q[{i}];" for i in range(qubits)]
    for layer in range(2):
        lines += [f"cx q[{i}],q[{i + 1}];" for i in range(qubits - 1)]
        lines += [f"{'t' if layer == 0 else 'rx(0.3)'} q[{i}];" for i in range(qubits)]
    return "\n".join([*lines, "measure q -> c;", ""])


def wait_status(client, ids: list[str], status: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = [s["status"] for s in client.post("/jobs/status", json={"ids": ids}).json()]
        if all(s == status for s in states):
            return
        time.sleep(0.1)
    raise AssertionError(f"jobs did not all become {status}: {states}")


def busy(processes: list[psutil.Process], seconds: float = 2.0) -> list[int]:
    """Pids of the processes that used over 0.1 s of CPU in `seconds` (an idle worker
    uses next to none; the machine may be shared, so no share of a core is expected)."""
    def cpu(p: psutil.Process) -> float:
        try:
            times = p.cpu_times()
        except psutil.NoSuchProcess:
            return float("nan")
        return times.user + times.system

    before = {p.pid: cpu(p) for p in processes}
    time.sleep(seconds)
    return [p.pid for p in processes if cpu(p) - before[p.pid] > 0.1]


def test_cancelling_running_jobs_stops_their_work_and_frees_the_workers(tmp_path):
    url = f"sqlite:///{tmp_path / 'kuafu.db'}"
    token = create_user(url)
    with LiveServer(url, workers=2, log=tmp_path / "server.log") as server, \
            api(server, token) as c:
        ids = c.post("/jobs", json={"qasm": [long_program()] * 2, "backend": "ScQ-P18",
                                    "shots": 20_000}).json()["ids"]
        wait_status(c, ids, "running")
        workers = server.pool_workers()
        computing = busy(workers)
        assert len(computing) == 2, "both workers should compute the long jobs"

        for job_id in ids:
            answer = c.post(f"/jobs/{job_id}/cancel").json()
            assert answer["cancelled"] and answer["started"], answer
            assert "stopped" in answer["message"]
        (bell,) = c.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10",
                                        "shots": 100}).json()["ids"]
        job = wait_done(c, bell, timeout=60)
        assert job["status"] == "done", job

        # the processes that ran the cancelled jobs are gone, and no worker computes
        assert not [p for p in workers if p.pid in computing and p.is_running()
                    and p.status() != psutil.STATUS_ZOMBIE]
        # the replacement workers warm up (imports, JIT) before they idle: wait for that
        deadline = time.monotonic() + 60
        while (still := busy(server.pool_workers())) and time.monotonic() < deadline:
            pass
        assert still == [], "a worker keeps computing after its job was cancelled"
        assert [c.get(f"/jobs/{i}").json()["status"] for i in ids] == ["cancelled"] * 2


def test_a_job_waiting_in_the_executor_is_queued_until_a_worker_starts_it(
        slow_live, slow_token):
    """One worker, 0.5 s per job, and the scheduler hands it two jobs at a time: the
    second waits behind the first, and shows `queued`, not `running`, meanwhile; a
    cancel then says it had not started."""
    with api(slow_live, slow_token) as c:
        ids = c.post("/jobs", json={"qasm": [BELL] * 5, "backend": "ScQ-P10",
                                    "shots": 10}).json()["ids"]
        most_running, cancelled = 0, None
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            states = [s["status"] for s in c.post("/jobs/status", json={"ids": ids}).json()]
            most_running = max(most_running, states.count("running"))
            if cancelled is None and states[:2] == ["running", "queued"]:
                # the second job waits in the executor behind the first
                cancelled = c.post(f"/jobs/{ids[1]}/cancel").json()
            time.sleep(0.02)
        assert most_running == 1, "one worker runs one job at a time"
        assert cancelled is not None, "the first job was never seen running"
        assert cancelled["cancelled"] and cancelled["started"] is False, cancelled

        jobs = [wait_done(c, i) for i in ids]
        assert [j["status"] for j in jobs] == ["done", "cancelled", "done", "done", "done"]
        assert jobs[1]["started_at"] is None
        done = [j for j in jobs if j["status"] == "done"]
        for before, after in itertools.pairwise(done):
            assert after["started_at"] >= before["finished_at"]  # one after the other
