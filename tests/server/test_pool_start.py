"""The local pool warms its first worker before the others start (a restart's first job
gets a warm worker sooner on a small machine), and the server waits only for that one."""

from __future__ import annotations

import time
from functools import partial

from kuafu.server.pool import WorkerPool


def _ready_times(pool: WorkerPool, timeout: float = 60) -> list[float]:
    """When each worker became ready (monotonic), polled every 10 ms."""
    start = time.monotonic()
    seen: dict[int, float] = {}
    while len(seen) < len(pool._slots) and time.monotonic() - start < timeout:
        for i, slot in enumerate(pool._slots):
            if i not in seen and slot.ready.is_set():
                seen[i] = time.monotonic()
        time.sleep(0.01)
    return [seen.get(i, float("inf")) for i in range(len(pool._slots))]


def test_the_second_worker_starts_once_the_first_is_warm():
    pool = WorkerPool(2, initializer=partial(time.sleep, 0.5))  # a warm-up of 0.5 s
    try:
        assert pool.wait_ready(60, every=False)
        first, second = _ready_times(pool)
        assert second - first >= 0.4  # its own warm-up began when the first was ready
        assert pool.submit(sum, [1, 2]).result(timeout=30) == 3
        assert pool.wait_ready(60)
    finally:
        pool.shutdown()
