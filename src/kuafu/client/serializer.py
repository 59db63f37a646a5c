"""What the client sends: circuits become OpenQASM 2 text."""

from __future__ import annotations

from ..circuit import QuantumCircuit


def to_qasm(program: QuantumCircuit | str) -> str:
    """OpenQASM 2 text for a circuit, or the text itself."""
    if isinstance(program, str):
        return program
    if isinstance(program, QuantumCircuit):
        from .. import qasm

        return qasm.dumps(program)
    raise TypeError(f"expected a QuantumCircuit or OpenQASM text, got {type(program).__name__}")
