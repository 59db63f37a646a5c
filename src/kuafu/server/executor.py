"""Where jobs run: a local process pool, or a Dask distributed cluster.

The scheduler hands each job to `run_task` through a handle, chosen once from the
settings by `make_handle`:

* `ExecutorHandle`: a local `WorkerPool` of `spawn`ed processes (`kuafu.server.pool`):
  it says when a worker starts a job, stops one job by killing its worker, and
  replaces a worker that died or was killed without disturbing the others.
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
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .pool import JobStopped, WorkerLostError, WorkerPool

if TYPE_CHECKING:
    from .core.config import Settings

__all__ = ["ClusterUnavailable", "DaskExecutorHandle", "ExecutorHandle", "JobStopped",
           "RunTimeExceeded", "Task", "WorkerLostError", "is_worker_lost", "make_handle",
           "run_task", "warm_up"]

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
    time_limit: float | None = None


class RunTimeExceeded(RuntimeError):
    """The job ran past the run-time limit and was stopped (it is failed, not retried:
    it would only run too long again)."""

    def __init__(self, limit: float) -> None:
        super().__init__(f"stopped after running past the run-time limit of {limit:g} s")
        self.limit = limit

    def __reduce__(self) -> tuple:  # from the worker process back to the server
        return (type(self), (self.limit,))


def run_task(task: Task) -> dict[str, Any]:
    """Run one attempt of a job in a worker; domain failures propagate as exceptions."""
    started = time.perf_counter()
    with _time_limit(task.time_limit):
        if task.delay:
            time.sleep(task.delay)
        from .services import execution

        result = execution.run(task.qasm, task.backend, task.shots, task.compile, task.seed)
    # the whole job in the worker (the scheduler sizes its prefetch and estimates by it)
    result["durations"]["worker"] = time.perf_counter() - started
    return result


@contextlib.contextmanager
def _time_limit(seconds: float | None) -> Iterator[None]:
    """Raise `RunTimeExceeded` in the job once it has run `seconds`.

    A timer signal reaches only the main thread of a process: the workers of the local
    pool. The engines return to Python between gates (numba kernels, stim calls), so
    the job stops within about one gate's time. Dask runs jobs in worker threads, which
    no signal reaches; there, and for a job stuck in one long C call, the scheduler's
    watchdog fails the job instead (`Scheduler._enforce_run_time`).
    """
    if (not seconds or not hasattr(signal, "setitimer")
            or threading.current_thread() is not threading.main_thread()):
        yield
        return

    def stop(_signum: int, _frame: Any) -> None:
        raise RunTimeExceeded(seconds)

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


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


class ClusterUnavailable(RuntimeError):
    """`--cluster` names no Dask scheduler that answers, or Dask is not installed."""


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
        return DaskExecutorHandle(settings.cluster, settings.cluster_connect_timeout)
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
        """Wait up to `wait` s for every worker to start and warm up (each runs
        `warm_up` before its first job, a replaced one too)."""
        if wait and not self.executor.wait_ready(wait):
            logger.warning("workers still warming up after %.0f s", wait)

    def rebuild_if_broken(self) -> None:
        """Nothing to do: the pool replaces a dead worker by itself."""

    def worker_pids(self) -> list[int]:
        return self.executor.pids()

    def shutdown(self) -> None:
        """Kill the workers; the scheduler requeues what they ran (a clean stop)."""
        self.executor.shutdown(wait=True, cancel_futures=True)


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
    _RECONNECT_EVERY = 5.0  # seconds between tries to reach a lost scheduler

    def __init__(self, address: str, connect_timeout: float = 10.0) -> None:
        self.address = address
        self.connect_timeout = connect_timeout
        self.client = self._connect(connect_timeout)
        self._totals = (0, 0)
        self._totals_at = -1e9
        self._closing = threading.Event()
        self._reconnecting: threading.Thread | None = None

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
        """Threads in the cluster now; 0 while no worker is connected or the scheduler
        is out of reach, so that jobs wait in Kuafu's queue rather than in Dask's."""
        return self._cluster_totals()[1]

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
                self._reconnect_if_closed()
                raise ConnectionError(f"Dask client is {self.client.status}")
            info = self.client.sync(self.client.scheduler.identity, n_workers=0,
                                    callback_timeout=2)
            self._totals = (int(info["n_workers"]), int(info["total_threads"]))
        except Exception as exc:  # a lost cluster reads as an empty one
            logger.debug("cannot count the Dask workers: %s", exc)
            self._totals = (0, 0)
        return self._totals

    # ----- running jobs -----------------------------------------------------------------
    def submit(self, task: Task, on_start: Callable[[], None] | None = None) -> Future:
        """One Dask task for this attempt of the job, as a `concurrent.futures.Future`.

        The client is not told when a Dask worker starts the task, so `on_start()` is
        called as it is handed to the cluster.

        Raises:
            WorkerLostError: the scheduler is out of reach (the job is requeued).
        """
        if self.client.status != "running":
            raise WorkerLostError(f"not connected to the Dask scheduler at {self.address}")
        key = f"kuafu-job-{task.job_id}-{task.attempt}-{uuid.uuid4().hex[:8]}"
        dask_future = self.client.submit(run_task, task, key=key, priority=task.priority,
                                         pure=False)
        if on_start is not None:
            on_start()
        return self._bridge(dask_future)

    def stop(self, future: Future) -> bool:
        """Cancel the job's Dask task. A thread already running it finishes (no signal
        reaches it) and its answer is ignored; returns False (the client cannot tell
        whether it ran)."""
        future.cancel()
        return False

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
        self._reconnect_if_closed()

    def _reconnect_if_closed(self) -> None:
        """Dask's client retries a lost scheduler for `connect_timeout` s, then closes;
        from then on a background thread tries again every few seconds."""
        if self.client.status not in ("closed", "closing") or self._closing.is_set():
            return
        if self._reconnecting is not None and self._reconnecting.is_alive():
            return
        logger.error("lost the Dask scheduler at %s; jobs wait in the queue until it "
                     "answers again", self.address)
        self._reconnecting = threading.Thread(target=self._reconnect, daemon=True,
                                              name="kuafu-dask-reconnect")
        self._reconnecting.start()

    def _reconnect(self) -> None:
        while not self._closing.wait(self._RECONNECT_EVERY):
            try:
                client = self._connect(self.connect_timeout)
            except ClusterUnavailable:
                continue
            if self._closing.is_set():
                client.close()
                return
            self.client = client
            logger.warning("connected to the Dask scheduler at %s again", self.address)
            return

    def worker_pids(self) -> list[int]:
        return []  # processes on other machines; see `cluster_workers`

    def shutdown(self) -> None:
        """Close the client: Dask forgets its tasks, and running jobs are requeued by
        the scheduler (a clean stop)."""
        self._closing.set()
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
