"""Limits every request passes before a route sees it: rate, size, and security headers.

Three pure ASGI middlewares (no per-request task or body buffering, unlike Starlette's
`BaseHTTPMiddleware`), installed by `install(app, settings)`:

* `SecurityHeaders` adds `Content-Security-Policy`, `X-Content-Type-Options`,
  `X-Frame-Options` and `Referrer-Policy` to every response. The API docs page loads
  Swagger UI from the package's static files and starts it with an inline script, so it
  gets a policy that allows exactly that; everything else (the console's static files
  included) gets `default-src 'self'`.
* `BodySizeLimit` answers 413 before reading a body whose `Content-Length` is over
  `max_request_bytes`, and stops reading a chunked body as soon as it passes the limit.
* `RateLimit` gives each bearer token a token bucket (`rate_limit` requests per second,
  `rate_limit_burst` at once) and answers 429 with `Retry-After` when it is empty, so one
  client cannot starve the others. Requests without a token are not counted here: they
  are refused with 401 before any database work. The buckets live in memory: one
  server, one set of buckets.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI, HTTPException

from ..core.config import Settings
from .handlers import ERROR_CODES

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Policy of every response but the API docs page.
DEFAULT_CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
#: Swagger UI (the API docs page): bundle, CSS and favicon from the package's static
#: files (no CDN: it works offline), an inline start-up script.
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "frame-ancestors 'none'; base-uri 'self'")
#: Headers on every response besides the policy.
SECURITY_HEADERS = {
    b"x-content-type-options": b"nosniff",
    b"x-frame-options": b"DENY",
    b"referrer-policy": b"no-referrer",
}
#: Most buckets kept; beyond it, full (idle) buckets are dropped first.
MAX_BUCKETS = 100_000


class SecurityHeaders:
    """Adds the security headers to every HTTP response (a header a route set wins)."""

    def __init__(self, app: ASGIApp, docs_paths: tuple[str, ...] = ()) -> None:
        self.app = app
        self.docs_paths = docs_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = DOCS_CSP if scope.get("path") in self.docs_paths else DEFAULT_CSP
        extra = {**SECURITY_HEADERS, b"content-security-policy": policy.encode()}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend((k, v) for k, v in extra.items() if k not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodySizeLimit:
    """Refuses request bodies over `limit` bytes with 413, reading no more than that."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _error(send, 413, f"request body over {self.limit} bytes "
                                    "(max_request_bytes)")
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:  # a chunked body that keeps coming
                    raise HTTPException(413, f"request body over {self.limit} bytes "
                                             "(max_request_bytes)")
            return message

        await self.app(scope, counting_receive, send)


class TokenBuckets:
    """Token buckets keyed by a digest of the bearer token; thread-safe, in memory."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[bytes, tuple[float, float]] = {}  # key -> (tokens, when)
        self._lock = threading.Lock()

    def take(self, key: bytes) -> float:
        """Spend one request for `key`; 0 if allowed, else seconds until one is due."""
        now = time.monotonic()
        with self._lock:
            tokens, when = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - when) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                if len(self._buckets) > MAX_BUCKETS:
                    self._prune(now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate

    def wait(self, key: bytes) -> float:
        """Seconds until `key` may spend one (0: now), spending nothing: for limits that
        count only failures (console sign-in, `services.identity.SignInThrottle`)."""
        now = time.monotonic()
        with self._lock:
            tokens, when = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - when) * self.rate)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate

    def _prune(self, now: float) -> None:
        """Drop buckets that have refilled (forgetting them changes nothing)."""
        full = [k for k, (tokens, when) in self._buckets.items()
                if tokens + (now - when) * self.rate >= self.burst]
        for key in full:
            del self._buckets[key]
        while len(self._buckets) > MAX_BUCKETS:  # all busy: forget the oldest
            del self._buckets[next(iter(self._buckets))]


class RateLimit:
    """429 with `Retry-After` once a bearer token has used up its bucket."""

    def __init__(self, app: ASGIApp, rate: float, burst: int) -> None:
        self.app = app
        self.buckets = TokenBuckets(rate, burst)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        authorization = _header(scope, b"authorization")
        if authorization:
            key = hashlib.sha256(authorization.encode("latin-1")).digest()
            wait = self.buckets.take(key)
            if wait > 0:
                retry_after = max(1, math.ceil(wait))
                await _error(send, 429, f"rate limit: over {self.buckets.rate:g} requests "
                                        f"per second for this token; retry in {retry_after} s",
                             {"retry-after": str(retry_after)})
                return
        await self.app(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


async def _error(send: Send, status: int, detail: str,
                 headers: dict[str, str] | None = None) -> None:
    """An `ErrorBody` response sent from a middleware (the routes' handlers are not
    reached); same shape as `handlers.error_response`."""
    rid = uuid.uuid4().hex[:16]
    body = json.dumps({"detail": detail, "code": ERROR_CODES.get(status, "error"),
                       "request_id": rid}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
           (b"x-request-id", rid.encode()), (b"connection", b"close")]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def install(app: FastAPI, settings: Settings, docs_paths: tuple[str, ...] = ()) -> None:
    """Add the three middlewares, the headers outside them so 413 and 429 carry them,
    and the access log (`access_log.py`) outermost."""
    if settings.rate_limit > 0:
        app.add_middleware(RateLimit, rate=settings.rate_limit, burst=settings.rate_limit_burst)
    app.add_middleware(BodySizeLimit, limit=settings.max_request_bytes)
    app.add_middleware(SecurityHeaders, docs_paths=docs_paths)
    from .access_log import AccessLog  # outermost: it sees 413 and 429 too

    app.add_middleware(AccessLog)
