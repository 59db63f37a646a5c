"""OpenQASM text of a compiled circuit, for results."""

from __future__ import annotations

from .. import qasm
from ..circuit import QuantumCircuit
from ..errors import QasmError


def to_qasm(circuit: QuantumCircuit) -> str | None:
    """The circuit as OpenQASM 2, or None when OpenQASM 2 cannot express it (a condition
    on single bits of a larger register, for example)."""
    try:
        return qasm.dumps(circuit)
    except QasmError:
        return None
