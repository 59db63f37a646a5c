"""A server takes its workers with it, however it stops: SIGTERM (a clean stop) or
SIGKILL (the workers see their parent die). Jobs running then are requeued on the next
start, as before (tests/server/test_recovery.py)."""

from __future__ import annotations

import signal
import time

import psutil
import pytest

from kuafu.server.testing import LiveServer, create_user

from .conftest import api

pytestmark = pytest.mark.slow

LONG = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[16];
creg c[16];
""" + "".join(f"h q[{i}];\ncx q[{i}],q[{(i + 1) % 16}];\nt q[{i}];\n" for i in range(16)) + \
    "measure q -> c;\n"
"""A noisy 16-qubit job on ScQ-P18 that computes for many minutes."""


def _alive(pids: list[int]) -> list[int]:
    out = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                out.append(pid)
        except psutil.NoSuchProcess:
            pass
    return out


def _wait_gone(pids: list[int], timeout: float = 15.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while (left := _alive(pids)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_the_workers_exit_with_their_server(sqlite_store, tmp_path, how):
    token = create_user(sqlite_store)
    server = LiveServer(sqlite_store, workers=2, log=tmp_path / "server.log").start()
    try:
        with api(server, token) as c:
            ids = c.post("/jobs", json={"qasm": [LONG] * 2, "backend": "ScQ-P18",
                                        "shots": 20_000}).json()["ids"]
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                states = [s["status"] for s in
                          c.post("/jobs/status", json={"ids": ids}).json()]
                if states == ["running", "running"]:
                    break
                time.sleep(0.1)
            assert states == ["running", "running"], states
        workers = [p.pid for p in server.pool_workers()]
        assert len(workers) >= 2
        server.process.send_signal(how)  # the server alone, not its process group
        server.process.wait(timeout=60)
        assert _wait_gone(workers) == [], "workers outlived their server"
    finally:
        server.stop()  # kills the process group if the test failed
