"""OpenQASM reading and writing, with the `json` module's API: `loads/load/dumps/dump`.

`loads` reads OpenQASM 2.0 in full (user gates, opaque, broadcasting, expressions, if,
reset, barrier, several registers) and, when the program declares `OPENQASM 3`, the
subset of OpenQASM 3 that maps onto Kuafu's circuits. Every problem is a `QasmError`
with the line and column it was found at. Reading is bounded by `Limits`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import IO

from ..circuit import QuantumCircuit
from ..errors import QasmError
from .reader import Limits, parse
from .writer import write

__all__ = ["Limits", "QasmError", "dump", "dumps", "load", "loads"]

_VERSION3 = re.compile(rb"^\s*(?://[^\n]*\n\s*|/\*.*?\*/\s*)*OPENQASM\s+3", re.DOTALL)


def loads(text: str | bytes, *, limits: Limits | None = None) -> QuantumCircuit:
    """Read an OpenQASM program (2.0, or 3 when it says so) into a circuit.

    Args:
        text: the program, as text or UTF-8 bytes.
        limits: bounds on size and work; `Limits()` by default.

    Raises:
        QasmError: for any malformed, unsupported or over-limit program.
    """
    limits = limits or Limits()
    head = text[:4096] if isinstance(text, bytes) else text[:4096].encode("utf-8", "replace")
    if _VERSION3.match(head):
        from .qasm3 import parse3

        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise QasmError("source is not valid UTF-8", 1, exc.start + 1) from None
        if len(text) > limits.max_source_chars:
            raise QasmError(f"program of {len(text)} characters exceeds the limit of "
                            f"{limits.max_source_chars}", 1, 1)
        return parse3(text, limits.max_qubits, limits.max_operations)
    return parse(text, limits)


def load(file: str | os.PathLike | IO, *, limits: Limits | None = None) -> QuantumCircuit:
    """Read an OpenQASM program from a path or an open file.

    Includes are resolved next to the file when it is given by path (besides any
    `include_dirs` already in `limits`).
    """
    if hasattr(file, "read"):
        return loads(file.read(), limits=limits)
    path = Path(file)
    limits = limits or Limits()
    if str(path.parent) not in limits.include_dirs:
        from dataclasses import replace

        limits = replace(limits, include_dirs=(*limits.include_dirs, str(path.parent)))
    return loads(path.read_bytes(), limits=limits)


def dumps(circuit: QuantumCircuit) -> str:
    """The circuit as OpenQASM 2.0 text; `loads(dumps(c)) == c`.

    Raises:
        QasmError: when the circuit cannot be expressed (unbound parameters, a condition
            on bits that are not one whole register).
    """
    return write(circuit)


def dump(circuit: QuantumCircuit, file: str | os.PathLike | IO) -> None:
    """Write the circuit as OpenQASM 2.0 to a path or an open text file."""
    text = dumps(circuit)
    if hasattr(file, "write"):
        file.write(text)
    else:
        Path(file).write_text(text, encoding="utf-8")
