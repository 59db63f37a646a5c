"""The layers of ARCHITECTURE.md, as far as the server, client and schemas go."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest


def loaded_after(module: str) -> set[str]:
    code = (f"import sys, json; import {module}; "
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return set(json.loads(out.stdout))


@pytest.mark.parametrize("module,forbidden", [
    ("kuafu", {"httpx", "sqlalchemy", "fastapi", "uvicorn", "alembic"}),
    ("kuafu.schemas", {"httpx", "sqlalchemy", "fastapi", "numba"}),
    ("kuafu.client", {"sqlalchemy", "fastapi", "uvicorn", "alembic", "psycopg"}),
])
def test_module_does_not_pull_in(module, forbidden):
    assert not loaded_after(module) & forbidden


SERVER = Path(__file__).resolve().parents[2] / "src" / "kuafu" / "server"


@pytest.mark.parametrize("module", ["worker.py", "executor.py", "dask_executor.py",
                                    "pool.py", "core/quantum.py"])
def test_what_runs_jobs_does_not_reach_up_into_the_services(module):
    """A worker process needs the quantum core, not the web application's services."""
    tree = ast.parse((SERVER / module).read_text())
    imported = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {m for m in imported if m == "services" or m.startswith("services.")
                or ".services" in m}, imported


def test_only_the_lifecycle_writes_a_jobs_status():
    """Every status change of a job is `services.lifecycle`'s: no other module of the
    server sets `status=` in an UPDATE or INSERT of jobs."""
    writers = []
    for path in sorted(SERVER.rglob("*.py")):
        if path.name == "lifecycle.py" or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "values"
                    and any(k.arg == "status" for k in node.keywords)
                    and "job" in ast.unparse(node.func.value).lower()):
                writers.append(f"{path.relative_to(SERVER)}:{node.lineno}")
    assert not writers, f"job status written outside services/lifecycle.py: {writers}"


ROUTE_PACKAGES = ("api", "console", "quafu", "quafu_sdk")
COMMITS_LEFT_IN_ROUTES: dict[str, int] = {}


def test_services_own_their_commits():
    """The service function that does a unit of work commits it: the API routes, the
    console and the Quafu adapters commit nothing of their own (issue 15; an exception
    would be listed in COMMITS_LEFT_IN_ROUTES, with why)."""
    found: dict[str, int] = {}
    for package in ROUTE_PACKAGES:
        for path in sorted((SERVER / package).rglob("*.py")):
            calls = sum(1 for node in ast.walk(ast.parse(path.read_text()))
                        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr == "commit")
            if calls:
                found[str(path.relative_to(SERVER))] = calls
    assert found == COMMITS_LEFT_IN_ROUTES
