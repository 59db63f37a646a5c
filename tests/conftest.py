"""Fixtures shared by every test package, and the check that the run leaves no process.

Every process the run starts carries `KUAFU_TEST_SESSION` in its environment (set
here, inherited by servers, their workers and pytest-xdist's workers). At the end of
the run, a worker process of this run whose parent is gone (a server that was killed
or stopped without it) fails the run: a server, however it stops, must take its
workers with it (docs/reliability.md).
"""

from __future__ import annotations

import os
import time
import uuid

# one BLAS thread per test process (set before numpy loads, inherited by xdist's workers
# and the servers they start): two processes' BLAS threads on two cores made SVD-bound
# tests (the MPS engine) 10-100x slower
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import pytest

from kuafu.server.testing import require, store_url

SESSION_MARK = "KUAFU_TEST_SESSION"
ORPHAN_GRACE_SECONDS = 15.0
"""How long orphaned workers may take to notice their server is gone and exit."""


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator, so every random test is reproducible."""
    return np.random.default_rng(20261125)


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the run itself, not an xdist worker
        os.environ[SESSION_MARK] = uuid.uuid4().hex


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if hasattr(session.config, "workerinput"):  # the controller checks once, at the end
        return
    left = orphans(os.environ[SESSION_MARK], wait=ORPHAN_GRACE_SECONDS)
    if not left:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    lines = [f"{len(left)} worker process(es) of this test run outlived their server:"]
    lines += [f"  pid {pid}: {cmd}" for pid, cmd in left]
    for line in lines:
        if reporter is not None:
            reporter.write_line(line, red=True)
        else:
            print(line)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


def orphans(mark: str, wait: float = 0.0) -> list[tuple[int, str]]:
    """Multiprocessing processes started by this run (their environment holds `mark`)
    whose parent is not a process of this run; waits up to `wait` s for them to go."""
    import psutil

    deadline = time.monotonic() + wait
    while True:
        ours = {}
        for p in psutil.process_iter(["pid", "ppid", "cmdline", "environ", "status"]):
            env = p.info["environ"] or {}
            if env.get(SESSION_MARK) == mark and p.info["status"] != psutil.STATUS_ZOMBIE:
                ours[p.info["pid"]] = p.info
        # this process set the mark after it started: its own environ lacks it
        parents = {*ours, os.getpid()}
        left = [(pid, " ".join(info["cmdline"] or [])) for pid, info in ours.items()
                if info["ppid"] not in parents
                and "multiprocessing" in " ".join(info["cmdline"] or [])]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.5)


CHROMIUM = os.environ.get("KUAFU_TEST_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright (never a downloaded browser), one per
    test process: a second `sync_playwright` in the same process fails, so every browser
    test (console, quafu-sdk's login) shares this one. Missing Chromium skips the test
    locally and fails it under CI (CI=true)."""
    require(os.path.exists(CHROMIUM), f"{CHROMIUM} is missing (run scripts/ensure-chromium.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


# ----- stores: every service test runs on SQLite and on PostgreSQL ----------------------
@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def store_kind(request) -> str:
    """Which store a test's server uses; tests that ask for it run once with each."""
    return request.param


@pytest.fixture()
def fresh_store(store_kind, tmp_path_factory):
    """A store for one test that starts (and stops, or kills) servers of its own."""
    yield from store_url(store_kind, tmp_path_factory)
