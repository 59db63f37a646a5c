"""Kuafu: an open, self-hostable quantum computing cloud.

The core (`kuafu.circuit`, `kuafu.qasm`, `kuafu.devices`, `kuafu.compiler`, `kuafu.sim`,
`kuafu.primitives`) does no I/O and can be used alone as a library. `import kuafu` loads
only the error tree (no numpy: a few milliseconds); the circuit classes and every
subpackage are imported on first use, so `kuafu.backends.get("ScQ-P18")` works after a
plain `import kuafu`.

>>> import kuafu
>>> qc = kuafu.QuantumCircuit(2)
>>> kuafu.qasm.loads(kuafu.qasm.dumps(qc)) == qc
True
"""

from __future__ import annotations

import importlib
from typing import Any

from .errors import KuafuError, QasmError

__version__ = "0.1.0"

_CIRCUIT_NAMES = ("ClassicalRegister", "Parameter", "QuantumCircuit", "QuantumRegister")
"""Names of `kuafu.circuit` re-exported here (imported on first use: numpy is 0.1 s)."""

SUBPACKAGES = ("backends", "circuit", "cli", "client", "compiler", "devices", "interop",
               "primitives", "qasm", "schemas", "server", "sim")
"""The public subpackages, each reachable as `kuafu.<name>` (imported on first use)."""

__all__ = [
    "ClassicalRegister",
    "Client",
    "KuafuError",
    "Parameter",
    "QasmError",
    "QuantumCircuit",
    "QuantumRegister",
    "__version__",
]


def __getattr__(name: str) -> Any:
    # Subpackages and `kuafu.Client` are imported on first use, so `import kuafu` loads
    # neither the simulators (numba) nor the HTTP stack.
    if name in _CIRCUIT_NAMES:
        return getattr(importlib.import_module(f"{__name__}.circuit"), name)
    if name in SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    if name == "Client":
        from .client import Client

        return Client
    raise AttributeError(f"module 'kuafu' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(SUBPACKAGES) | set(_CIRCUIT_NAMES) | {"Client"})
