"""`elide_swaps`: drop SWAP gates by relabelling the qubits after them."""

from __future__ import annotations

from ..circuit import Instruction, QuantumCircuit
from .context import CompileContext


def elide_swaps(circuit: QuantumCircuit, *, context: CompileContext) -> QuantumCircuit:
    """Drop unconditioned `swap` gates by relabelling the qubits after them.

    The states end up permuted; `context.wire_of` records where each input qubit's state
    ends, and `compile` folds that into the reported final mapping.
    """
    if context.wire_of is None and not any(
            inst.name == "swap" and inst.condition is None for inst in circuit.instructions):
        context.wire_of = list(range(circuit.num_qubits))
        return circuit  # nothing to elide
    where = list(context.wire_of or range(circuit.num_qubits))
    out = circuit.copy_empty()
    for inst in circuit.instructions:
        if inst.name == "swap" and inst.condition is None:
            a, b = inst.qubits
            where[a], where[b] = where[b], where[a]
            continue
        out.instructions.append(Instruction(inst.name, tuple(where[q] for q in inst.qubits),
                                           inst.clbits, inst.params, inst.condition))
    context.wire_of = where
    return out
