"""Quafu tasks from Kuafu jobs: the form pyquafu posts, and the dict it reads back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from ...circuit.counts import to_quafu_counts
from ...schemas import JobCreate, JobStatus
from ..errors import InvalidRequest, ServiceError
from ..models import Job
from ..services import execution
from . import protocol

PROGRAM_FAULTS = ("invalid OpenQASM", "the circuit uses", "instruction ", "the program ",
                  "simulating this program")
"""How `execution.validate`'s refusals begin: faults of the program, not of the options."""


class QuafuRefusal(Exception):
    """A request refused with a Quafu response code (see `protocol`)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        return protocol.error(self.code, self.message)


def refusal(exc: ServiceError) -> QuafuRefusal:
    """A Kuafu refusal in Quafu's terms: a fault of the program is a `CircuitError`
    (5001, with line and column), anything else a `UserError` (400)."""
    if isinstance(exc, InvalidRequest) and exc.message.startswith(PROGRAM_FAULTS):
        where = f" (line {exc.line}, column {exc.column})" \
            if exc.line and f"line {exc.line}" not in exc.message else ""
        return QuafuRefusal(protocol.CIRCUIT_ERROR, exc.message + where)
    return QuafuRefusal(protocol.USER_ERROR, exc.message)


def _integer(form: Mapping[str, str], name: str, default: int) -> int:
    raw = form.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise QuafuRefusal(protocol.USER_ERROR,
                           f"{name} must be an integer, got {raw!r}") from None


def job_request(form: Mapping[str, str], backends_by_id: Mapping[int, str]) -> JobCreate:
    """The Kuafu submission for pyquafu's form (`qtasm`, `shots`, `selected_server`,
    `compile`, `priority`, `task_name`; `qubits`, `scan`, `tomo` and the version are
    informative).

    Raises:
        QuafuRefusal: a missing program, a field that is not a number, an unknown
            `selected_server`, or an option out of range.
    """
    program = form.get("qtasm")
    if not program:
        raise QuafuRefusal(protocol.USER_ERROR, "qtasm (the OpenQASM program) is missing")
    server = _integer(form, "selected_server", -1)
    if server not in backends_by_id:
        known = ", ".join(f"{i} ({n})" for i, n in sorted(backends_by_id.items()))
        raise QuafuRefusal(protocol.USER_ERROR,
                           f"no backend with system_id {server}; available: {known}")
    priority = min(max(_integer(form, "priority", 2), 0), 9)
    try:
        return JobCreate(qasm=program, backend=backends_by_id[server],
                         shots=_integer(form, "shots", 1000),
                         compile=bool(_integer(form, "compile", 1)), priority=priority,
                         name=form.get("task_name") or None)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                             for e in exc.errors())
        raise QuafuRefusal(protocol.USER_ERROR, problems) from None


def task_body(job: Job) -> dict[str, Any]:
    """A job as pyquafu's `ExecResult` reads it: `task_id`, `task_name`, `status` (code),
    `openqasm` (compiled once done, else as submitted), `res` and `raw` (counts in
    Quafu's bit order, as text), `measure`; `message` says why a job failed."""
    status = JobStatus(job.status)
    body: dict[str, Any] = {"status": protocol.TASK_STATUS[status], "task_id": job.id,
                            "task_name": job.name or "", "backend": job.backend,
                            "shots": job.shots, "openqasm": job.qasm, "res": "{}",
                            "raw": "{}", "measure": "{}"}
    if job.error:
        body["message"] = job.error
    result = job.result or {}
    if status is JobStatus.DONE and result:
        circuit = execution.parse_program(job.qasm, 1 << 20)
        order = [c for inst in circuit.instructions if inst.name == "measure"
                 for c in inst.clbits]
        counts = to_quafu_counts(result["counts"], order)
        body["res"] = body["raw"] = protocol.counts_text(counts)
        if result.get("compiled_qasm"):
            body["openqasm"] = protocol.measures_in_order(result["compiled_qasm"], order)
        body["measure"] = protocol.measured_map(body["openqasm"])
    return body


def failure(job: Job) -> QuafuRefusal:
    """What a synchronous submission whose job failed raises in pyquafu: a
    `CompileError` (5004) when compiling failed, else a `ServerError` (5003)."""
    reason = job.error or "the job failed"
    code = protocol.COMPILE_ERROR if reason.startswith(("CompileError", "CircuitTooWide")) \
        else protocol.SERVER_ERROR
    return QuafuRefusal(code, f"task {job.id} failed: {reason}")


EMPTY_PROGRAM = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg meas[1];\n'


def missing_task(task_id: str, message: str) -> dict[str, Any]:
    """A recall that found no task of the caller's, in the shape pyquafu reads."""
    return {"status": protocol.TASK_STATUS[JobStatus.FAILED], "task_id": task_id,
            "task_name": "", "openqasm": EMPTY_PROGRAM, "res": "{}", "raw": "{}",
            "measure": "{}", "message": message}
