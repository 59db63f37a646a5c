"""Kuafu: an open, self-hostable quantum computing cloud.

The core (`kuafu.circuit`, `kuafu.qasm`, and later devices, compiler, sim) does no I/O
and can be used alone as a library.
"""

from .circuit import ClassicalRegister, Parameter, QuantumCircuit, QuantumRegister
from .errors import KuafuError, QasmError

__version__ = "0.1.0"

__all__ = [
    "ClassicalRegister",
    "KuafuError",
    "Parameter",
    "QasmError",
    "QuantumCircuit",
    "QuantumRegister",
    "__version__",
]
