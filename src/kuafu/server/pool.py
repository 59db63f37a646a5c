"""The local executor: worker processes that can stop one job without disturbing others.

Why not `concurrent.futures.ProcessPoolExecutor`: one worker's death breaks it as a
whole (every job in it fails and the other workers are terminated), a job can be
cancelled only while it has not reached the pool's call queue, and nothing says when
a worker actually starts a job. Here each worker is a `spawn`ed process with a pipe of
its own, served by one thread of the server that hands it one job at a time from the
pool's queue. So:

* a job runs exactly while a worker holds it: its future turns `running`, and its
  `on_start` is called, as it is handed over; a job still in the queue is cancelled
  like any future's;
* `stop(future)` kills the one process running that job; its thread starts a fresh
  worker, and the other workers carry on with their jobs;
* a worker that dies fails its one job with `WorkerLostError` and is replaced;
* workers do not outlive the server: `shutdown` kills them, and a worker whose server
  dies (even by SIGKILL) is killed by the kernel (`PR_SET_PDEATHSIG` on Linux) or,
  elsewhere, exits within a second when a thread of its own sees its parent gone.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

START_TIMEOUT = 180.0
"""Seconds a new worker may take to import the quantum core and warm up."""
FIRST_WORKER_HEAD_START = 10.0
"""Seconds the other workers wait, at most, for the first one to warm up before they
start: on a small machine the first job then gets a warm worker sooner (the others
warm while it runs; they would otherwise share the cores with it and the server)."""
PARENT_CHECK_SECONDS = 1.0
"""How often a worker's fallback thread looks whether its server still lives."""
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


class WorkerLostError(RuntimeError):
    """The worker of a job went away before answering (its process or machine died,
    or the cluster dropped the job): run the job again rather than fail it."""


class JobStopped(RuntimeError):
    """The job's worker was killed on purpose (`WorkerPool.stop`): the job was
    cancelled, or stopped past its run-time limit."""


@dataclass
class _Item:
    future: Future
    fn: Callable[..., Any]
    args: tuple
    kwargs: dict[str, Any] = field(default_factory=dict)
    on_start: Callable[[], None] | None = None


class WorkerPool(Executor):
    """`workers` processes started fresh (`spawn`), each running one job at a time.

    `spawn` rather than `fork`: the server process runs threads (uvicorn, the
    scheduler), and forking a threaded process can deadlock the child.

    Args:
        workers: processes.
        initializer: called in each new worker before it takes a job (e.g. to import
            and warm up the engines), so a replaced worker is ready like the first.
    """

    def __init__(self, workers: int, initializer: Callable[[], Any] | None = None) -> None:
        if workers < 1:
            raise ValueError("a pool needs at least one worker")
        # the workers are the unit of parallelism: one BLAS thread each (read by numpy's
        # OpenBLAS as a spawned worker imports it; the MPS engine's SVDs ran 10-100x
        # slower with BLAS threads fighting the other workers for the cores)
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        # likewise the compiler's SABRE trials (kuafu.compiler.sabre.workers)
        os.environ.setdefault("KUAFU_COMPILER_THREADS", "1")
        self._context = multiprocessing.get_context("spawn")
        self._initializer = initializer
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        self._slots = [_Slot(self, i) for i in range(workers)]
        self._first_ready = self._slots[0].ready
        for slot in self._slots:
            slot.thread.start()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        return self.submit_observed(None, fn, *args, **kwargs)

    def submit_observed(self, on_start: Callable[[], None] | None,
                        fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """`submit`, calling `on_start()` as a worker starts the job (not if it is
        cancelled before)."""
        future: Future = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot submit to a pool that was shut down")
            self._queue.put(_Item(future, fn, args, kwargs, on_start))
        return future

    def stop(self, future: Future) -> bool:
        """Cancel the job of `future`, killing its worker if it runs (the worker is
        replaced; the future fails with `JobStopped`). Returns whether it was running."""
        if future.cancel():
            return False
        with self._lock:
            for slot in self._slots:
                if slot.item is not None and slot.item.future is future:
                    slot.stopping = True
                    slot.kill()
                    return True
        return False

    def wait_ready(self, timeout: float, *, every: bool = True) -> bool:
        """Wait until every worker (or, with `every=False`, the first) has started and
        warmed up; False after `timeout` s."""
        slots = self._slots if every else self._slots[:1]
        deadline = time.monotonic() + timeout
        return all(slot.ready.wait(max(0.0, deadline - time.monotonic())) for slot in slots)

    def pids(self) -> list[int]:
        return sorted(p.pid for s in self._slots if (p := s.process) is not None and p.pid)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Kill the workers (their jobs fail as lost; a clean stop of the server
        requeues them from the store) and cancel the jobs no worker started."""
        with self._lock:
            self._closed = True
            for slot in self._slots:
                slot.kill()
        while True:  # jobs no worker started: cancelled (`cancel_futures` or not)
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                item.future.cancel()
        for _ in self._slots:
            self._queue.put(None)
        if wait:
            for slot in self._slots:
                slot.thread.join(timeout=10)


class _Slot:
    """One worker process and the server thread that feeds it, replacing it when it
    dies or is killed."""

    def __init__(self, pool: WorkerPool, index: int) -> None:
        self.pool = pool
        self.index = index
        self.process: Any = None
        self.conn: Any = None
        self.item: _Item | None = None  # the job the worker runs now
        self.stopping = False  # the worker is being killed on purpose
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._serve, name=f"kuafu-worker-{index}",
                                       daemon=True)

    def _serve(self) -> None:
        # the worker is started here, not by the caller's thread: Linux's parent-death
        # signal fires when the thread that started a process ends
        if self.index > 0:  # the first worker warms up first (FIRST_WORKER_HEAD_START)
            self.pool._first_ready.wait(FIRST_WORKER_HEAD_START)
        try:
            while not self.pool._closed:
                if self.process is None and not self._start():
                    time.sleep(1.0)
                    continue
                item = self.pool._queue.get()
                if item is None:
                    break
                if not self.process.is_alive():  # died while idle: not this job's fault
                    self._reap()
                    while self.process is None and not self.pool._closed:
                        if not self._start():
                            time.sleep(1.0)
                if not item.future.set_running_or_notify_cancel():
                    continue
                with self.pool._lock:
                    if self.pool._closed:
                        item.future.set_exception(WorkerLostError("the pool was shut down"))
                        break
                    self.item = item
                if item.on_start is not None:
                    try:
                        item.on_start()
                    except Exception:
                        logger.exception("a job's start callback failed")
                self._run(item)
        finally:
            self.kill()
            self._reap()

    def _start(self) -> bool:
        context = self.pool._context
        ours, theirs = context.Pipe()
        process = context.Process(target=_worker_main, name="kuafu-worker", daemon=True,
                                  args=(theirs, os.getpid(), self.pool._initializer))
        try:
            process.start()
        except OSError:
            logger.exception("cannot start a worker process")
            return False
        finally:
            theirs.close()
        with self.pool._lock:
            self.process, self.conn = process, ours
            if self.pool._closed:
                return False
        try:
            if not ours.poll(START_TIMEOUT):
                raise TimeoutError(f"no answer within {START_TIMEOUT:g} s")
            ours.recv()  # ready
        except (OSError, EOFError, TimeoutError) as exc:
            if not self.pool._closed:
                logger.error("a worker process failed to start (%s)", exc)
            self.kill()
            self._reap()
            return False
        self.ready.set()
        return True

    def _run(self, item: _Item) -> None:
        try:
            self.conn.send((item.fn, item.args, item.kwargs))
            ok, value = self.conn.recv()
        except (OSError, EOFError):
            with self.pool._lock:
                stopped, self.item = self.stopping, None
            self._reap()
            if stopped:
                item.future.set_exception(JobStopped("the job's worker was stopped"))
            else:
                item.future.set_exception(WorkerLostError(
                    f"the worker process died (exit code {self._exitcode})"))
            return
        except Exception as exc:  # the job itself cannot be sent (not picklable)
            with self.pool._lock:
                self.item = None
            item.future.set_exception(exc)
            return
        with self.pool._lock:
            self.item = None
            killed = self.stopping  # stopped just as it answered: the process is gone
        if killed:
            self._reap()
        if ok:
            item.future.set_result(value)
        else:
            item.future.set_exception(value)

    _exitcode: int | None = None

    def kill(self) -> None:
        """SIGKILL the worker (callers hold the pool's lock or own the slot)."""
        if self.process is not None:
            with contextlib.suppress(Exception):
                self.process.kill()

    def _reap(self) -> None:
        """Forget a dead (or killed) worker; the next job starts a new one."""
        with self.pool._lock:
            process, conn, self.process, self.conn = self.process, self.conn, None, None
            self.stopping = False
        self.ready.clear()
        if conn is not None:
            conn.close()
        if process is not None:
            process.join(timeout=5)
            self._exitcode = process.exitcode
            with contextlib.suppress(ValueError):
                process.close()


def _worker_main(conn: Any, parent: int, initializer: Callable[[], Any] | None) -> None:
    """A worker: run what the server sends, one job at a time, until the pipe closes."""
    _die_with_parent(parent)
    # Ctrl-C reaches the whole process group; the server stops its workers itself
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if initializer is not None:
        initializer()
    conn.send("ready")
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        fn, args, kwargs = message
        try:
            answer = (True, fn(*args, **kwargs))
        except BaseException as exc:  # the job's failure, reported to the server
            answer = (False, exc)
        try:
            conn.send(answer)
        except (EOFError, OSError):
            return
        except Exception as exc:  # the answer does not pickle
            conn.send((False, RuntimeError(f"the job's answer cannot be sent back: {exc}")))


def _die_with_parent(parent: int) -> None:
    """End this process when the server (`parent`) dies, however it dies."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no prctl: the thread below still watches
            pass
    if os.getppid() != parent:  # it died before the signal was armed
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), name="kuafu-parent-watch",
                     daemon=True).start()


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(PARENT_CHECK_SECONDS)
        if os.getppid() != parent:  # re-parented: the server is gone
            os._exit(1)
