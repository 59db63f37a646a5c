"""Where jobs run: a local process pool, or a Dask distributed cluster.

The scheduler hands each job (a `worker.Task`) to `worker.run_task` through a handle,
chosen once from the settings by `make_handle`:

* `ExecutorHandle`: a local `WorkerPool` of `spawn`ed processes (`kuafu.server.pool`):
  it says when a worker starts a job, stops one job by killing its worker, and
  replaces a worker that died or was killed without disturbing the others.
* `DaskExecutorHandle` (`kuafu serve --cluster tcp://HOST:8786`,
  `kuafu.server.dask_executor`): submits to a `distributed.Client` with the job's
  priority, and turns every way Dask can lose a job (a killed worker, the scheduler
  connection gone) into `WorkerLostError`, so that the scheduler requeues the job
  like one whose local worker died.

Both hand back `concurrent.futures.Future`s: the scheduler does not know which runs.
Dask is imported only by `DaskExecutorHandle`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING

from .pool import JobStopped, WorkerLostError, WorkerPool
from .worker import RunTimeExceeded, Task, run_task, warm_up

if TYPE_CHECKING:
    from .core.config import Settings
    from .dask_executor import DaskExecutorHandle

__all__ = ["ExecutorHandle", "JobStopped", "RunTimeExceeded", "Task", "WorkerLostError",
           "is_worker_lost", "make_handle", "prestart"]

logger = logging.getLogger(__name__)


def is_worker_lost(exc: BaseException) -> bool:
    """Whether `exc` says the worker died (retry the job) rather than the job failed."""
    if isinstance(exc, WorkerLostError):
        return True
    return type(exc).__name__ in {"KilledWorker", "CommClosedError"}


def make_handle(settings: Settings) -> ExecutorHandle | DaskExecutorHandle:
    """The executor the settings ask for: the Dask cluster at `settings.cluster`, else
    a local pool of `settings.workers` processes.

    Raises:
        ClusterUnavailable: a cluster is named but does not answer.
    """
    if settings.cluster:
        from .dask_executor import DaskExecutorHandle

        return DaskExecutorHandle(settings.cluster, settings.cluster_connect_timeout)
    return ExecutorHandle(settings.workers)


def prestart(settings: Settings) -> ExecutorHandle | None:
    """Start the local workers now, before the caller imports the web stack, so that
    their imports and warm-up run beside the server's own (issue 20: a restart's first
    job within 2 s). Pass the handle to `create_app(..., executor=...)`. None with a
    Dask cluster: its workers are already running."""
    if settings.cluster:
        return None
    return ExecutorHandle(settings.workers)


class ExecutorHandle:
    """Runs jobs in a local `WorkerPool` (see `kuafu.server.pool`): a job is running
    exactly while a worker holds it, `stop` kills the one worker of a job, and a worker
    that dies or is killed is replaced (warmed up) without touching the others."""

    kind = "local"
    cluster_workers: int | None = None  # not a cluster

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.executor = WorkerPool(workers, initializer=warm_up)

    def submit(self, task: Task, on_start: Callable[[], None] | None = None) -> Future:
        """Queue one attempt of a job; `on_start()` is called as a worker starts it."""
        return self.executor.submit_observed(on_start, run_task, task)

    def stop(self, future: Future) -> bool:
        """Cancel a job (killing its worker if it runs); returns whether it ran."""
        return self.executor.stop(future)

    def warm(self, wait: float = 0) -> None:
        """Wait up to `wait` s for the first worker to start and warm up (each runs
        `warm_up` before its first job, a replaced one too); the others follow it
        (`pool.FIRST_WORKER_HEAD_START`) while the server already takes jobs."""
        if wait and not self.executor.wait_ready(wait, every=False):
            logger.warning("workers still warming up after %.0f s", wait)

    def rebuild_if_broken(self) -> None:
        """Nothing to do: the pool replaces a dead worker by itself."""

    def worker_pids(self) -> list[int]:
        return self.executor.pids()

    def shutdown(self) -> None:
        """Kill the workers; the scheduler requeues what they ran (a clean stop)."""
        self.executor.shutdown(wait=True, cancel_futures=True)
