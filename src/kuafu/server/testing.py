"""Helpers for tests that drive a real server: a live uvicorn subprocess, users, stores.

Used by Kuafu's own tests (server, client, CLI, and later the Quafu API and the
console); nothing here runs in production.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import httpx

POSTGRES_ADMIN_URL = os.environ.get("KUAFU_TEST_POSTGRES",
                                    "postgresql://postgres@127.0.0.1:5432/test")


def require(available: bool, message: str) -> None:
    """What a test does when something it needs is missing (PostgreSQL, Chromium, the
    pyquafu or quafu-sdk environment): skip locally, fail under CI (`CI=true`), where
    everything must be installed. `message` says what is missing and how to get it.
    The one home of this rule: every such fixture calls it."""
    import pytest

    if available:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """`kuafu serve` in a subprocess on a loopback port.

    Args:
        database_url: the store.
        workers: worker processes.
        env: extra environment (`KUAFU_*` settings such as `KUAFU_WORKER_DELAY`).
        log: file to append the server's output to (default: discarded).
        log_level: the server's log level ("debug" adds uvicorn's access log).
    """

    def __init__(self, database_url: str, workers: int = 2, env: dict[str, str] | None = None,
                 log: Path | None = None, log_level: str = "warning") -> None:
        self.database_url = database_url
        self.workers = workers
        self.env = env or {}
        self.log = log
        self.log_level = log_level
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180.0) -> LiveServer:
        env = {**os.environ, **self.env, "PYTHONUNBUFFERED": "1"}
        # the server writes to its own copy of the log's descriptor: ours is closed
        with open(self.log, "ab") if self.log else contextlib.nullcontext(
                subprocess.DEVNULL) as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "kuafu.cli", "serve", "--port", str(self.port),
                 "--database", self.database_url, "--workers", str(self.workers),
                 "--log-level", self.log_level],
                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"kuafu serve exited with {self.process.returncode}"
                                   + (f"; see {self.log}" if self.log else ""))
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"kuafu serve did not answer within {timeout} s")

    def pool_workers(self) -> list:
        """The server's worker processes (psutil, a test dependency), not the
        multiprocessing resource tracker."""
        import psutil

        children = psutil.Process(self.process.pid).children(recursive=True)
        return [p for p in children if "resource_tracker" not in " ".join(p.cmdline())]

    def kill(self) -> None:
        """SIGKILL the server process alone (its workers notice and exit)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        """Stop gracefully; kill the whole process group if that takes too long."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)  # workers left by a killed server

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def create_user(database_url: str, name: str | None = None, admin: bool = False,
                expires_in_days: float | None = None) -> str:
    """Make a user straight in the store; returns a token of theirs."""
    from .core.db import Database
    from .services import accounts

    db = Database(database_url)
    try:
        db.migrate()
        with db.transaction() as session:
            user = accounts.create_user(session, name or f"user-{uuid.uuid4().hex[:8]}", admin)
            _row, secret = accounts.create_token(session, user, "test", expires_in_days)
    finally:
        db.dispose()
    return secret


def postgres_available(admin_url: str = POSTGRES_ADMIN_URL) -> bool:
    import psycopg

    try:
        with psycopg.connect(_libpq(admin_url), connect_timeout=3):
            return True
    except psycopg.Error:
        return False


@contextmanager
def postgres_database(admin_url: str = POSTGRES_ADMIN_URL) -> Iterator[str]:
    """A fresh, uniquely named PostgreSQL database for one test session, dropped after."""
    import psycopg

    name = f"kuafu_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def store_url(kind: str, tmp_path_factory) -> Iterator[str]:
    """Generator for a pytest fixture: a fresh `sqlite` file or `postgresql` database.

    PostgreSQL missing: the test is skipped, or failed when `CI=true` (`require`).
    """
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('store') / 'kuafu.db'}"
        return
    require(postgres_available(), "PostgreSQL is not reachable at 127.0.0.1:5432 "
            "(run scripts/ensure-postgres.sh)")
    with postgres_database() as url:
        yield url
