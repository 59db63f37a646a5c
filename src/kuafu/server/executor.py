"""Where jobs run: any `concurrent.futures.Executor`; by default a local process pool.

The scheduler hands each job to `run_task` through an `ExecutorHandle`, which can
replace a process pool broken by a dead worker. A Dask cluster's executor (issue 6)
plugs in through `make_executor` without the scheduler knowing.
"""

from __future__ import annotations

import concurrent.futures
import logging
import multiprocessing
import os
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

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


def is_worker_lost(exc: BaseException) -> bool:
    """Whether `exc` says the worker died (retry the job) rather than the job failed."""
    if isinstance(exc, BrokenProcessPool):
        return True
    return type(exc).__name__ in {"KilledWorker", "CommClosedError"}


def make_executor(workers: int) -> Executor:
    """The default executor: a pool of `workers` processes started fresh (`spawn`).

    `spawn` rather than `fork`: the server process runs threads (uvicorn, the
    scheduler), and forking a threaded process can deadlock the child.
    """
    return ProcessPoolExecutor(max_workers=workers,
                               mp_context=multiprocessing.get_context("spawn"))


class ExecutorHandle:
    """Owns the executor; makes a new pool when a dead worker has broken the old one."""

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
