"""Validation: does a circuit use only what the chip can run, where it can run it?

`check_circuit` is the one acceptance rule of Kuafu, applied through `Backend.check`: by
the server to a submitted program, and by every backend's run before anything else (so
a job the server accepts is a job its worker runs). `check_native` is its part for
circuits run as written on a chip.
"""

from __future__ import annotations

from functools import lru_cache

from ..circuit import GATES, QuantumCircuit
from ..devices import Device
from ..errors import CircuitTooWideError, CompileError
from .context import CompileContext

ALWAYS_ALLOWED = frozenset({"measure", "reset", "barrier", "delay"})
"""Operations every chip accepts besides its native gates."""


def check_circuit(circuit: QuantumCircuit, device: Device | None = None, *,
                  compile: bool = True) -> None:
    """Raise unless a backend of `device` can run `circuit`.

    Args:
        circuit: the circuit as submitted.
        device: the chip, or None for an all-to-all simulator.
        compile: whether the circuit will be compiled for the chip first; when False it
            must already be native and mapped (`check_native`).

    Raises:
        CompileError: for an opaque gate (no backend can run it).
        CircuitTooWideError: the circuit has more qubits than the chip.
        CompileError: uncompiled, naming the first instruction the chip cannot run.
    """
    for k, inst in enumerate(circuit.instructions):
        if inst.name not in GATES and inst.name not in ALWAYS_ALLOWED:
            raise CompileError(f"instruction {k} ({inst.name}) is an opaque gate with no "
                               "definition; no backend can run it")
    if device is None:
        return
    if compile:
        _check_width(circuit, device)
    else:
        check_native(circuit, device)


def _check_width(circuit: QuantumCircuit, device: Device) -> None:
    if circuit.num_qubits > device.num_qubits:
        raise CircuitTooWideError(
            f"circuit has {circuit.num_qubits} qubits; {device.name} has {device.num_qubits}")


def check_native(circuit: QuantumCircuit, device: Device) -> None:
    """Raise unless every operation is native and every two-qubit gate sits on a coupler.

    Qubit i of the circuit is physical qubit i (`Q{i+1}`).

    Raises:
        CircuitTooWideError: the circuit has more qubits than the chip.
        CompileError: naming the first instruction the chip cannot run and why.
    """
    _check_width(circuit, device)
    allowed = device.native_gates | ALWAYS_ALLOWED
    pairs = _coupled_pairs(device)
    names = device.qubits
    for k, inst in enumerate(circuit.instructions):
        if inst.name in allowed and (len(inst.qubits) == 1 or inst.name == "barrier"
                                     or inst.qubits in pairs):
            continue
        where = f"instruction {k} ({inst.name} on {', '.join(names[q] for q in inst.qubits)})"
        if inst.name not in allowed:
            raise CompileError(f"{where}: {inst.name!r} is not a native gate of {device.name} "
                               f"(native: {' '.join(sorted(device.native_gates))}); "
                               "compile the circuit first (compile=True)")
        if inst.name == "barrier":
            continue
        if len(inst.qubits) > 2:
            raise CompileError(f"{where}: {device.name} runs gates on at most two qubits")
        if len(inst.qubits) == 2 and not device.has_coupler(*inst.qubits):
            a, b = (names[q] for q in inst.qubits)
            raise CompileError(f"{where}: {device.name} has no coupler between {a} and {b}")


@lru_cache(maxsize=64)
def _coupled_pairs(device: Device) -> frozenset[tuple[int, int]]:
    """The (a, b) qubit pairs, both ways round, that share a coupler."""
    return frozenset(p for a, b in device.couplers for p in ((a, b), (b, a)))


def validate(circuit: QuantumCircuit, *, context: CompileContext) -> QuantumCircuit:
    """Pass form of `check_native` for the pipeline's last step."""
    if context.device is None:
        raise ValueError("validate needs a device in the context")
    check_native(circuit, context.device)
    return circuit
