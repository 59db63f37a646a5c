"""OpenQASM text of a circuit for results, through `kuafu.qasm` when it is present."""

from __future__ import annotations

from ..circuit import QuantumCircuit


def to_qasm(circuit: QuantumCircuit) -> str | None:
    """The circuit as OpenQASM 2, or None when `kuafu.qasm` cannot write it."""
    try:
        from .. import qasm

        return qasm.dumps(circuit)
    except (ImportError, AttributeError):
        return None
