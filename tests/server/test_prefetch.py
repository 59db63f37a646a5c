"""The scheduler keeps more short jobs in the executor than long ones (`capacity`):
enough that a worker does not wait for the next pass, never more than ~20 ms of work
per worker ahead of a later job of higher priority. A real platform, in process."""

from __future__ import annotations

import time

import pytest

from kuafu.schemas import JobCreate
from kuafu.server.core.config import Settings
from kuafu.server.models import Job
from kuafu.server.services import accounts, jobs
from kuafu.server.services.platform import Platform
from kuafu.server.services.scheduler import MAX_PREFETCH, PREFETCH_SECONDS
from kuafu.server.testing import create_user

from .conftest import BELL


def _run_jobs(platform: Platform, token: str, n: int) -> list[dict]:
    with platform.db.transaction() as session:
        user, _ = accounts.authenticate(session, token)
    body = JobCreate(qasm=[BELL] * n, backend="ScQ-P10", shots=100)
    with platform.db.session_factory() as session:
        ids, _ = jobs.submit(platform, session, user, body)
    platform.scheduler.wake()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with platform.db.transaction() as session:
            rows = [session.get(Job, i) for i in ids]
            if all(r.status == "done" for r in rows):
                return [r.result for r in rows]
        time.sleep(0.05)
    pytest.fail("jobs did not finish")


@pytest.mark.parametrize("delay", [0.0, 0.05])
def test_capacity_follows_the_run_time_of_recent_jobs(tmp_path, delay):
    url = f"sqlite:///{tmp_path / 'kuafu.db'}"
    token = create_user(url)
    platform = Platform.create(Settings(database_url=url, workers=1, prefetch=2,
                                        worker_delay=delay))
    platform.start()
    try:
        assert platform.scheduler.capacity == 2  # nothing known yet: the setting
        results = _run_jobs(platform, token, 12)
        times = [r["timings"]["worker"] for r in results]
        assert all(t >= delay for t in times)
        # as many jobs as take PREFETCH_SECONDS by their measured run time (a loaded
        # machine runs a Bell job in more than the 2.5 ms that allow MAX_PREFETCH)
        per_worker = max(2, min(MAX_PREFETCH, int(PREFETCH_SECONDS / (sum(times) / 12))))
        if delay:
            assert per_worker == 2  # long jobs: no more than the setting
        assert platform.scheduler.capacity == per_worker
    finally:
        platform.stop()
