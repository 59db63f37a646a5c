"""Fixtures for the reliability and security tests: live servers on SQLite and PostgreSQL.

Every server here is the real `kuafu serve` (uvicorn in a subprocess, worker processes,
the real store); tests drive it with plain httpx as any client would.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from helpers import BELL as BELL  # the test modules import it from here
from kuafu.server.testing import LiveServer, create_user, store_url

FINAL = ("done", "failed", "cancelled")


def api(server: LiveServer, token: str | None, timeout: float = 60) -> httpx.Client:
    """An httpx client on the server's `/api/v1`, with `token` if given."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=f"{server.url}/api/v1", headers=headers, timeout=timeout)


def wait_final(client: httpx.Client, job_id: str, timeout: float = 180) -> dict:
    """The job once it has ended (long polls; a 503 while the store is away is retried)."""
    deadline = time.monotonic() + timeout
    job: dict = {}
    while time.monotonic() < deadline:
        try:
            r = client.get(f"/jobs/{job_id}", params={"wait": 5})
        except httpx.TransportError:  # the server is restarting
            time.sleep(0.5)
            continue
        if r.status_code == 503:
            time.sleep(0.5)
            continue
        assert r.status_code == 200, r.text
        job = r.json()
        if job["status"] in FINAL:
            return job
    raise AssertionError(f"job {job_id} did not end within {timeout} s: {job}")


@pytest.fixture(scope="session")
def store(store_kind, tmp_path_factory) -> Iterator[str]:
    """A fresh store for the shared server `live`."""
    yield from store_url(store_kind, tmp_path_factory)


@pytest.fixture()
def pg_store(tmp_path_factory) -> Iterator[str]:
    """A fresh PostgreSQL database (for the tests about PostgreSQL itself)."""
    yield from store_url("postgresql", tmp_path_factory)


@pytest.fixture()
def sqlite_store(tmp_path_factory) -> Iterator[str]:
    yield from store_url("sqlite", tmp_path_factory)


@pytest.fixture(scope="session")
def live_log(tmp_path_factory, store_kind) -> Path:
    return tmp_path_factory.mktemp(f"logs-{store_kind}") / "server.log"


@pytest.fixture(scope="session")
def live(store, live_log) -> Iterator[LiveServer]:
    """A server with the default limits and debug logging (access log included), so the
    tests can read everything it wrote."""
    with LiveServer(store, workers=1, log=live_log, log_level="debug") as server:
        yield server


@pytest.fixture()
def new_token(store):
    """Makes tokens of fresh users on the store of `live`: `new_token(admin=False)`."""
    return lambda admin=False, **kw: create_user(store, admin=admin, **kw)
