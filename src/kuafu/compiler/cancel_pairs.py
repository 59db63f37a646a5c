"""`cancel_pairs`: two identical self-inverse two-qubit gates with nothing between cancel."""

from __future__ import annotations

from ..circuit import Instruction, QuantumCircuit
from .context import CompileContext


def cancel_pairs(circuit: QuantumCircuit, *, context: CompileContext | None = None
                 ) -> QuantumCircuit:
    """Remove pairs of identical self-inverse two-qubit gates (cz, cx) with nothing between."""
    kept: list[Instruction | None] = []
    last: dict[int, list[int]] = {}
    for inst in circuit.instructions:
        if inst.name in ("cz", "cx") and inst.condition is None:
            a, b = inst.qubits
            ja, jb = last.get(a), last.get(b)
            if ja and jb and ja[-1] == jb[-1]:
                prev = kept[ja[-1]]
                if prev is not None and prev.name == inst.name and (
                        prev.qubits == inst.qubits
                        or (inst.name == "cz" and set(prev.qubits) == {a, b})):
                    kept[ja[-1]] = None
                    ja.pop()
                    jb.pop()
                    continue
        for q in inst.qubits:
            last.setdefault(q, []).append(len(kept))
        kept.append(inst)
    out = circuit.copy_empty()
    out.instructions = [i for i in kept if i is not None]
    return out
