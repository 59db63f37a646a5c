"""One real server (uvicorn subprocess, SQLite store) and one headless Chromium shared by
the console tests.

Chromium is Debian's (`/usr/bin/chromium`, installed by `scripts/ensure-chromium.sh`);
when it is missing the browser tests are skipped, or failed under CI (CI=true).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from kuafu.server.testing import LiveServer, create_user, store_url

CHROMIUM = Path(os.environ.get("KUAFU_TEST_CHROMIUM", "/usr/bin/chromium"))


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


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright (never a downloaded browser)."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (run scripts/ensure-chromium.sh)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield chromium
        finally:
            chromium.close()
