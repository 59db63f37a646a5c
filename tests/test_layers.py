"""The layer rules of ARCHITECTURE.md, enforced: imports point downwards only, for every
package of the table, and the pure core does no I/O (no web, database or plotting
libraries, no printing, no files, sockets, subprocesses or environment) beyond a short,
justified allowlist."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "kuafu"

# The "may import" column of ARCHITECTURE.md's layer table, package -> kuafu packages.
TABLE = {
    "circuit": set(),
    "qasm": {"circuit"},
    "devices": {"circuit"},
    "compiler": {"circuit", "devices"},
    "sim": {"circuit", "devices"},
    "primitives": {"circuit", "sim"},
    "backends": {"circuit", "qasm", "devices", "compiler", "sim", "primitives"},
    "server": {"backends", "schemas"},
    "client": {"schemas", "circuit"},
    "schemas": set(),
    "cli": {"client", "server"},
}
# Where the code is right and the table says too little (ARCHITECTURE.md to be updated):
# every arrow still points downwards.
NOT_IN_TABLE_YET = {
    "server": {"circuit", "qasm"},  # parsing and validating submitted OpenQASM
    "client": {"qasm"},  # circuits travel as OpenQASM 2 text
    "cli": {"circuit", "schemas"},  # `kuafu demo` builds a circuit; tables of wire models
    # bridges to other SDKs, above the core, backends and the client; not in the table
    "interop": {"circuit", "qasm", "devices", "compiler", "sim", "primitives", "backends",
                "client", "schemas"},
}
# Imports that break the table, each with the work that removes it. The test fails when
# one is gone, so that the entry is deleted with it.
KNOWN_VIOLATIONS: dict[tuple[str, str], str] = {}
# The package root every layer may use: the error tree and the version.
ROOT = {"errors", "__version__"}
ALLOWED = {package: TABLE.get(package, set()) | NOT_IN_TABLE_YET.get(package, set()) | ROOT
           for package in TABLE.keys() | NOT_IN_TABLE_YET.keys()}
PACKAGES = sorted(ALLOWED)
CORE = ["circuit", "qasm", "devices", "compiler", "sim", "primitives"]
FORBIDDEN_IN_CORE = ["httpx", "sqlalchemy", "fastapi", "uvicorn", "matplotlib", "click", "rich",
                     "tqdm", "requests", "pydantic", "alembic", "psycopg"]


def test_every_package_is_in_the_table_and_every_listed_one_exists():
    on_disk = {p.name for p in SRC.iterdir() if (p / "__init__.py").exists()}
    assert on_disk == set(PACKAGES), (
        f"packages without a row: {sorted(on_disk - set(PACKAGES))}; "
        f"rows without a package: {sorted(set(PACKAGES) - on_disk)}")
    assert set(CORE) <= set(TABLE)


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


def _imports_of(package: str) -> dict[str, list[str]]:
    """kuafu package imported -> the modules of `package` that import it."""
    found: dict[str, list[str]] = {}
    for path in sorted((SRC / package).rglob("*.py")):
        for dep in kuafu_imports(path) - {package}:
            found.setdefault(dep, []).append(str(path.relative_to(SRC)))
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_point_downwards(package):
    imports = _imports_of(package)
    extra = {dep: where for dep, where in imports.items()
             if dep not in ALLOWED[package] and (package, dep) not in KNOWN_VIOLATIONS}
    assert not extra, f"kuafu.{package} may not import {extra}"
    for (pkg, dep), reason in KNOWN_VIOLATIONS.items():
        if pkg == package:
            assert dep in imports, f"kuafu.{pkg} no longer imports kuafu.{dep} ({reason}): " \
                "delete the entry from KNOWN_VIOLATIONS"


@pytest.mark.parametrize("package", CORE)
def test_core_does_not_print(package):
    root = SRC / package
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                if path.name in ("generate.py", "__main__.py"):
                    continue  # scripts run by operators, not library code
                raise AssertionError(f"{path.relative_to(SRC)}:{node.lineno} prints")


IO_MODULES = {"socket", "subprocess", "urllib", "http", "shutil", "tempfile", "ftplib",
              "smtplib", "sqlite3", "requests", "httpx", "asyncio", "multiprocessing",
              "webbrowser"}
IO_CALLS = {"open", "input"}
IO_ATTRIBUTES = {"read_text", "read_bytes", "write_text", "write_bytes", "open", "mkdir",
                 "makedirs", "unlink", "rmdir", "touch", "iterdir", "listdir", "scandir",
                 "environ", "getenv", "putenv", "system", "popen", "stdout", "stderr",
                 "stdin"}
# (module, what) -> why the core may do it. Everything else is a test failure.
IO_ALLOWED = {
    ("qasm/__init__.py", ".read_bytes"): "qasm.load(path): the json-style API reads the "
                                         "file the caller names",
    ("qasm/__init__.py", ".write_text"): "qasm.dump(circuit, path): writes where the "
                                         "caller says",
    ("qasm/reader.py", ".read_bytes"): "include reads only from Limits.include_dirs, "
                                       "which the caller gives (none by default)",
    ("devices/registry.py", ".iterdir"): "the packaged chip data files, through "
                                         "importlib.resources",
    ("devices/registry.py", ".read_text"): "the packaged chip data files, through "
                                           "importlib.resources",
    ("compiler/sabre.py", ".environ"): "KUAFU_COMPILER_THREADS: how many threads run the "
                                       "SABRE trials, read like NUMBA_NUM_THREADS",
    ("devices/generate.py", ".mkdir"): "an operator's script that writes the data files",
    ("devices/generate.py", ".write_text"): "an operator's script that writes the data "
                                            "files",
}


def core_io(path: Path) -> set[str]:
    """What a module does that looks like I/O: imports of I/O modules, open()/input(),
    file, environment and standard-stream attributes."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {f"import {a.name}" for a in node.names
                      if a.name.split(".")[0] in IO_MODULES}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            if node.module.split(".")[0] in IO_MODULES:
                found.add(f"import {node.module}")
            if node.module == "os":
                found |= {f"os.{a.name}" for a in node.names if a.name in IO_ATTRIBUTES}
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in IO_CALLS:
                found.add(f"{node.func.id}()")
        elif isinstance(node, ast.Attribute) and node.attr in IO_ATTRIBUTES:
            found.add(f".{node.attr}")
    return found


@pytest.mark.parametrize("package", CORE)
def test_core_does_no_io_beyond_the_allowlist(package):
    for path in sorted((SRC / package).rglob("*.py")):
        module = str(path.relative_to(SRC))
        unexplained = {what for what in core_io(path) if (module, what) not in IO_ALLOWED}
        assert not unexplained, f"{module} does I/O: {sorted(unexplained)}"


def test_the_io_allowlist_has_no_stale_entries():
    for module, what in IO_ALLOWED:
        assert what in core_io(SRC / module), f"{module} no longer does {what}: delete it"


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
