"""The Kuafu error tree.

Rule: failures that belong to Kuafu's domain (a malformed program, a circuit that
does not fit a chip, a job the server refused) raise a subclass of `KuafuError`;
programming mistakes (a wrong argument type, a qubit index out of range) raise the
built-in `TypeError` or `ValueError`. Some domain errors are also `ValueError`s
(`QasmError`), so code that catches bad input generically still catches them.

    KuafuError
    ├── QasmError(ValueError)           line, column
    ├── CircuitError(ValueError)        an operation the circuit cannot perform
    ├── CompileError
    │   └── CircuitTooWideError
    ├── SimulationError
    │   ├── InsufficientMemoryError     required_bytes, available_bytes
    │   └── CircuitTooCostlyError       num_qubits, entangling_depth, bond_dimension,
    │                                   memory_bytes, seconds (no method fits the limits)
    ├── ClientError                     the HTTP client could not do what was asked
    │   ├── APIError                    status, message, request_id, code, line, column
    │   └── InvalidJobError(ValueError) options the server would refuse, caught before sending
    ├── JobFailedError                  job_id, reason
    └── ServiceError                    status, code (kuafu.server.errors: refusals of the server)

    KuafuWarning(UserWarning)           something to know that is not an error (a chip in
                                        maintenance: the job waits)
"""

from __future__ import annotations


class KuafuError(Exception):
    """Root of every error Kuafu raises on purpose."""


class CircuitError(KuafuError, ValueError):
    """An operation a circuit cannot perform (inverting a measurement, an unbound parameter)."""


class QasmError(KuafuError, ValueError):
    """An OpenQASM program that cannot be read or written.

    Attributes:
        message: what is wrong, naming the offending token or construct.
        line: 1-based line of the problem in the source (0 when not tied to the source).
        column: 1-based column of the problem (0 when not tied to the source).
    """

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        self.message = message
        self.line = line
        self.column = column
        where = f"line {line}, column {column}: " if line else ""
        super().__init__(f"{where}{message}")

    def __reduce__(self):  # keep line/column through pickling (process pools)
        return (type(self), (self.message, self.line, self.column))


class CompileError(KuafuError):
    """A circuit that cannot be compiled for a device."""


class CircuitTooWideError(CompileError):
    """The circuit needs more qubits than the device has."""


class SimulationError(KuafuError):
    """A circuit the simulator cannot run as asked."""


class InsufficientMemoryError(SimulationError):
    """The chosen simulation method would need more memory than is available.

    Attributes:
        required_bytes: memory the method would need.
        available_bytes: memory that is allowed or available.
    """

    def __init__(self, message: str, required_bytes: int, available_bytes: int) -> None:
        self.required_bytes = required_bytes
        self.available_bytes = available_bytes
        super().__init__(message)

    def __reduce__(self):
        return (type(self), (self.args[0], self.required_bytes, self.available_bytes))


class CircuitTooCostlyError(SimulationError):
    """No simulation method can run the circuit within the memory and time allowed.

    Attributes:
        num_qubits: qubits the circuit (or its costliest independent part) simulates.
        entangling_depth: layers of multi-qubit gates.
        bond_dimension: the MPS bond dimension the estimate expects (None without MPS).
        memory_bytes: estimated memory of the cheapest method.
        seconds: estimated run time of the cheapest method.
        method: the cheapest method, the one the estimate describes.
    """

    def __init__(self, message: str, *, num_qubits: int, entangling_depth: int,
                 bond_dimension: int | None, memory_bytes: int, seconds: float,
                 method: str) -> None:
        self.num_qubits = num_qubits
        self.entangling_depth = entangling_depth
        self.bond_dimension = bond_dimension
        self.memory_bytes = memory_bytes
        self.seconds = seconds
        self.method = method
        super().__init__(message)

    def __reduce__(self):
        return (_rebuild_too_costly, (self.args[0], self.num_qubits, self.entangling_depth,
                                      self.bond_dimension, self.memory_bytes, self.seconds,
                                      self.method))


def _rebuild_too_costly(message, num_qubits, entangling_depth, bond_dimension, memory_bytes,
                        seconds, method) -> CircuitTooCostlyError:
    return CircuitTooCostlyError(message, num_qubits=num_qubits,
                                 entangling_depth=entangling_depth,
                                 bond_dimension=bond_dimension, memory_bytes=memory_bytes,
                                 seconds=seconds, method=method)


class ClientError(KuafuError):
    """The HTTP client could not do what was asked (no server, no token, a timeout)."""


class APIError(ClientError):
    """The server answered a request with an error status.

    Attributes:
        status: the HTTP status code (0 when the server could not be reached at all).
        message: the server's explanation, as it sent it.
        request_id: the server's id of the request, to quote in a bug report.
        code: the server's machine-readable reason (`invalid_request`, `circuit_too_wide`,
            `backend_offline`, ...), None when it sent none.
        line: 1-based line of the program at fault, when the server named one.
        column: 1-based column of the program at fault, when the server named one.
    """

    def __init__(self, status: int, message: str, request_id: str | None = None,
                 code: str | None = None, line: int | None = None,
                 column: int | None = None) -> None:
        self.status = status
        self.message = message
        self.request_id = request_id
        self.code = code
        self.line = line
        self.column = column
        super().__init__(f"HTTP {status}: {message}" if status else message)

    def __reduce__(self):
        return (type(self), (self.status, self.message, self.request_id, self.code,
                             self.line, self.column))


class InvalidJobError(ClientError, ValueError):
    """A submission the server would refuse, caught before it is sent (shots below 1, a
    priority outside 0-9): the message names the option and what it must be."""


class KuafuWarning(UserWarning):
    """Something a user should know that is not an error (the chip is in maintenance,
    so a job submitted to it waits)."""


class JobFailedError(KuafuError):
    """A job ended failed or cancelled when its result was asked for.

    Attributes:
        job_id: the server's id of the job.
        reason: why it did not produce a result.
    """

    def __init__(self, job_id: str, reason: str) -> None:
        self.job_id = job_id
        self.reason = reason
        super().__init__(f"job {job_id} failed: {reason}")

    def __reduce__(self):
        return (type(self), (self.job_id, self.reason))


class ServiceError(KuafuError):
    """The server refuses a request; `status` is the HTTP status that says why, `code`
    (when given) a more precise machine-readable reason than the status's own
    (`circuit_too_wide`, `backend_offline`).

    Subclasses live in `kuafu.server.errors`; one handler turns them into responses.
    """

    status: int = 400

    def __init__(self, message: str, code: str | None = None) -> None:
        self.message = message
        self.code = code
        super().__init__(message)
