"""`DaskExecutorHandle` against a real Dask cluster: priority reaches Dask, a user's
cancel cancels the task, finished tasks leave nothing behind, and a lost scheduler
reads as a lost worker (the job is requeued, not failed)."""

from __future__ import annotations

import concurrent.futures
import time

import pytest

from kuafu.server.dask_executor import DaskExecutorHandle
from kuafu.server.executor import Task, WorkerLostError, is_worker_lost

from .conftest import BELL, DaskCluster

pytestmark = pytest.mark.slow


def bell_task(job_id: str, delay: float, priority: int = 0) -> Task:
    return Task(job_id, 1, BELL, "ScQ-P10", 50, True, 7, delay=delay, priority=priority)


def kuafu_keys_on(cluster: DaskCluster) -> list[str]:
    with cluster.client() as client:
        keys = client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.tasks))
    return [k for k in keys if str(k).startswith("kuafu-job-")]


def test_priority_reaches_dask_and_finished_tasks_leave_nothing_behind(cluster):
    cluster.ensure_workers(2)
    handle = DaskExecutorHandle(cluster.address)
    try:
        order: list[str] = []
        tasks = [bell_task(f"low-{i}", 0.2) for i in range(30)]
        tasks.append(bell_task("high", 0.2, priority=9))  # submitted last
        futures = []
        for task in tasks:
            future = handle.submit(task)
            future.add_done_callback(lambda _f, job=task.job_id: order.append(job))
            futures.append(future)
        _, pending = concurrent.futures.wait(futures, timeout=120)
        assert not pending
        assert all(sum(f.result()["counts"].values()) == 50 for f in futures)
        # first come first served would run it last (30th); Dask hands a few tasks to
        # each worker ahead of time, which priority cannot overtake
        assert order.index("high") < 15, order
        # results were released, not kept in the workers' memory
        wait_for(lambda: kuafu_keys_on(cluster) == [], "Dask to forget the tasks")
    finally:
        handle.shutdown()


def test_cancelling_a_waiting_job_cancels_its_dask_task(cluster):
    cluster.ensure_workers(2)
    handle = DaskExecutorHandle(cluster.address)
    try:
        busy = [handle.submit(bell_task(f"busy-{i}", 1.0)) for i in range(4)]
        waiting = handle.submit(bell_task("waiting", 1.0))
        assert waiting.cancel() and waiting.cancelled()
        concurrent.futures.wait(busy, timeout=60)
        assert all(f.exception() is None for f in busy)
        assert not any("waiting" in k for k in kuafu_keys_on(cluster))
    finally:
        handle.shutdown()


def test_losing_the_dask_scheduler_requeues_its_jobs_and_holds_the_rest(tmp_path):
    """The scheduler's death fails its tasks as lost workers (the jobs are requeued);
    meanwhile the handle offers no slots, so jobs wait in Kuafu's queue; once a
    scheduler answers again at the address, the handle reconnects by itself."""
    own = DaskCluster(tmp_path).start(workers=1)
    try:
        handle = DaskExecutorHandle(own.address, connect_timeout=2)
        try:
            future = handle.submit(bell_task("stranded", 5.0))
            with own.client() as client:
                deadline = time.monotonic() + 30
                while not any(client.processing().values()):
                    assert time.monotonic() < deadline, "the task never started"
                    time.sleep(0.1)
            own.kill_scheduler()
            exc = future.exception(timeout=60)
            assert isinstance(exc, WorkerLostError) and is_worker_lost(exc)
            assert "scheduler-connection-lost" in str(exc)
            wait_for(lambda: handle.workers == 0 and handle.cluster_workers == 0,
                     "the handle to offer no slots")
            own.kill_workers()

            own.start_scheduler()
            own.add_worker()
            wait_for(lambda: handle.workers == 1, "the handle to reconnect", timeout=90)
            again = handle.submit(bell_task("after", 0.0))
            assert sum(again.result(timeout=60)["counts"].values()) == 50
        finally:
            handle.shutdown()
    finally:
        own.kill_workers()
        own.stop()


def wait_for(condition, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
