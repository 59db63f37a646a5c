"""A live server (SQLite and PostgreSQL) and a user for the client tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kuafu.server.testing import LiveServer, create_user, store_url


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def store(request, tmp_path_factory) -> Iterator[str]:
    yield from store_url(request.param, tmp_path_factory)


@pytest.fixture(scope="session")
def live(store, tmp_path_factory) -> Iterator[LiveServer]:
    log = tmp_path_factory.mktemp("logs") / "client-server.log"
    with LiveServer(store, workers=2, log=log) as server:
        yield server


@pytest.fixture()
def client(live, store):
    from kuafu import Client

    with Client(url=live.url, token=create_user(store), max_retries=2) as c:
        yield c
