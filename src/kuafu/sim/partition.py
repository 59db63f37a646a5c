"""Independent parts of a circuit: simulated one by one, their samples joined by shot.

Two qubits belong to the same part when an operation ever joins them: a gate on both, a
measurement of one and a condition of an operation on the other reading the same
classical bit, two measurements writing one classical bit, a condition over a register
whose bits other operations write. Formally the parts are the connected components of
the graph whose nodes are qubits and classical bits and whose edges join everything one
instruction touches (its qubits, the bits it writes and the bits its condition reads).
Noise follows the operations (a channel acts on the qubits of its gate, a readout error
on the measured qubit), so it never joins parts either.

The state of the whole circuit is then a product over parts, and the classical outcome
of a shot is the concatenation of independent draws, one per part. So each part runs on
the engine that suits it, its rows are shuffled (an engine may return them grouped), and
row i of every part makes shot i. Qubits no operation touches are not simulated, nor are
parts that write no classical bit (nothing of them can be observed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from ..circuit import ClassicalRegister, Condition, Instruction, QuantumCircuit, QuantumRegister
from .noise import NoiseModel

__all__ = ["Part", "join", "restrict_noise", "split"]


@dataclass(frozen=True)
class Part:
    """One independent part of a circuit.

    Attributes:
        qubits: the circuit's qubits in this part, ascending; part qubit i is `qubits[i]`.
        clbits: the circuit's classical bits in this part, ascending; part bit j is
            `clbits[j]`.
        circuit: the part alone, on qubits 0..len(qubits)-1 and one register `c` of
            len(clbits) bits.
    """

    qubits: tuple[int, ...]
    clbits: tuple[int, ...]
    circuit: QuantumCircuit

    @property
    def observed(self) -> bool:
        """Whether some classical bit depends on this part (else it need not run)."""
        return bool(self.clbits)


def split(circuit: QuantumCircuit) -> list[Part]:
    """The independent parts of `circuit`, ordered by their lowest qubit.

    Qubits that no operation (barriers aside) touches belong to no part.
    """
    n = circuit.num_qubits
    parent = list(range(n + circuit.num_clbits))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    touched: set[int] = set()
    for inst in circuit.instructions:
        if inst.name == "barrier":
            continue
        nodes = [*inst.qubits, *(n + c for c in inst.clbits)]
        if inst.condition is not None:
            nodes.extend(n + c for c in inst.condition.clbits)
        touched.update(inst.qubits)
        root = find(nodes[0])
        for node in nodes[1:]:
            other = find(node)
            if other != root:
                parent[other] = root
    groups: dict[int, tuple[list[int], list[int]]] = {}
    for q in sorted(touched):
        groups.setdefault(find(q), ([], []))[0].append(q)
    for c in range(circuit.num_clbits):
        group = groups.get(find(n + c))
        if group is not None:
            group[1].append(c)
    if len(groups) == 1:
        ((qs, cs),) = groups.values()
        if len(qs) == n and len(cs) == circuit.num_clbits:  # nothing to split or drop
            return [Part(tuple(qs), tuple(cs), circuit)]
    return [_part(circuit, tuple(qs), tuple(cs)) for qs, cs in groups.values()]


def _part(circuit: QuantumCircuit, qubits: tuple[int, ...], clbits: tuple[int, ...]) -> Part:
    qmap = {q: i for i, q in enumerate(qubits)}
    cmap = {c: j for j, c in enumerate(clbits)}
    regs = [QuantumRegister("q", len(qubits))]
    if clbits:
        regs.append(ClassicalRegister("c", len(clbits)))
    small = QuantumCircuit(*regs, name=circuit.name)
    for inst in circuit.instructions:
        if inst.name == "barrier" or not inst.qubits or inst.qubits[0] not in qmap:
            continue
        cond = inst.condition
        if cond is not None:
            cond = Condition(tuple(cmap[c] for c in cond.clbits), cond.value)
        small.instructions.append(Instruction(
            inst.name, tuple(qmap[q] for q in inst.qubits),
            tuple(cmap[c] for c in inst.clbits), inst.params, cond))
    return Part(qubits, clbits, small)


def restrict_noise(noise: NoiseModel | None, qubits: Sequence[int]) -> NoiseModel | None:
    """`noise` seen by a part: entries on `qubits` renumbered to the part's 0..k-1, the
    others dropped (they name qubits the part does not have)."""
    if noise is None:
        return None
    local = {q: i for i, q in enumerate(qubits)}
    gate_errors = {}
    for (name, on), channel in noise.gate_errors.items():
        if on is None:
            gate_errors[(name, None)] = channel
        elif all(q in local for q in on):
            gate_errors[(name, tuple(local[q] for q in on))] = channel
    readout = {local[q]: e for q, e in noise.readout_errors.items() if q in local}
    idle = {local[q]: t for q, t in noise.idle_relaxation.items() if q in local}
    return NoiseModel(gate_errors=MappingProxyType(gate_errors),
                      default_errors=noise.default_errors,
                      readout_errors=MappingProxyType(readout),
                      default_readout=noise.default_readout,
                      idle_relaxation=MappingProxyType(idle))


def join(parts: Sequence[Part], samples: Sequence[np.ndarray], shots: int,
         num_clbits: int, rng: np.random.Generator) -> np.ndarray:
    """Shots of the whole circuit from the shots of its parts.

    Args:
        parts: the parts that ran.
        samples: for each part, its (shots, len(part.clbits)) bits.
        shots: number of shots.
        num_clbits: classical bits of the whole circuit (those in no part stay 0).
        rng: shuffles each part's rows, so the draws joined into one shot are independent
            whatever order an engine returns its rows in.

    Returns:
        (shots, num_clbits) uint8 bits.
    """
    bits = np.zeros((shots, num_clbits), dtype=np.uint8)
    for part, sample in zip(parts, samples, strict=True):
        bits[:, list(part.clbits)] = sample[rng.permutation(shots)]
    return bits
