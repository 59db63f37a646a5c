"""The one place where errors become HTTP responses (a JSON `ErrorBody`)."""

from __future__ import annotations

import logging
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic_core import PydanticSerializationError
from sqlalchemy.exc import DataError, DisconnectionError, OperationalError, StatementError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from ...errors import ServiceError
from ...schemas import ErrorBody
from ..errors import InvalidRequest

logger = logging.getLogger(__name__)
#: Errors that mean the store cannot answer now (not a bug of the request or the server).
STORE_UNAVAILABLE = (OperationalError, DisconnectionError, PoolTimeout)
ERROR_CODES = {400: "invalid_request", 401: "unauthenticated", 403: "forbidden",
               404: "not_found", 405: "method_not_allowed", 409: "conflict",
               413: "payload_too_large", 422: "invalid_request", 429: "quota_exceeded",
               500: "internal_error", 503: "unavailable"}


def request_id(request: Request) -> str:
    rid = getattr(request.state, "request_id", None)
    if rid is None:
        rid = request.state.request_id = uuid.uuid4().hex[:16]
    return rid


def error_response(request: Request, status: int, detail: str, code: str | None = None,
                   **extra) -> JSONResponse:
    body = ErrorBody(detail=detail, code=code or ERROR_CODES.get(status, "error"),
                     request_id=request_id(request), **extra)
    headers = {"X-Request-ID": body.request_id}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status,
                        headers=headers)


async def _service_error(request: Request, exc: ServiceError) -> JSONResponse:
    extra = {}
    if isinstance(exc, InvalidRequest):
        extra = {"line": exc.line, "column": exc.column}
    return error_response(request, exc.status, exc.message, code=exc.code, **extra)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
    return error_response(request, 422, "; ".join(parts) or "invalid request")


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return error_response(request, exc.status_code, str(exc.detail))


def _causes(exc: BaseException) -> list[BaseException]:
    """`exc` and what it wraps (SQLAlchemy's `orig`, `__cause__`, `__context__`)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return chain


def _is_read_only(exc: BaseException) -> bool:
    """PostgreSQL in read-only mode raises an InternalError, SQLite an OperationalError."""
    return any("read-only" in str(e) or "readonly" in str(e) for e in _causes(exc))


async def _store_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """The database is away (restarting, unreachable, out of connections) or read-only:
    a 503 the client may retry, instead of a 500."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    if "readonly" in text or "read-only" in text:
        detail = "the job store is read-only; nothing can be written now, try again later"
    else:
        detail = "the job store is unavailable; try again in a few seconds"
    logger.warning("store unavailable in %s %s: %s", request.method, request.url.path,
                   type(exc).__name__)
    response = error_response(request, 503, detail)
    response.headers["Retry-After"] = "2"
    return response


def _is_bad_text(exc: BaseException) -> bool:
    """A JSON string may escape a lone UTF-16 surrogate ("\\ud800"), which Python
    accepts but no UTF-8 encoder (the response, the request hash, the database) does."""
    return any(isinstance(e, UnicodeError) or "surrogates not allowed" in str(e)
               for e in _causes(exc))


async def _classified(request: Request, exc: Exception) -> JSONResponse:
    """Errors that may be the request's or the store's fault rather than a bug."""
    if _is_bad_text(exc):
        return error_response(request, 400, "the request holds text that is not valid "
                              "Unicode (a lone surrogate); send UTF-8 text")
    if any(isinstance(e, DataError) for e in _causes(exc)):
        # the database refused a value of the request (a NUL character, which
        # PostgreSQL text cannot hold; a number out of a column's range)
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
        return error_response(request, 400, f"a value of the request cannot be stored: "
                              f"{reason}")
    if _is_read_only(exc) or any(isinstance(e, STORE_UNAVAILABLE) for e in _causes(exc)):
        return await _store_unavailable(request, exc)
    return await _unexpected(request, exc)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unexpected error in %s %s", request.method, request.url.path)
    return error_response(request, 500, f"internal error ({type(exc).__name__}); "
                          "quote the request id when reporting it")


ERROR_DESCRIPTIONS = {
    400: "invalid program, option or text (the message names the line and column)",
    401: "missing, unknown, revoked or expired token (said in words)",
    403: "administrators only",
    404: "no such resource (job, user, backend), or not yours (the same answer)",
    409: "conflict: idempotency key reused for another request, backend offline, "
         "or the name is taken",
    413: "request body over max_request_bytes, or a program over max_qasm_bytes",
    422: "malformed body or parameter",
    429: "rate limit (see Retry-After) or quota",
    503: "the store is unavailable or read-only (see Retry-After)",
}


def described(*statuses: int) -> dict[int | str, dict]:
    """`responses=` for a route whose refusals this table does not derive (409)."""
    return {status: {"model": ErrorBody, "description": ERROR_DESCRIPTIONS[status]}
            for status in statuses}


def _derived_statuses(operation: dict) -> list[int]:
    """The error statuses an operation can answer, read from its own schema: a bearer
    token (401; 403 with the `admin` scope), path parameters (404), any input (400, 422),
    a body (413). Every request may meet the rate limit or a store that is away."""
    security = [scopes for requirement in operation.get("security", ())
                for scopes in requirement.values()]
    where = {p.get("in") for p in operation.get("parameters", ())}
    body = "requestBody" in operation
    statuses = [429, 503]
    statuses += [401] if security else []
    statuses += [403] if any("admin" in scopes for scopes in security) else []
    statuses += [404] if "path" in where else []
    statuses += [400, 422] if where or body else []
    statuses += [413] if body else []
    return statuses


def document_errors(app: FastAPI) -> None:
    """Make the OpenAPI schema list every error status an operation can answer, each an
    `ErrorBody` (FastAPI documents only 422, and with a body shape we never send)."""
    make_schema = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = make_schema()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["ErrorBody"] = ErrorBody.model_json_schema(
            ref_template="#/components/schemas/{model}")
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status in _derived_statuses(operation):
                    responses[str(status)] = {"description": ERROR_DESCRIPTIONS[status],
                                              "content": error}
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def install(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for error in (StatementError, DisconnectionError, PoolTimeout, UnicodeError,
                  PydanticSerializationError):
        app.add_exception_handler(error, _classified)
    app.add_exception_handler(Exception, _unexpected)
    document_errors(app)
