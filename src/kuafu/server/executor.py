"""Where jobs run: a local process pool, or a Dask distributed cluster.

The scheduler hands each job to `run_task` through a handle, chosen once from the
settings by `make_handle`:

* `ExecutorHandle`: a local `spawn` process pool; it replaces a pool broken by a
  dead worker.
* `DaskExecutorHandle` (`kuafu serve --cluster tcp://HOST:8786`): submits to a
  `distributed.Client` with the job's priority, and turns every way Dask can lose a
  job (a killed worker, the scheduler connection gone) into `WorkerLostError`, so
  that the scheduler requeues the job like one whose local worker died.

Both hand back `concurrent.futures.Future`s: the scheduler does not know which runs.
Dask is imported only by `DaskExecutorHandle`.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import multiprocessing
import os
import time
import uuid
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .core.config import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Task:
    """What a worker needs to run one attempt of a job; rebuilt from the job's row."""

    job_id: str
    attempt: int
    qasm: str
    backend: str
    shots: int
    compile: bool
    seed: int | None
    delay: float = 0.0
    priority: int = 0


def run_task(task: Task) -> dict[str, Any]:
    """Run one attempt of a job in a worker; domain failures propagate as exceptions."""
    if task.delay:
        time.sleep(task.delay)
    from .services import execution

    return execution.run(task.qasm, task.backend, task.shots, task.compile, task.seed)


_WARM_UP = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
cx q[0],q[1];
measure q -> c;
"""


def warm_up() -> int:
    """Import the quantum core and run one tiny job in a worker, so that the first
    user's job does not pay for imports and JIT compilation."""
    from .services import execution

    try:
        names = execution.backend_names()
        execution.run(_WARM_UP, names[min(1, len(names) - 1)], 1, True, 0)
    except Exception:  # warming is an optimisation; a real job will report the problem
        logger.warning("worker warm-up failed", exc_info=True)
    return os.getpid()


class WorkerLostError(RuntimeError):
    """The worker of a job went away before answering (its machine died, or the
    cluster dropped the job): run the job again rather than fail it."""


class ClusterUnavailable(RuntimeError):
    """`--cluster` names no Dask scheduler that answers, or Dask is not installed."""


def is_worker_lost(exc: BaseException) -> bool:
    """Whether `exc` says the worker died (retry the job) rather than the job failed."""
    if isinstance(exc, BrokenProcessPool | WorkerLostError):
        return True
    return type(exc).__name__ in {"KilledWorker", "CommClosedError"}


def make_executor(workers: int) -> Executor:
    """The default executor: a pool of `workers` processes started fresh (`spawn`).

    `spawn` rather than `fork`: the server process runs threads (uvicorn, the
    scheduler), and forking a threaded process can deadlock the child.
    """
    return ProcessPoolExecutor(max_workers=workers,
                               mp_context=multiprocessing.get_context("spawn"))


def make_handle(settings: Settings) -> ExecutorHandle | DaskExecutorHandle:
    """The executor the settings ask for: the Dask cluster at `settings.cluster`, else
    a local pool of `settings.workers` processes.

    Raises:
        ClusterUnavailable: a cluster is named but does not answer.
    """
    if settings.cluster:
        return DaskExecutorHandle(settings.cluster, settings.cluster_connect_timeout)
    return ExecutorHandle(settings.workers)


class ExecutorHandle:
    """Owns the executor; makes a new pool when a dead worker has broken the old one."""

    kind = "local"
    cluster_workers: int | None = None  # not a cluster

    def __init__(self, workers: int, executor: Executor | None = None) -> None:
        self.workers = workers
        self._own = executor is None
        self.executor = executor or make_executor(workers)

    def submit(self, task: Task) -> Future:
        try:
            return self.executor.submit(run_task, task)
        except BrokenProcessPool:
            self.rebuild()
            return self.executor.submit(run_task, task)

    def warm(self, wait: float = 0) -> None:
        """Start every worker with a tiny job; wait up to `wait` s for them to finish."""
        futures = [self.executor.submit(warm_up) for _ in range(self.workers)]
        if wait:
            done, _ = concurrent.futures.wait(futures, timeout=wait)
            if len(done) < len(futures):
                logger.warning("workers still warming up after %.0f s", wait)

    def rebuild_if_broken(self) -> None:
        if getattr(self.executor, "_broken", False):
            self.rebuild()

    def rebuild(self) -> None:
        if not self._own:
            return
        logger.warning("a worker process died; starting a new process pool")
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor = make_executor(self.workers)
        self.warm()

    def worker_pids(self) -> list[int]:
        processes = getattr(self.executor, "_processes", None) or {}
        return sorted(processes)

    def shutdown(self) -> None:
        if self._own:
            self.executor.shutdown(wait=False, cancel_futures=True)


class DaskExecutorHandle:
    """Runs jobs on a Dask distributed cluster: `dask scheduler` plus any number of
    `dask worker` processes on machines that have Kuafu installed.

    Each attempt of a job is one Dask task, submitted with the job's priority (Dask,
    like Kuafu, runs higher numbers first) under a key naming the job and attempt.
    A worker that dies mid-job makes Dask run the task again elsewhere; the job's
    future still answers once, so it is recorded once. When Dask gives up (its
    `KilledWorker` after `distributed.scheduler.allowed-failures` deaths) or drops the
    task (the scheduler connection lost), the future fails with a worker-lost error
    and the scheduler requeues the job as one more attempt.

    Args:
        address: the Dask scheduler, e.g. `tcp://10.0.0.5:8786`.
        connect_timeout: seconds to wait for it before giving up.

    Raises:
        ClusterUnavailable: Dask is not installed, or nothing answers at `address`.
    """

    kind = "dask"
    _TOTALS_TTL = 1.0  # seconds a count of the cluster's workers is reused

    def __init__(self, address: str, connect_timeout: float = 10.0) -> None:
        self.address = address
        self.connect_timeout = connect_timeout
        self.client = self._connect(connect_timeout)
        self._totals = (0, 0)
        self._totals_at = -1e9

    def _connect(self, timeout: float) -> Any:
        try:
            from distributed import Client
        except ImportError as exc:
            raise ClusterUnavailable("--cluster needs Dask on the server: "
                                     "pip install 'kuafu-cloud[cluster]'") from exc
        try:
            return Client(self.address, timeout=timeout, set_as_default=False)
        except (OSError, ValueError, TypeError) as exc:
            raise ClusterUnavailable(
                f"no Dask scheduler answers at {self.address} within {timeout:g} s "
                f"({exc}); start one with `dask scheduler` (workers with "
                f"`dask worker {self.address}`), or leave out --cluster to run jobs "
                f"in a local process pool") from exc

    # ----- what the scheduler and the API ask -------------------------------------------
    @property
    def workers(self) -> int:
        """Threads in the cluster now, at least 1: jobs the scheduler keeps in flight
        are a multiple of it, and queue estimates divide by it."""
        return max(1, self._cluster_totals()[1])

    @property
    def cluster_workers(self) -> int:
        """Dask workers connected to the scheduler now (0 if it cannot be reached)."""
        return self._cluster_totals()[0]

    def _cluster_totals(self) -> tuple[int, int]:
        """(workers, threads) of the cluster, asked of the scheduler at most once a
        second and never waiting more than two seconds for it."""
        now = time.monotonic()
        if now - self._totals_at < self._TOTALS_TTL:
            return self._totals
        self._totals_at = now
        try:
            if self.client.status != "running":
                raise ConnectionError(f"Dask client is {self.client.status}")
            info = self.client.sync(self.client.scheduler.identity, n_workers=0,
                                    callback_timeout=2)
            self._totals = (int(info["n_workers"]), int(info["total_threads"]))
        except Exception as exc:  # a lost cluster reads as an empty one
            logger.debug("cannot count the Dask workers: %s", exc)
            self._totals = (0, 0)
        return self._totals

    # ----- running jobs -----------------------------------------------------------------
    def submit(self, task: Task) -> Future:
        """One Dask task for this attempt of the job, as a `concurrent.futures.Future`."""
        key = f"kuafu-job-{task.job_id}-{task.attempt}-{uuid.uuid4().hex[:8]}"
        dask_future = self.client.submit(run_task, task, key=key, priority=task.priority,
                                         pure=False)
        return self._bridge(dask_future)

    def _bridge(self, dask_future: Any) -> Future:
        """A standard future settled by the Dask one; cancelling it cancels the task."""
        future: Future = Future()

        def cancel_task(f: Future) -> None:
            if f.cancelled():
                dask_future.cancel(reason="cancelled by the user")

        future.add_done_callback(cancel_task)
        dask_future.add_done_callback(lambda df: _settle(future, df, self.connect_timeout))
        return future

    def warm(self, wait: float = 0) -> None:
        """Run a tiny job on every worker connected now (one task pinned to each);
        wait up to `wait` s for them. Workers that join later warm on their first job."""
        try:
            workers = list(self.client.scheduler_info(n_workers=-1)["workers"])
        except Exception:
            logger.warning("cannot list the Dask workers to warm them", exc_info=True)
            return
        if not workers:
            logger.warning("no Dask worker is connected to %s yet; jobs wait until one "
                           "joins (`dask worker %s`)", self.address, self.address)
            return
        futures = [self._bridge(self.client.submit(
            warm_up, key=f"kuafu-warm-up-{uuid.uuid4().hex[:8]}", workers=[w],
            allow_other_workers=False, pure=False, priority=100)) for w in workers]
        if wait:
            done, _ = concurrent.futures.wait(futures, timeout=wait)
            if len(done) < len(futures):
                logger.warning("Dask workers still warming up after %.0f s", wait)

    def rebuild_if_broken(self) -> None:
        """Connect again if Dask closed the client after failing to reconnect."""
        if self.client.status in ("closed", "closing"):
            self.rebuild()

    def rebuild(self) -> None:
        logger.warning("the Dask client closed; connecting to %s again", self.address)
        try:
            self.client = self._connect(min(self.connect_timeout, 2.0))
        except ClusterUnavailable as exc:
            logger.error("%s", exc)

    def worker_pids(self) -> list[int]:
        return []  # processes on other machines; see `cluster_workers`

    def shutdown(self) -> None:
        """Close the client: Dask forgets its tasks, and running jobs are requeued by
        the scheduler (a clean stop)."""
        try:
            self.client.close(timeout=5)
        except Exception:  # stopping anyway
            logger.warning("closing the Dask client failed", exc_info=True)


def _settle(future: Future, dask_future: Any, timeout: float) -> None:
    """Pass a finished Dask future's outcome on: result, the job's own exception, or
    `WorkerLostError` for a task Dask dropped or whose result it cannot fetch."""
    try:
        status = dask_future.status
        if status == "finished":
            try:
                outcome: Any = dask_future.result(timeout=timeout)
            except Exception as exc:  # the result was on a worker that died meanwhile
                _set_exception(future, WorkerLostError(f"result lost with its worker: {exc}"))
                return
            _set_result(future, outcome)
        elif status == "cancelled":
            _set_exception(future, WorkerLostError(
                f"the Dask cluster dropped the job ({_cancel_reason(dask_future, timeout)})"))
        else:  # error: the job's exception, or KilledWorker
            _set_exception(future, dask_future.exception(timeout=timeout))
    except Exception as exc:  # the future must settle, or its job stays running
        _set_exception(future, WorkerLostError(f"no answer from the Dask cluster: {exc}"))
    finally:
        dask_future.release()


def _cancel_reason(dask_future: Any, timeout: float) -> str:
    """Why Dask cancelled a task, e.g. `scheduler-connection-lost`."""
    try:
        dask_future.result(timeout=timeout)
    except BaseException as exc:  # Dask's FutureCancelledError carries the reason
        return str(getattr(exc, "reason", type(exc).__name__))
    return "unknown"


def _set_result(future: Future, value: Any) -> None:
    with contextlib.suppress(concurrent.futures.InvalidStateError):  # cancelled by the user
        future.set_result(value)


def _set_exception(future: Future, exc: BaseException) -> None:
    with contextlib.suppress(concurrent.futures.InvalidStateError):
        future.set_exception(exc)
