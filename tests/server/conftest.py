"""Fixtures that start the real server (uvicorn in a subprocess) on SQLite and PostgreSQL.

The PostgreSQL store is a fresh database made for the test session and dropped after.
`store_kind` and `fresh_store` are the root conftest's; a missing PostgreSQL skips, or fails
under CI (`kuafu.server.testing.require`).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from helpers import BELL as BELL  # the test modules import it from here
from kuafu.server.testing import LiveServer, create_user, store_url


@pytest.fixture(scope="session")
def store(store_kind, tmp_path_factory) -> Iterator[str]:
    """The URL of a fresh store for `live`: a SQLite file, or a new PostgreSQL database."""
    yield from store_url(store_kind, tmp_path_factory)


@pytest.fixture(scope="session")
def slow_store(store_kind, tmp_path_factory) -> Iterator[str]:
    """The store of `slow_live` (one server schedules from one store)."""
    yield from store_url(store_kind, tmp_path_factory)


@pytest.fixture(scope="session")
def live(store, tmp_path_factory) -> Iterator[LiveServer]:
    """A server on `store` with two workers, shared by the tests of a session."""
    log = tmp_path_factory.mktemp("logs") / "server.log"
    with LiveServer(store, workers=2, log=log) as server:
        yield server


@pytest.fixture(scope="session")
def slow_live(slow_store, tmp_path_factory) -> Iterator[LiveServer]:
    """A server whose one worker takes 0.5 s more per job, so queues form on purpose;
    low quotas (20 queued jobs per user, 100 000 shots a day)."""
    log = tmp_path_factory.mktemp("logs") / "slow-server.log"
    env = {"KUAFU_WORKER_DELAY": "0.5", "KUAFU_MAX_QUEUED_PER_USER": "20",
           "KUAFU_MAX_SHOTS_PER_DAY": "100000"}
    with LiveServer(slow_store, workers=1, env=env, log=log) as server:
        yield server


@pytest.fixture()
def token(store) -> str:
    """A token of a fresh user."""
    return create_user(store)


@pytest.fixture()
def slow_token(slow_store) -> str:
    return create_user(slow_store)


@pytest.fixture()
def admin_token(store) -> str:
    return create_user(store, admin=True)
