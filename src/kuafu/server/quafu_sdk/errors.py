"""quafu-sdk's error bodies: `{"error", "code", "vars"}` with the HTTP status that lands
each refusal in the SDK's own exception (quafu/errors.py `from_response`).

    SdkError                        what a route raises; its `response()` is the body
    refusal(ServiceError, ...)      a Kuafu refusal in the SDK's terms:
        InvalidRequest (program)    422 precheck.<reason>  -> PrecheckError (line, column)
        InvalidRequest (shots)      422 precheck.shotsOutOfRange -> PrecheckError
        InvalidRequest (other)      400 invalid_request    -> BadRequest
        Unauthenticated             401 invalid_api_key    -> LoginRevoked
        NotFound (backend)          400 unknown_device     -> BadRequest
        Conflict (offline)          409 runtime.deviceUnavailable -> DeviceUnavailable
        PayloadTooLarge             413 payload_too_large  -> QuotaError
        QuotaExceeded               429 runtime.quotaExhausted -> QuotaError
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.responses import JSONResponse

from ..errors import (
    Conflict,
    InvalidRequest,
    NotFound,
    PayloadTooLarge,
    QuotaExceeded,
    ServiceError,
    Unauthenticated,
)

PROGRAM_FAULTS = ("invalid OpenQASM", "the circuit uses", "instruction ", "the program ",
                  "simulating this program")
"""How `execution.validate`'s refusals begin when the program is at fault."""

_PROGRAM_INDEX = re.compile(r"^program #(\d+) of \d+: ")


class SdkError(Exception):
    """A refusal in quafu-sdk's terms: HTTP status, machine code, text, vars."""

    def __init__(self, status: int, code: str, message: str,
                 vars: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.vars = vars or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.message, "code": self.code, "vars": self.vars}
        if "." in self.code:
            body["error_category"] = self.code
            body["detail"] = self.message
        return body

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status)


def not_found(what: str, code: str = "not_found") -> SdkError:
    return SdkError(404, code, what)


def unknown_device(name: str, available: list[str]) -> SdkError:
    return SdkError(400, "unknown_device",
                    f"no device {name!r}; available: {', '.join(available)}",
                    {"device": name, "available": available})


def _precheck_reason(exc: InvalidRequest, message: str) -> str:
    if exc.code in ("circuit_too_wide", "circuit_too_costly"):
        return "precheck.simTooLarge"
    if exc.code == "no_measurement":
        return "precheck.noMeasurement"
    if message.startswith("invalid OpenQASM"):
        return "precheck.qasmSyntax"
    if message.startswith("the circuit uses"):
        return "precheck.notNative"
    return "precheck.invalidCircuit"


def refusal(exc: ServiceError, task_index: int | None = None,
            device: str | None = None) -> SdkError:
    """A Kuafu refusal (`kuafu.server.errors`) in quafu-sdk's terms (module docstring).

    Args:
        exc: the refusal.
        task_index: which task of the group the program was, when known.
        device: the target, for the device errors.
    """
    message = exc.message
    if isinstance(exc, InvalidRequest):
        index = task_index
        if (m := _PROGRAM_INDEX.match(message)) is not None:
            index = int(m.group(1)) - 1
            message = message[m.end():]
        if message.startswith(PROGRAM_FAULTS) or exc.code in (
                "circuit_too_wide", "circuit_too_costly", "no_measurement"):
            reason = _precheck_reason(exc, message)
            vars_: dict[str, Any] = {}
            if index is not None:
                vars_["task_index"] = index
            if exc.line:
                vars_["line"] = exc.line
                vars_["column"] = exc.column
                if f"line {exc.line}" not in message:
                    message += f" (line {exc.line}, column {exc.column})"
            if index is not None:
                message = f"task {index}: {message}"
            return SdkError(422, reason, message, vars_)
        if message.startswith("shots must be"):
            return SdkError(422, "precheck.shotsOutOfRange", message)
        if message.startswith("a batch may hold"):
            return SdkError(413, "job_too_large", message)
        return SdkError(400, exc.code or "invalid_request", message)
    if isinstance(exc, Unauthenticated):
        code = "unauthenticated" if message.startswith("missing") else "invalid_api_key"
        return SdkError(401, code, message)
    if isinstance(exc, NotFound) and message.startswith("unknown backend"):
        return SdkError(400, "unknown_device", message, {"device": device})
    if isinstance(exc, NotFound):
        return SdkError(404, "not_found", message)
    if isinstance(exc, Conflict) and exc.code == "backend_offline":
        return SdkError(409, "runtime.deviceUnavailable", message, {"device": device})
    if isinstance(exc, Conflict):
        return SdkError(409, exc.code or "conflict", message)
    if isinstance(exc, PayloadTooLarge):
        return SdkError(413, "payload_too_large", message)
    if isinstance(exc, QuotaExceeded):
        return SdkError(429, "runtime.quotaExhausted", message)
    return SdkError(exc.status, exc.code or "error", message)
