"""A live server on SQLite for the CLI tests, with the client pointed at it by env."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kuafu.server.testing import LiveServer, create_user


@pytest.fixture(scope="session")
def cli_store(tmp_path_factory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('cli-store') / 'kuafu.db'}"


@pytest.fixture(scope="session")
def cli_live(cli_store, tmp_path_factory) -> Iterator[LiveServer]:
    log = tmp_path_factory.mktemp("logs") / "cli-server.log"
    with LiveServer(cli_store, workers=2, log=log) as server:
        yield server


@pytest.fixture()
def cli_env(cli_live, cli_store, tmp_path, monkeypatch) -> dict[str, str]:
    env = {"KUAFU_URL": cli_live.url, "KUAFU_TOKEN": create_user(cli_store),
           "KUAFU_CONFIG": str(tmp_path / "config.json")}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env
