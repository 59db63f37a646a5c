"""What the services ask of the quantum core: is a program acceptable, and the programs
and results of chips served by a device agent.

With `core.quantum` (backends by name, calibration, a job's run, which the workers
need too and re-exported here), these are every call the server makes into the
quantum core, so a change in `kuafu.backends`, `kuafu.devices` or `kuafu.qasm` is a
change in these two modules only.
"""

from __future__ import annotations

from typing import Any

from ...circuit import QuantumCircuit
from ...errors import KuafuError, QasmError
from ..core.quantum import (  # noqa: F401  (re-exported: the services' one import)
    agent_systems,
    backend_names,
    backend_status,
    calibration_snapshot,
    device_of,
    get_backend,
    result_record,
)
from ..errors import InvalidRequest

#: Widest circuit accepted by a backend that states no width (`num_qubits` None); the
#: ideal simulator states its own (`backends.simulator.MAX_QUBITS`, the cost estimate
#: deciding below it).
DEFAULT_MAX_QUBITS = 32
#: Most operations (after expanding gate definitions) a program may hold.
DEFAULT_MAX_OPERATIONS = 200_000
#: Most qubits a program may declare to be read at all; whether it fits a backend is
#: checked after parsing, so that the refusal names the chip and its size.
PARSE_MAX_QUBITS = 4096


def validate(text: str, backend_name: str, compile: bool,
             max_operations: int = DEFAULT_MAX_OPERATIONS,
             max_memory_bytes: int | None = None, shots: int = 1024) -> QuantumCircuit:
    """Parse a program and check it fits the backend, before the job is accepted.

    Raises:
        InvalidRequest: with line and column when the program is at fault; code
            `circuit_too_costly` with the estimate when no simulation method fits.
    """
    backend = get_backend(backend_name)
    device = backend.device
    width = backend.num_qubits or DEFAULT_MAX_QUBITS
    circuit = parse_program(text, max(width, PARSE_MAX_QUBITS), max_operations)
    check_width(circuit, backend_name, width, device is not None)
    check_runnable(circuit, backend, compile)
    if max_memory_bytes is not None:
        check_cost(circuit, backend, compile, shots, max_memory_bytes)
    return circuit


def check_width(circuit: QuantumCircuit, backend_name: str, width: int,
                chip: bool) -> None:
    """Refuse a program that declares more qubits than the backend has.

    Raises:
        InvalidRequest: naming the backend and its size (code `circuit_too_wide`).
    """
    if circuit.num_qubits <= width:
        return
    has = (f"{backend_name} has {width} qubits" if chip
           else f"{backend_name} simulates at most {width} qubits")
    raise InvalidRequest(f"the program declares {circuit.num_qubits} qubits; {has}; "
                         "choose a larger backend or a smaller circuit",
                         code="circuit_too_wide")


NO_MEASUREMENT_HINT = ("add measurements: `measure q -> c;` in OpenQASM, "
                       "`circuit.measure_all()` in Python")


def check_runnable(circuit: QuantumCircuit, backend: Any, compile: bool = True) -> None:
    """Refuse now what would only fail in a worker, or give nothing: no qubits, what the
    backend refuses (`Backend.check`, the rule its run applies: opaque gates; uncompiled,
    gates the chip lacks or pairs without a coupler), no measurement (counts of no
    bits; the Sampler refuses it too).

    Raises:
        InvalidRequest: naming the problem.
    """
    if circuit.num_qubits == 0:
        raise InvalidRequest("the program declares no qubits (qreg)")
    try:
        backend.check(circuit, compile=compile)
    except KuafuError as exc:
        raise InvalidRequest(str(exc)) from None
    if not any(inst.name == "measure" for inst in circuit.instructions):
        raise InvalidRequest(f"the program measures nothing, so its counts would be empty; "
                             f"{NO_MEASUREMENT_HINT}", code="no_measurement")


#: Circuits touching at most this many qubits are cheap on every method: not estimated.
CHEAP_QUBITS = 12


def check_cost(circuit: QuantumCircuit, backend: Any, compile: bool, shots: int,
               max_memory_bytes: int) -> None:
    """Refuse at submission what the worker would refuse: a circuit no simulation method
    runs within the limits. Every simulating backend answers through its `estimate` (an
    emulated chip on the compiled circuit, the ideal simulator on the circuit as written:
    the same decision its run makes) with the server's memory limit. Failures of other
    kinds (a circuit the compiler rejects) are left to the worker, which reports them.

    Raises:
        InvalidRequest: code `circuit_too_costly`, with the estimate (qubits, entangling
            depth, bond dimension, memory, time) and the limits.
    """
    from ...errors import CircuitTooCostlyError

    touched = {q for inst in circuit.instructions if inst.name != "barrier"
               for q in inst.qubits}
    if len(touched) <= CHEAP_QUBITS:
        return
    estimate = getattr(backend, "estimate", None)  # a real device has none: no cost rule
    if estimate is None:
        return
    try:
        estimate(circuit, shots, compile=compile, max_memory_bytes=max_memory_bytes)
    except CircuitTooCostlyError as exc:
        raise InvalidRequest(str(exc), code="circuit_too_costly") from None
    except KuafuError:
        return


def parse_program(text: str, max_qubits: int,
                  max_operations: int = DEFAULT_MAX_OPERATIONS) -> QuantumCircuit:
    """Parse OpenQASM 2 text within bounds (qubits, operations after expansion).

    Raises:
        InvalidRequest: with the line and column of the first problem.
    """
    from ... import qasm

    try:
        limits = qasm.Limits(max_qubits=max_qubits, max_operations=max_operations)
        return qasm.loads(text, limits=limits)
    except QasmError as exc:
        raise InvalidRequest(f"invalid OpenQASM: {exc}", exc.line or None,
                             exc.column or None) from None
    except (KuafuError, ValueError, TypeError, RecursionError) as exc:
        raise InvalidRequest(f"invalid OpenQASM: {exc}") from None


# ----- chips served by a device agent (kuafu.backends.remote, docs/quafu.md) ------------

def prepare_for_agent(qasm_text: str, backend: str, compile: bool,
                      seed: int | None) -> tuple[str, int]:
    """The program an agent receives: compiled for its chip; with its qubit count."""
    from ... import qasm

    target = get_backend(backend)
    prepared = target.prepare(qasm.loads(qasm_text), compile=compile, seed=seed)
    return prepared.qasm, target.device.num_qubits


def finish_from_agent(qasm_text: str, backend: str, shots: int, compile: bool,
                      seed: int | None, counts: dict[str, int]) -> dict[str, Any]:
    """A job's result from the counts its agent posted (Quafu bit order); the program
    is prepared again with the same seed, which gives the circuit the agent ran.

    Raises:
        ValueError: the counts do not fit the program's classical bits.
    """
    from ... import qasm

    target = get_backend(backend)
    prepared = target.prepare(qasm.loads(qasm_text), compile=compile, seed=seed)
    out = target.finish(prepared, counts, shots=shots, seed=seed)
    return result_record(out, target.device, shots)
