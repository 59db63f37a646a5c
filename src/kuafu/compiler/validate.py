"""Validation: does a circuit use only what the chip can run, where it can run it?"""

from __future__ import annotations

from ..circuit import QuantumCircuit
from ..devices import Device
from ..errors import CircuitTooWideError, CompileError
from .context import CompileContext

ALWAYS_ALLOWED = frozenset({"measure", "reset", "barrier"})
"""Operations every chip accepts besides its native gates."""


def check_native(circuit: QuantumCircuit, device: Device) -> None:
    """Raise unless every operation is native and every two-qubit gate sits on a coupler.

    Qubit i of the circuit is physical qubit i (`Q{i+1}`).

    Raises:
        CircuitTooWideError: the circuit has more qubits than the chip.
        CompileError: naming the first instruction the chip cannot run and why.
    """
    if circuit.num_qubits > device.num_qubits:
        raise CircuitTooWideError(
            f"circuit has {circuit.num_qubits} qubits; {device.name} has {device.num_qubits}")
    allowed = device.native_gates | ALWAYS_ALLOWED
    names = device.qubits
    for k, inst in enumerate(circuit.instructions):
        if inst.name in allowed and (len(inst.qubits) == 1 or inst.name == "barrier"):
            continue
        where = f"instruction {k} ({inst.name} on {', '.join(names[q] for q in inst.qubits)})"
        if inst.name not in allowed:
            raise CompileError(f"{where}: {inst.name!r} is not a native gate of {device.name} "
                               f"(native: {' '.join(sorted(device.native_gates))}); "
                               "compile the circuit first")
        if inst.name == "barrier":
            continue
        if len(inst.qubits) > 2:
            raise CompileError(f"{where}: {device.name} runs gates on at most two qubits")
        if len(inst.qubits) == 2 and not device.has_coupler(*inst.qubits):
            a, b = (names[q] for q in inst.qubits)
            raise CompileError(f"{where}: {device.name} has no coupler between {a} and {b}")


def validate(circuit: QuantumCircuit, *, context: CompileContext) -> QuantumCircuit:
    """Pass form of `check_native` for the pipeline's last step."""
    if context.device is None:
        raise ValueError("validate needs a device in the context")
    check_native(circuit, context.device)
    return circuit
