"""The layers of ARCHITECTURE.md, as far as the server, client and schemas go."""

from __future__ import annotations

import json
import subprocess
import sys

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
