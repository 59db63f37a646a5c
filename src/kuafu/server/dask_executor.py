"""Jobs on a Dask distributed cluster (`kuafu serve --cluster tcp://HOST:8786`): the
executor handle the scheduler uses there (see `kuafu.server.executor`)."""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from .pool import WorkerLostError
from .worker import Task, run_task, warm_up

__all__ = ["ClusterUnavailable", "DaskExecutorHandle"]

logger = logging.getLogger(__name__)


class ClusterUnavailable(RuntimeError):
    """`--cluster` names no Dask scheduler that answers, or Dask is not installed."""


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
