"""OpenQASM text of a circuit for results, through `kuafu.qasm` when it is present."""

from __future__ import annotations

from ..circuit import QuantumCircuit
from ..errors import KuafuError


def to_qasm(circuit: QuantumCircuit) -> str | None:
    """The circuit as OpenQASM 2, or None when it cannot be written (OpenQASM 2 cannot
    condition on single bits of a larger register, for example)."""
    try:
        from .. import qasm

        return qasm.dumps(circuit)
    except (ImportError, KuafuError):
        return None
