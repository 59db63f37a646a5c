"""Quantum circuits: registers, instructions, the gate library, parameters and operators.

Conventions used throughout Kuafu:

* A gate's own matrix is big-endian over its argument list (first qubit most significant).
* Whole-circuit operators, states and counts are little-endian: qubit k is bit k of a
  basis index, and count bitstrings print classical bit 0 rightmost, as Qiskit does.
"""

from .circuit import InstructionSet, QuantumCircuit
from .gates import (
    ALIASES,
    GATES,
    NON_UNITARY,
    GateSpec,
    canonical_name,
    gate_definition,
    gate_matrix,
)
from .instruction import ClassicalRegister, Condition, Instruction, QuantumRegister
from .parameter import Parameter, ParameterExpression
from .unitary import statevector, unitary

__all__ = [
    "ALIASES",
    "GATES",
    "NON_UNITARY",
    "ClassicalRegister",
    "Condition",
    "GateSpec",
    "Instruction",
    "InstructionSet",
    "Parameter",
    "ParameterExpression",
    "QuantumCircuit",
    "QuantumRegister",
    "canonical_name",
    "gate_definition",
    "gate_matrix",
    "statevector",
    "unitary",
]
