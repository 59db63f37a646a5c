"""`DaskExecutorHandle` against a real Dask cluster: priority reaches Dask, a user's
cancel cancels the task, finished tasks leave nothing behind, and a lost scheduler
reads as a lost worker (the job is requeued, not failed)."""

from __future__ import annotations

import concurrent.futures
import time

import pytest

from kuafu.server.executor import DaskExecutorHandle, Task, WorkerLostError, is_worker_lost

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
        assert order.index("high") < 10, order  # it would be last, first come first served
        deadline = time.monotonic() + 30
        while kuafu_keys_on(cluster) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert kuafu_keys_on(cluster) == []  # results were released, not kept in memory
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


def test_losing_the_dask_scheduler_reads_as_a_lost_worker(tmp_path):
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
            deadline = time.monotonic() + 30
            while handle.cluster_workers != 0:
                assert time.monotonic() < deadline, "still counts workers of a dead cluster"
                time.sleep(0.2)
            assert handle.workers == 1  # estimates still divide by something
        finally:
            handle.shutdown()
    finally:
        own.stop()
