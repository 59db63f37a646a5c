"""The one place where errors become HTTP responses (a JSON `ErrorBody`)."""

from __future__ import annotations

import logging
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ...errors import ServiceError
from ...schemas import ErrorBody
from ..errors import InvalidRequest

logger = logging.getLogger(__name__)
ERROR_CODES = {400: "invalid_request", 401: "unauthenticated", 403: "forbidden",
          404: "not_found", 405: "method_not_allowed", 409: "conflict",
          413: "payload_too_large", 422: "invalid_request", 429: "quota_exceeded",
          500: "internal_error", 503: "unavailable"}


def request_id(request: Request) -> str:
    rid = getattr(request.state, "request_id", None)
    if rid is None:
        rid = request.state.request_id = uuid.uuid4().hex[:16]
    return rid


def error_response(request: Request, status: int, detail: str, **extra) -> JSONResponse:
    body = ErrorBody(detail=detail, code=ERROR_CODES.get(status, "error"),
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
    return error_response(request, exc.status, exc.message, **extra)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
    return error_response(request, 422, "; ".join(parts) or "invalid request")


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return error_response(request, exc.status_code, str(exc.detail))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unexpected error in %s %s", request.method, request.url.path)
    return error_response(request, 500, f"internal error ({type(exc).__name__}); "
                          "quote the request id when reporting it")


def install(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
