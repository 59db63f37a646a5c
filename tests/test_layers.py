"""The layer rules of ARCHITECTURE.md, enforced: imports point downwards only, and the
pure core does no I/O (no web, database or plotting libraries, no printing)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "kuafu"

# package -> the kuafu packages it may import ("errors" is the shared root of the error tree)
ALLOWED = {
    "circuit": {"errors"},
    "qasm": {"errors", "circuit"},
    "devices": {"errors", "circuit"},
    "compiler": {"errors", "circuit", "devices"},
    "sim": {"errors", "circuit", "devices"},
    "primitives": {"errors", "circuit", "sim"},
    "backends": {"errors", "circuit", "qasm", "devices", "compiler", "sim", "primitives"},
    "schemas": {"errors"},
    "interop": {"errors", "circuit", "qasm", "devices", "compiler", "sim", "primitives", "backends",
                "client", "schemas"},
}
CORE = [p for p in ("circuit", "qasm", "devices", "compiler", "sim", "primitives")
        if (SRC / p).exists()]  # primitives arrives with issue 8
LAYERED = sorted(p for p in ALLOWED if (SRC / p).exists())
FORBIDDEN_IN_CORE = ["httpx", "sqlalchemy", "fastapi", "uvicorn", "matplotlib", "click", "rich",
                     "tqdm", "requests", "pydantic", "alembic", "psycopg"]


def kuafu_imports(path: Path) -> set[str]:
    """The kuafu subpackages a module imports (absolute or relative)."""
    tree = ast.parse(path.read_text())
    package_parts = path.relative_to(SRC.parent).parent.parts  # ('kuafu', 'qasm', ...)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package_parts[: len(package_parts) - node.level + 1])
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names = [module] if node.module or not node.level else [
                f"{module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "kuafu" and len(parts) > 1:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("package", LAYERED)
def test_imports_point_downwards(package):
    root = SRC / package
    for path in root.rglob("*.py"):
        extra = kuafu_imports(path) - ALLOWED[package] - {package}
        assert not extra, f"{path.relative_to(SRC)} imports kuafu.{sorted(extra)}"


@pytest.mark.parametrize("package", CORE)
def test_core_does_not_print(package):
    root = SRC / package
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                if path.name in ("generate.py", "__main__.py"):
                    continue  # scripts run by operators, not library code
                raise AssertionError(f"{path.relative_to(SRC)}:{node.lineno} prints")


def test_core_loads_no_service_libraries():
    code = (
        "import sys\n"
        + "".join(f"import kuafu.{p}\n" for p in CORE)
        + f"bad = [m for m in {FORBIDDEN_IN_CORE!r} if m in sys.modules]\n"
        + "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "", f"core imports {out.stdout.strip()}"


def test_importing_kuafu_is_fast_and_compiles_nothing():
    code = ("import time, sys; t = time.perf_counter(); import kuafu; "
            "print(time.perf_counter() - t); print('numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    seconds, numba_loaded = out.stdout.split()
    assert float(seconds) < 2.0
    assert numba_loaded == "False", "import kuafu must not load numba (compile lazily)"


def test_public_subpackages_are_reachable_from_kuafu_on_first_use():
    """`import kuafu; kuafu.backends.get(...)` as the README shows, without `import kuafu`
    loading them up front."""
    code = ("import sys, kuafu\n"
            "print('kuafu.backends' in sys.modules, 'kuafu.client' in sys.modules)\n"
            "print(kuafu.backends.get('ScQ-P18').name, kuafu.devices.get('ScQ-P10').name)\n"
            "print(sorted(set(kuafu.SUBPACKAGES) - set(dir(kuafu))))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split("\n")[:3] == ["False False", "ScQ-P18 ScQ-P10", "[]"]
    packages = {p.name for p in SRC.iterdir() if (p / "__init__.py").exists()}
    import kuafu

    assert set(kuafu.SUBPACKAGES) == packages
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        kuafu.nope  # noqa: B018
