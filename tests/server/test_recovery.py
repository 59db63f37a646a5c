"""Faults: SIGKILL of the server mid-queue, and of worker processes mid-job."""

from __future__ import annotations

import signal
import time

import httpx
import pytest

from kuafu.server.testing import LiveServer, create_user

from .conftest import BELL
from .test_api import api, wait_done

pytestmark = pytest.mark.slow



def test_sigkill_of_the_server_loses_no_job_and_runs_none_twice(fresh_store, tmp_path):
    token = create_user(fresh_store)
    env = {"KUAFU_WORKER_DELAY": "0.3"}
    server = LiveServer(fresh_store, workers=2, env=env, log=tmp_path / "a.log").start()
    try:
        with api(server, token) as c:
            ids = c.post("/jobs", json={"qasm": [BELL] * 12, "backend": "ScQ-P10",
                                        "shots": 100, "group": "crash"}).json()["ids"]
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                states = [s["status"] for s in c.post("/jobs/status", json={"ids": ids}).json()]
                if "done" in states and "running" in states:
                    break
                time.sleep(0.05)
            assert "queued" in states and "running" in states, states
        server.kill()
    finally:
        server.stop()
    restarted = LiveServer(fresh_store, workers=2, log=tmp_path / "b.log").start()
    try:
        with api(restarted, token) as c:
            jobs = [wait_done(c, i) for i in ids]
            assert [j["status"] for j in jobs] == ["done"] * 12
            assert all(sum(j["result"]["counts"].values()) == 100 for j in jobs)
            listed = c.get("/jobs", params={"group": "crash", "limit": 100}).json()["items"]
            assert sorted(j["id"] for j in listed) == sorted(ids)  # no job made twice
            assert any(j["attempts"] == 2 for j in jobs)  # those that were running
    finally:
        restarted.stop()


def test_a_killed_worker_requeues_its_job_then_fails_it_after_bounded_retries(
        fresh_store, tmp_path):
    token = create_user(fresh_store)
    env = {"KUAFU_WORKER_DELAY": "3", "KUAFU_MAX_ATTEMPTS": "2"}
    with LiveServer(fresh_store, workers=1, env=env, log=tmp_path / "w.log") as server, \
            api(server, token) as c:
        (victim,) = c.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10",
                                          "shots": 10}).json()["ids"]
        for attempt in (1, 2):
            _wait_running(c, victim, attempt)
            time.sleep(0.5)
            for proc in server.pool_workers():
                proc.send_signal(signal.SIGKILL)
        job = wait_done(c, victim)
        assert job["status"] == "failed"
        assert "died on each of 2 attempts" in job["error"]
        # the pool was rebuilt: the next job still runs, once
        (ok,) = c.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10",
                                      "shots": 10}).json()["ids"]
        time.sleep(1.0)
        assert wait_done(c, ok)["status"] == "done"


def test_a_job_whose_worker_died_once_completes_on_retry(fresh_store, tmp_path):
    token = create_user(fresh_store)
    env = {"KUAFU_WORKER_DELAY": "2"}
    with LiveServer(fresh_store, workers=1, env=env, log=tmp_path / "r.log") as server, \
            api(server, token) as c:
        (job_id,) = c.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10",
                                          "shots": 10}).json()["ids"]
        _wait_running(c, job_id, 1)
        time.sleep(0.5)
        for proc in server.pool_workers():
            proc.send_signal(signal.SIGKILL)
        job = wait_done(c, job_id)
        assert job["status"] == "done" and job["attempts"] == 2
        assert job["error"] is None


def _wait_running(c: httpx.Client, job_id: str, attempt: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = c.get(f"/jobs/{job_id}").json()
        if job["status"] == "running" and job["attempts"] == attempt:
            return
        time.sleep(0.05)
    raise AssertionError(f"job never ran attempt {attempt}: {job}")


def test_a_second_server_on_the_same_store_is_refused(fresh_store, tmp_path):
    with LiveServer(fresh_store, workers=1, log=tmp_path / "one.log"):
        second = LiveServer(fresh_store, workers=1, log=tmp_path / "two.log")
        with pytest.raises(RuntimeError, match="exited"):
            second.start(timeout=60)
        assert "another Kuafu server" in (tmp_path / "two.log").read_text()


def test_a_clean_stop_requeues_running_jobs_without_counting_the_attempt(fresh_store,
                                                                           tmp_path):
    token = create_user(fresh_store)
    server = LiveServer(fresh_store, workers=1, env={"KUAFU_WORKER_DELAY": "2"},
                        log=tmp_path / "t1.log").start()
    try:
        with api(server, token) as c:
            (job_id,) = c.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10",
                                              "shots": 10}).json()["ids"]
            _wait_running(c, job_id, 1)
    finally:
        server.stop()  # SIGTERM
    with LiveServer(fresh_store, workers=1, log=tmp_path / "t2.log") as again, \
            api(again, token) as c:
        job = wait_done(c, job_id)
        assert job["status"] == "done" and job["attempts"] == 1
