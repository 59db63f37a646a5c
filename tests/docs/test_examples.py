"""Every code example of the tutorials and how-to guides runs, against a live platform,
and prints what the page shows (`...` where a figure varies from run to run).

One server (`kuafu serve` in a subprocess, SQLite, one worker) serves every page; each
page runs in a fresh folder, its Python blocks in one namespace (like a notebook), with
`KUAFU_URL`/`KUAFU_TOKEN` naming that server, so `kuafu.Client()` and the `kuafu`
command reach it as they would a user's. The block conventions: `pages.py`.
"""

from __future__ import annotations

import contextlib
import doctest
import io
import os
import subprocess
import sys
import textwrap
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

from kuafu.server.testing import LiveServer, create_user, require, store_url

from .pages import SHOWN_ONLY, Block, blocks, console_commands

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = sorted([*DOCS.glob("tutorials/*.md"), *DOCS.glob("howto/*.md"),
                *DOCS.glob("operator/*.md"), DOCS / "index.md"])
SDK_VENVS = {
    "with pyquafu": Path(os.environ.get("KUAFU_QUAFU_VENV", ROOT / ".venv-quafu")),
    "with quafu-sdk": Path(os.environ.get("KUAFU_QUAFU_SDK_VENV", ROOT / ".venv-quafu-sdk")),
}
CHECKER = doctest.OutputChecker()
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
SLOW_PAGES = {"wide-circuits.md", "from-quafu.md", "qiskit-cirq.md"}  # over 10 s each


@pytest.fixture(scope="module")
def docs_store(tmp_path_factory) -> Iterator[str]:
    yield from store_url("sqlite", tmp_path_factory)


@pytest.fixture(scope="module")
def platform(docs_store, tmp_path_factory) -> Iterator[tuple[str, str]]:
    """A live server and a token of `student`'s: what the pages' examples talk to."""
    token = create_user(docs_store, "student")
    log = tmp_path_factory.mktemp("logs") / "docs-server.log"
    with LiveServer(docs_store, workers=1, log=log) as server:
        yield server.url, token


def _param(page: Path):
    marks = [pytest.mark.slow] if page.name in SLOW_PAGES else []
    return pytest.param(page, id=str(page.relative_to(DOCS)), marks=marks)


@pytest.mark.parametrize("page", [_param(p) for p in PAGES])
def test_page_examples_run(page, platform, tmp_path, monkeypatch):
    url, token = platform
    env = {"KUAFU_URL": url, "KUAFU_TOKEN": token, "KUAFU_CONFIG": str(tmp_path / "cfg.json"),
           "MPLBACKEND": "Agg", "COLUMNS": "100", "NO_COLOR": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__docs__"}
    found = blocks(page)
    for i, block in enumerate(found):
        following = found[i + 1] if i + 1 < len(found) else None
        expected = following.body if following and following.lang == "text" else None
        _run(page, block, expected, namespace, tmp_path, url, token)


def _run(page: Path, block: Block, expected: str | None, namespace: dict, folder: Path,
         url: str, token: str) -> None:
    where = f"{page.relative_to(ROOT)} {block.where}"
    if block.title and block.lang not in ("python", "console", "text"):
        (folder / block.title).write_text(block.body)
    if block.lang == "python" and block.title in SDK_VENVS:
        got = _run_sdk(block, folder, url, token, where)
    elif block.lang == "python":
        got = _run_python(block, namespace, where)
    elif block.lang == "console":
        for command, want in console_commands(block.body):
            _check(f"{where}: $ {command}", want or None, _shell(command, folder, where, want))
        return
    elif block.lang in ("bash", "sh"):
        for line in block.body.splitlines():
            command = line.strip().removeprefix(".venv/bin/")
            if command and not command.startswith(SHOWN_ONLY):
                pytest.fail(f"{where}: `{line}` is in a bash block, which is not run; "
                            "make it a console block so the tests run it")
        return
    else:
        return
    _check(where, expected, got)


def _run_python(block: Block, namespace: dict, where: str) -> str:
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(block.body, where, "exec"), namespace)
    except Exception:
        pytest.fail(f"{where} raised:\n{traceback.format_exc()}\nit printed:\n{out.getvalue()}")
    return out.getvalue()


def _run_sdk(block: Block, folder: Path, url: str, token: str, where: str) -> str:
    python = SDK_VENVS[block.title] / "bin" / "python"
    require(python.exists(),
            f"{python} is missing (scripts/ensure-pyquafu.sh, ensure-quafu-sdk.sh)")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("QUAFU_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(HOME=str(folder), QUAFU_BASE_URL=url, QUAFU_API_KEY=token,
               KUAFU_TOKEN=token, KUAFU_URL=url)
    done = subprocess.run([str(python), "-c", textwrap.dedent(block.body)], cwd=folder,
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"{where} failed:\n{done.stderr[-4000:]}"
    return done.stdout


def _shell(command: str, folder: Path, where: str, want: str) -> str:
    done = subprocess.run(command, shell=True, cwd=folder, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=300, check=False)
    if done.returncode != 0 and not want:
        pytest.fail(f"{where}: `{command}` exited {done.returncode}:\n{done.stdout}")
    return done.stdout


def _check(where: str, want: str | None, got: str) -> None:
    if want is None:
        return
    if not CHECKER.check_output(want, got, FLAGS):
        pytest.fail(f"{where} printed something else than the page shows:\n"
                    f"--- the page\n{want}--- printed\n{got}")


def test_bash_blocks_show_only_what_cannot_run_here():
    """Every page with code, tutorials and how-tos, has at least one block that runs."""
    for page in PAGES:
        if "operator" in page.parts or page.name == "index.md":
            continue
        langs = {b.lang for b in blocks(page)}
        assert langs & {"python", "console"}, f"{page.name} runs no example"
