"""Refusals of the server, each with the HTTP status that says why.

    ServiceError (kuafu.errors)          400
    ├── InvalidRequest                   400  line, column when about a program
    ├── Unauthenticated                  401
    ├── Forbidden                        403
    ├── NotFound                         404
    ├── Conflict                         409
    ├── PayloadTooLarge                  413
    ├── QuotaExceeded                    429
    └── Unavailable                      503

`api/handlers.py` turns each into a JSON `ErrorBody`; routes never build error
responses themselves.
"""

from __future__ import annotations

from ..errors import ServiceError


class InvalidRequest(ServiceError):
    status = 400

    def __init__(self, message: str, line: int | None = None, column: int | None = None,
                 code: str | None = None) -> None:
        super().__init__(message, code)
        self.line = line
        self.column = column


class Unauthenticated(ServiceError):
    status = 401


class Forbidden(ServiceError):
    status = 403


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    status = 409


class PayloadTooLarge(ServiceError):
    status = 413


class QuotaExceeded(ServiceError):
    status = 429


class Unavailable(ServiceError):
    status = 503


__all__ = [
    "Conflict",
    "Forbidden",
    "InvalidRequest",
    "NotFound",
    "PayloadTooLarge",
    "QuotaExceeded",
    "ServiceError",
    "Unauthenticated",
    "Unavailable",
]
