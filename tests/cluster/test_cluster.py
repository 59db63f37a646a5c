"""`kuafu serve --cluster`: jobs run on a real Dask cluster on loopback (a `dask
scheduler` and one-thread `dask worker` processes), survive a worker's SIGKILL, and
keep their priority."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from kuafu.server.testing import LiveServer, create_user, free_port

from .conftest import BELL, GHZ3, DaskCluster

pytestmark = pytest.mark.slow

FINAL = {"done", "failed", "cancelled"}


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('store') / 'kuafu.db'}"


@pytest.fixture(scope="module")
def server(cluster: DaskCluster, store, tmp_path_factory) -> Iterator[LiveServer]:
    """Kuafu on the cluster; each job sleeps 50 ms first so that a queue forms."""
    env = {"KUAFU_CLUSTER": cluster.address, "KUAFU_WORKER_DELAY": "0.05"}
    log = tmp_path_factory.mktemp("logs") / "server.log"
    with LiveServer(store, env=env, log=log) as live:
        yield live


@pytest.fixture()
def api(server, store) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {create_user(store)}"}
    with httpx.Client(base_url=f"{server.url}/api/v1", headers=headers, timeout=60) as c:
        yield c


def statuses(api: httpx.Client, ids: list[str]) -> list[str]:
    return [s["status"] for s in api.post("/jobs/status", json={"ids": ids}).json()]


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def group_jobs(api: httpx.Client, group: str) -> list[dict]:
    return api.get("/jobs", params={"group": group, "limit": 500}).json()["items"]


def test_health_names_the_executor_and_counts_the_dask_workers(server, cluster):
    health = httpx.get(f"{server.url}/api/v1/health", timeout=30).json()
    assert health["status"] == "ok"
    assert health["executor"] == "dask" and health["cluster_workers"] == 2
    assert health["workers"] == 2  # one thread each


def test_300_jobs_complete_once_with_correct_counts_though_a_worker_dies_midway(
        server, cluster, api):
    cluster.ensure_workers(2)
    ids: list[str] = []
    for _ in range(3):  # batches of 100: Bell and 3-qubit GHZ, alternately
        body = {"qasm": [BELL, GHZ3] * 50, "backend": "ScQ-P10", "shots": 200,
                "group": "scale"}
        ids += api.post("/jobs", json=body).json()["ids"]
    (urgent,) = api.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10", "shots": 200,
                                        "priority": 9, "group": "urgent"}).json()["ids"]

    wait_until(lambda: statuses(api, ids).count("done") >= 60, 120, "60 jobs done")
    cluster.kill_worker("w0")
    assert set(statuses(api, ids)) & {"queued", "running"}, "killed after the end"
    wait_until(lambda: set(statuses(api, ids)) <= FINAL, 180, "every job to end")

    jobs = group_jobs(api, "scale")
    assert sorted(j["id"] for j in jobs) == sorted(ids)  # each job once, none made twice
    assert {j["status"] for j in jobs} == {"done"}, {j["error"] for j in jobs}
    program = dict(zip(ids, [BELL, GHZ3] * 150, strict=True))
    for job in jobs:
        counts = job["result"]["counts"]
        assert sum(counts.values()) == 200
        ends = ("00", "11") if program[job["id"]] is BELL else ("000", "111")
        assert sum(counts.get(k, 0) for k in ends) >= 0.8 * 200, counts
        assert job["error"] is None and job["attempts"] in (1, 2)

    # priority 9 overtook the queue it was submitted behind
    finished = sorted(j["finished_at"] for j in jobs)
    urgent_end = api.get(f"/jobs/{urgent}").json()["finished_at"]
    assert sum(end < urgent_end for end in finished) < len(finished) // 3

    health = lambda: httpx.get(f"{server.url}/api/v1/health", timeout=30).json()  # noqa: E731
    wait_until(lambda: health()["cluster_workers"] == 1, 30, "health to count 1 worker")


def test_a_job_dask_gives_up_on_is_requeued_and_completes_on_another_attempt(
        server, cluster, api):
    """With Dask's `allowed-failures` at 0, a worker's death fails its tasks with
    KilledWorker at once; Kuafu requeues those jobs as attempt 2."""
    cluster.ensure_workers(2)
    with cluster.client() as client:
        client.run_on_scheduler(allowed_failures(0))
        try:
            ids = api.post("/jobs", json={"qasm": [BELL] * 40, "backend": "ScQ-P10",
                                          "shots": 100, "group": "killed"}).json()["ids"]
            wait_until(lambda: statuses(api, ids).count("done") >= 8, 120, "8 jobs done")
            victim = next(iter(cluster.workers))
            cluster.kill_worker(victim)
            wait_until(lambda: set(statuses(api, ids)) <= FINAL, 120, "every job to end")
        finally:
            client.run_on_scheduler(allowed_failures(3))
    jobs = group_jobs(api, "killed")
    assert len(jobs) == 40 and {j["status"] for j in jobs} == {"done"}
    assert any(j["attempts"] == 2 for j in jobs)  # the killed worker's jobs ran again
    assert all(sum(j["result"]["counts"].values()) == 100 for j in jobs)


def allowed_failures(n: int):
    """A function for `run_on_scheduler` (a lambda: pickled by value, the scheduler
    cannot import this test module) that sets how many worker deaths a task survives."""
    return lambda dask_scheduler: setattr(dask_scheduler, "allowed_failures", n)


def test_serve_with_a_cluster_that_does_not_answer_stops_saying_so(tmp_path):
    nowhere = f"tcp://127.0.0.1:{free_port()}"
    out = subprocess.run(
        [sys.executable, "-m", "kuafu.cli", "serve", "--port", str(free_port()),
         "--database", f"sqlite:///{tmp_path / 'k.db'}", "--cluster", nowhere],
        env={**os.environ, "KUAFU_CLUSTER_CONNECT_TIMEOUT": "2"},
        capture_output=True, text=True, timeout=120)
    assert out.returncode != 0
    assert f"no Dask scheduler answers at {nowhere} within 2 s" in out.stderr
    assert "dask scheduler" in out.stderr


def test_a_job_past_the_run_time_limit_on_dask_is_failed_by_the_watchdog(tmp_path):
    """Dask runs jobs in worker threads, which no timer signal reaches: the scheduler's
    watchdog fails the job with the reason once it is well past the limit."""
    workdir = tmp_path / "dask"
    workdir.mkdir()
    own = DaskCluster(workdir).start(workers=1, timeout=180)
    try:
        store = f"sqlite:///{tmp_path / 'kuafu.db'}"
        env = {"KUAFU_CLUSTER": own.address, "KUAFU_MAX_RUN_SECONDS": "1",
               "KUAFU_WORKER_DELAY": "40"}
        headers = {"Authorization": f"Bearer {create_user(store)}"}
        with LiveServer(store, env=env, log=tmp_path / "server.log") as live, \
                httpx.Client(base_url=f"{live.url}/api/v1", headers=headers,
                             timeout=60) as c:
            (job_id,) = c.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10",
                                              "shots": 10}).json()["ids"]
            wait_until(lambda: statuses(c, [job_id]) == ["failed"], 35, "the job to fail")
            job = c.get(f"/jobs/{job_id}").json()
    finally:
        own.kill_workers()  # the stuck task would hold a clean stop for its 40 s
        own.stop()
    assert "stopped by the scheduler" in job["error"], job["error"]
    assert "run-time limit of 1 s" in job["error"]
