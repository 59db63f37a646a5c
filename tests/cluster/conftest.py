"""A real Dask cluster on loopback for the scale-out tests: `dask scheduler` and
`dask worker` processes of this venv (so workers import this checkout of Kuafu).

Workers run without a nanny (`--no-nanny`): a SIGKILLed worker stays dead, like a
machine that went away, instead of being restarted.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

# the test modules import these from here
from helpers import BELL as BELL
from helpers import GHZ3 as GHZ3
from kuafu.server.testing import free_port

DASK = str(Path(sys.executable).with_name("dask"))


class DaskCluster:
    """A `dask scheduler` and `dask worker --nthreads 1` processes on loopback.

    Args:
        workdir: where logs and the workers' scratch directories go.
        env: extra environment for the scheduler (e.g. `DASK_DISTRIBUTED__...`).
    """

    def __init__(self, workdir: Path, env: dict[str, str] | None = None) -> None:
        self.workdir = workdir
        self.env = {**os.environ, **(env or {})}
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.scheduler: subprocess.Popen | None = None
        self.workers: dict[str, subprocess.Popen] = {}
        self._named = 0

    def start(self, workers: int = 2, timeout: float = 60.0) -> DaskCluster:
        self.start_scheduler(timeout)
        for _ in range(workers):
            self.add_worker()
        self.wait_for_workers(workers, timeout)
        return self

    def start_scheduler(self, timeout: float = 60.0) -> None:
        """Start the scheduler (again, after `kill_scheduler`) on the same port."""
        self.scheduler = self._spawn("scheduler", [
            DASK, "scheduler", "--host", "127.0.0.1", "--port", str(self.port),
            "--no-dashboard"])
        deadline = time.monotonic() + timeout
        while not _listening(self.port):
            if self.scheduler.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"dask scheduler did not start; see {self.workdir}")
            time.sleep(0.1)

    def add_worker(self) -> str:
        """Start one more worker; returns its name."""
        name = f"w{self._named}"
        self._named += 1
        self.workers[name] = self._spawn(name, [
            DASK, "worker", self.address, "--name", name, "--nthreads", "1", "--no-nanny",
            "--no-dashboard", "--host", "127.0.0.1",
            "--local-directory", str(self.workdir / name)])
        return name

    def kill_worker(self, name: str) -> None:
        """SIGKILL a worker, as if its machine died."""
        process = self.workers.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    def kill_scheduler(self) -> None:
        assert self.scheduler is not None
        self.scheduler.send_signal(signal.SIGKILL)
        self.scheduler.wait(timeout=30)

    def kill_workers(self) -> None:
        for name in list(self.workers):
            self.kill_worker(name)

    def client(self, timeout: float = 10.0):
        from distributed import Client

        return Client(self.address, timeout=timeout, set_as_default=False)

    def wait_for_workers(self, n: int, timeout: float = 60.0) -> None:
        """Until exactly `n` workers are connected (a killed one has been noticed)."""
        with self.client() as client:
            deadline = time.monotonic() + timeout
            while len(client.scheduler_info(n_workers=-1)["workers"]) != n:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the cluster did not reach {n} workers; "
                                       f"see {self.workdir}")
                time.sleep(0.1)

    def ensure_workers(self, n: int) -> None:
        while len(self.workers) < n:
            self.add_worker()
        self.wait_for_workers(n)

    def stop(self) -> None:
        processes = [*self.workers.values(), self.scheduler]
        for process in processes:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            if process is None:
                continue
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        self.workers.clear()

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 (kept by the child)
        return subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)

    def __enter__(self) -> DaskCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _listening(port: int) -> bool:
    with contextlib.closing(socket.socket()) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="package")
def cluster(tmp_path_factory) -> Iterator[DaskCluster]:
    """A scheduler and two one-thread workers shared by these tests; a test that kills
    workers starts new ones with `ensure_workers`."""
    with DaskCluster(tmp_path_factory.mktemp("dask")) as running:
        yield running
