"""One real server (uvicorn subprocess, SQLite store) and one headless Chromium shared by
the console tests.

Chromium is Debian's (`/usr/bin/chromium`, installed by `scripts/ensure-chromium.sh`);
when it is missing the browser tests are skipped, or failed under CI (CI=true).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kuafu.server.testing import LiveServer, create_user, store_url


@pytest.fixture(scope="session")
def console_store(tmp_path_factory) -> Iterator[str]:
    yield from store_url("sqlite", tmp_path_factory)


@pytest.fixture(scope="session")
def console_live(console_store, tmp_path_factory) -> Iterator[LiveServer]:
    """The server the console tests share (one worker)."""
    log = tmp_path_factory.mktemp("logs") / "console-server.log"
    with LiveServer(console_store, workers=1, log=log) as server:
        yield server


@pytest.fixture(scope="session")
def alice(console_store) -> str:
    return create_user(console_store, "alice")


@pytest.fixture(scope="session")
def bob(console_store) -> str:
    return create_user(console_store, "bob")


@pytest.fixture(scope="session")
def root(console_store) -> str:
    return create_user(console_store, "root", admin=True)


