"""What a worker process runs: one attempt of a job (`run_task`), within the run-time
limit, after warming up (`warm_up`). The executors (`kuafu.server.executor`, and
`kuafu.server.dask_executor` on a cluster) hand `Task`s to it; it reaches the quantum
core through `core.quantum` only.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .core import quantum

__all__ = ["RunTimeExceeded", "Task", "run_task", "time_limit", "warm_up"]

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
    # where on its chip's calibration timeline it runs (`backends.timeline.
    # CalibrationPoint.to_dict`); None for a backend that does not drift (issue 18)
    calibration: dict[str, Any] | None = None


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
    with time_limit(task.time_limit):
        if task.delay:
            time.sleep(task.delay)
        result = quantum.run(task.qasm, task.backend, task.shots, task.compile, task.seed,
                             calibration=task.calibration)
    # the whole job in the worker (the scheduler sizes its prefetch and estimates by it)
    result["timings"]["worker"] = time.perf_counter() - started
    return result


@contextlib.contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
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
    try:
        names = quantum.backend_names()
        quantum.run(_WARM_UP, names[min(1, len(names) - 1)], 1, True, 0)
    except Exception:  # warming is an optimisation; a real job will report the problem
        logger.warning("worker warm-up failed", exc_info=True)
    return os.getpid()
