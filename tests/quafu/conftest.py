"""Fixtures for the Quafu-compatible API: the pyquafu interpreter, a lab plug-in that
registers a remote device, and live servers.

pyquafu 0.4.5 needs numpy<2, so it lives in its own virtual environment, `.venv-quafu`
(made by scripts/ensure-pyquafu.sh); the tests run real pyquafu scripts there as
subprocesses. Missing: the tests that need it skip, or fail under CI (CI=true).
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from kuafu.server.testing import LiveServer, create_user, require, store_url

ROOT = Path(__file__).resolve().parents[2]
QUAFU_PYTHON = Path(os.environ.get("KUAFU_QUAFU_VENV", ROOT / ".venv-quafu")) / "bin" / "python"

LAB_BACKEND = "Lab-R10"
LAB_SYSTEM_ID = 77
LAB_AGENT_TOKEN = "lab-agent-secret"


@pytest.fixture(scope="session")
def pyquafu_python() -> Path:
    """The interpreter that has pyquafu 0.4.5."""
    require(QUAFU_PYTHON.exists(),
            f"pyquafu is not installed at {QUAFU_PYTHON} (run scripts/ensure-pyquafu.sh)")
    return QUAFU_PYTHON


@pytest.fixture(scope="session")
def lab_plugin(tmp_path_factory) -> Path:
    """A folder holding a lab's plug-in, as an installed distribution would: an entry
    point in group `kuafu.backends` that makes `Lab-R10`, a remote device (an ScQ-P10
    chip) that agents serve as system 77 with an agent token. Put it on PYTHONPATH."""
    folder = tmp_path_factory.mktemp("lab-plugin")
    (folder / "kuafu_test_lab.py").write_text(textwrap.dedent(f"""
        import dataclasses

        from kuafu import devices
        from kuafu.backends import RemoteDevice


        def backend():
            chip = dataclasses.replace(devices.get("ScQ-P10"), name={LAB_BACKEND!r})
            return RemoteDevice(chip, system_id={LAB_SYSTEM_ID},
                                agent_token={LAB_AGENT_TOKEN!r})
        """))
    info = folder / "kuafu_test_lab-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: kuafu-test-lab\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        f"[kuafu.backends]\n{LAB_BACKEND} = kuafu_test_lab:backend\n")
    return folder


def live_server(kind: str, lab_plugin: Path, tmp_path_factory) -> Iterator[tuple[LiveServer, str]]:
    """A server on a fresh store of `kind` that knows the lab's remote device, and a
    user's token."""
    for url in store_url(kind, tmp_path_factory):
        log = tmp_path_factory.mktemp("logs") / f"quafu-{kind}.log"
        path = os.pathsep.join(p for p in (str(lab_plugin), os.environ.get("PYTHONPATH"))
                               if p)
        with LiveServer(url, workers=2, env={"PYTHONPATH": path}, log=log) as server:
            yield server, create_user(url)
