"""Measurement settings: qubit-wise commuting groups of Pauli terms and their basis changes.

Two Pauli strings commute qubit-wise when, on every qubit, they carry the same letter or
one of them carries I. All terms of such a group are read from ONE circuit: rotate each
qubit into the group's basis (X: H; Y: S^dagger then H) and measure in Z; a term's value
on a shot is the parity of the bits on the qubits where it is not I.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..circuit import ClassicalRegister, QuantumCircuit


@dataclass(frozen=True)
class MeasurementGroup:
    """One measurement setting.

    Attributes:
        basis: a label over IXYZ (qubit 0 rightmost): the basis each qubit is measured in
            (I: not measured).
        terms: indices of the terms (of the list given to `group_qubit_wise`) read here.
    """

    basis: str
    terms: tuple[int, ...]

    @property
    def measured_qubits(self) -> list[int]:
        """The qubits this setting measures, ascending; classical bit j reads the j-th."""
        n = len(self.basis)
        return [q for q in range(n) if self.basis[n - 1 - q] != "I"]


def qubit_wise_commute(a: str, b: str) -> bool:
    """Whether two labels agree on every qubit where neither is I."""
    return all(x == y or x == "I" or y == "I" for x, y in zip(a, b, strict=True))


def _merge(a: str, b: str) -> str:
    return "".join(y if x == "I" else x for x, y in zip(a, b, strict=True))


def group_qubit_wise(labels: Sequence[str]) -> list[MeasurementGroup]:
    """Partition the non-identity labels into few qubit-wise commuting groups.

    Greedy colouring, heaviest labels first (they constrain most), each into the first
    group it is compatible with; deterministic. Identity labels need no measurement and
    belong to no group.
    """
    order = sorted((i for i, label in enumerate(labels) if set(label) != {"I"}),
                   key=lambda i: (-sum(ch != "I" for ch in labels[i]), i))
    bases: list[str] = []
    members: list[list[int]] = []
    for i in order:
        for g, basis in enumerate(bases):
            if qubit_wise_commute(basis, labels[i]):
                bases[g] = _merge(basis, labels[i])
                members[g].append(i)
                break
        else:
            bases.append(labels[i])
            members.append([i])
    return [MeasurementGroup(b, tuple(sorted(m))) for b, m in zip(bases, members, strict=True)]


def measurement_circuit(circuit: QuantumCircuit, basis: str) -> QuantumCircuit:
    """`circuit` followed by the basis change of `basis` and measurements of its qubits.

    The measured qubits (ascending) go to a new register `meas`, bit j for the j-th.

    Raises:
        ValueError: when the circuit already measures, or the basis has the wrong width.
    """
    if len(basis) != circuit.num_qubits:
        raise ValueError(f"basis {basis!r} does not match {circuit.num_qubits} qubits")
    out = circuit.copy()
    n = len(basis)
    qubits = [q for q in range(n) if basis[n - 1 - q] != "I"]
    for q in qubits:
        letter = basis[n - 1 - q]
        if letter == "Y":
            out.sdg(q)
        if letter in "XY":
            out.h(q)
    if qubits:
        out.add_register(ClassicalRegister(_fresh_name(out, "meas"), len(qubits)))
        offset = out.num_clbits - len(qubits)
        for j, q in enumerate(qubits):
            out.measure(q, offset + j)
    return out


def _fresh_name(circuit: QuantumCircuit, base: str) -> str:
    names = {r.name for r in circuit.qregs + circuit.cregs}
    name, k = base, 0
    while name in names:
        k += 1
        name = f"{base}{k}"
    return name


def strip_measurements(circuit: QuantumCircuit) -> QuantumCircuit:
    """The circuit without its classical registers and terminal measurements.

    Raises:
        ValueError: for mid-circuit measurements, resets or classical conditions.
    """
    if circuit.has_mid_circuit_operations():
        raise ValueError("the Estimator takes circuits without mid-circuit measurement, "
                         "reset or classical conditions")
    out = QuantumCircuit(*circuit.qregs, name=circuit.name)
    out.opaque_gates = dict(circuit.opaque_gates)
    out.instructions = [i for i in circuit.instructions if i.name != "measure"]
    return out
