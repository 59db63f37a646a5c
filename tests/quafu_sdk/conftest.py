"""Fixtures for quafu-sdk 0.2.7 against a live Kuafu server.

The SDK lives in a virtual environment of its own, `.venv-quafu-sdk` (made by
scripts/ensure-quafu-sdk.sh, run by `make test`); the tests run real, unmodified SDK
scripts there as subprocesses with only `QUAFU_BASE_URL` and `QUAFU_API_KEY` set, as a
Quafu user moving to Kuafu would. Missing: the tests skip, or fail under CI (CI=true).
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kuafu.server.testing import LiveServer, create_user, require, store_url

ROOT = Path(__file__).resolve().parents[2]
SDK_PYTHON = (Path(os.environ.get("KUAFU_QUAFU_SDK_VENV", ROOT / ".venv-quafu-sdk"))
              / "bin" / "python")


@dataclass
class Stack:
    """A live server, the store it uses, a user's key and an administrator's key."""

    server: LiveServer
    database_url: str
    key: str
    admin_key: str

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="session")
def sdk_python() -> Path:
    """The interpreter that has quafu-sdk 0.2.7."""
    require(SDK_PYTHON.exists(),
            f"quafu-sdk is not installed at {SDK_PYTHON} (run scripts/ensure-quafu-sdk.sh)")
    return SDK_PYTHON


def live_stack(kind: str, tmp_path_factory, env: dict[str, str] | None = None
               ) -> Iterator[Stack]:
    for url in store_url(kind, tmp_path_factory):
        log = tmp_path_factory.mktemp("logs") / f"quafu-sdk-{kind}.log"
        with LiveServer(url, workers=2, env=env, log=log) as server:
            yield Stack(server, url, create_user(url), create_user(url, admin=True))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def stack(request, tmp_path_factory) -> Iterator[Stack]:
    """A live server on each store."""
    yield from live_stack(request.param, tmp_path_factory)


def run_sdk(python: Path, base_url: str, key: str | None, code: str, home: Path,
            timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess:
    """Run `code` with the SDK, as a user's script: only QUAFU_BASE_URL and
    QUAFU_API_KEY set (and HOME, so no saved login is read)."""
    env = sdk_env(base_url, home, key)
    done = subprocess.run([str(python), "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)
    if check:
        assert done.returncode == 0, done.stderr[-4000:]
    return done


def last_json(done: subprocess.CompletedProcess) -> dict:
    return json.loads(done.stdout.strip().splitlines()[-1])


def sdk_env(base_url: str, home: Path, key: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("QUAFU_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(HOME=str(home), QUAFU_BASE_URL=base_url)
    if key is not None:
        env["QUAFU_API_KEY"] = key
    return env
