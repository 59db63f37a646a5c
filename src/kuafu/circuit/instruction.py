"""Registers, classical conditions and instructions: the immutable pieces of a circuit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .gates import GATES, gate_matrix
from .parameter import Parameter, ParameterExpression


@dataclass(frozen=True, slots=True)
class QuantumRegister:
    """A named array of qubits; its qubits get flat indices when added to a circuit."""

    name: str
    size: int

    def __post_init__(self) -> None:
        _check_register(self.name, self.size)


@dataclass(frozen=True, slots=True)
class ClassicalRegister:
    """A named array of classical bits; bit 0 is the least significant in comparisons."""

    name: str
    size: int

    def __post_init__(self) -> None:
        _check_register(self.name, self.size)


def _check_register(name: str, size: int) -> None:
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"register name {name!r} is not an identifier")
    if not isinstance(size, int | np.integer) or size < 1:
        raise ValueError(f"register {name} must have a positive integer size, got {size!r}")


@dataclass(frozen=True, slots=True)
class Condition:
    """Run an instruction only when the classical bits, read as an integer, equal `value`.

    Attributes:
        clbits: flat classical bit indices; the first is the least significant bit.
        value: the integer they must hold.
    """

    clbits: tuple[int, ...]
    value: int

    def __post_init__(self) -> None:
        if not self.clbits:
            raise ValueError("a condition needs at least one classical bit")
        if not 0 <= self.value < 2 ** len(self.clbits):
            raise ValueError(
                f"condition value {self.value} does not fit in {len(self.clbits)} bits"
            )

    def holds(self, bits: np.ndarray | list[int]) -> bool:
        """Whether the classical `bits` (indexed by flat clbit) satisfy the condition."""
        value = 0
        for position, clbit in enumerate(self.clbits):
            value |= int(bits[clbit]) << position
        return value == self.value


ParamValue = float | ParameterExpression


@dataclass(frozen=True, slots=True)
class Instruction:
    """One operation of a circuit: a gate, measure, reset, barrier, delay or opaque gate.

    Attributes:
        name: library name (`cx`, never the alias `cnot`), `measure`, `reset`, `barrier`,
            `delay`, or the name of an opaque gate declared in the circuit.
        qubits: flat qubit indices, in the gate's argument order.
        clbits: flat classical bit indices (the target of a measurement).
        params: numbers or symbolic expressions; `delay` holds its duration in ns.
        condition: run only when this classical condition holds.
    """

    name: str
    qubits: tuple[int, ...]
    clbits: tuple[int, ...] = ()
    params: tuple[ParamValue, ...] = ()
    condition: Condition | None = None

    @property
    def is_gate(self) -> bool:
        """Whether this is a library gate (it has a unitary matrix)."""
        return self.name in GATES

    @property
    def is_parameterized(self) -> bool:
        """Whether any parameter is still symbolic."""
        return any(isinstance(p, ParameterExpression) for p in self.params)

    @property
    def parameters(self) -> frozenset[Parameter]:
        """The free symbols in this instruction's parameters."""
        found: frozenset[Parameter] = frozenset()
        for p in self.params:
            if isinstance(p, ParameterExpression):
                found |= p.parameters
        return found

    def matrix(self) -> np.ndarray:
        """The gate's unitary, big-endian over `qubits`.

        Raises:
            ValueError: for instructions without a matrix.
            TypeError: when a parameter is still symbolic.
        """
        if not self.is_gate:
            raise ValueError(f"instruction {self.name} has no unitary matrix")
        return gate_matrix(self.name, self.params)
