"""Kuafu: an open, self-hostable quantum computing cloud.

The core (`kuafu.circuit`, `kuafu.qasm`, and later devices, compiler, sim) does no I/O
and can be used alone as a library.
"""

from .circuit import ClassicalRegister, Parameter, QuantumCircuit, QuantumRegister
from .errors import KuafuError, QasmError

__version__ = "0.1.0"

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


def __getattr__(name: str):
    # `kuafu.Client` is imported on first use, so `import kuafu` loads no HTTP stack.
    if name == "Client":
        from .client import Client

        return Client
    raise AttributeError(f"module 'kuafu' has no attribute {name!r}")
