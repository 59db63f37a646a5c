"""The server's access log: one structured line per HTTP request, on `kuafu.access`.

    access method=POST path=/api/v1/jobs status=201 ms=4.1 client=127.0.0.1 user=alice

Fields are `key=value` (logfmt; a value with spaces or quotes is quoted), so a log
shipper parses them without a pattern. Only the path is logged: never the query string,
the headers (the bearer token) or the body, so no secret reaches the log. `user` is the
authenticated caller (set by `deps.get_current_user`), `request_id` the id an error
answer carried.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from .limits import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("kuafu.access")


def logfmt(**fields: Any) -> str:
    """`key=value` pairs; values with spaces, quotes or `=` quoted, None as `-`."""
    parts = []
    for key, value in fields.items():
        text = "-" if value is None else str(value)
        if not text or any(c in text for c in ' "=\\') or not text.isprintable():
            text = json.dumps(text)  # quoted, escapes and all
        parts.append(f"{key}={text}")
    return " ".join(parts)


class AccessLog:
    """Logs each HTTP request when its response has started (status and time to first
    byte); nothing at all when `kuafu.access` is not enabled for INFO."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not logger.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception that escapes every handler

        async def send_logged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        finally:
            state = scope.get("state") or {}
            client = scope.get("client")
            logger.info("access %s", logfmt(
                method=scope.get("method"), path=scope.get("path"), status=status,
                ms=f"{(time.perf_counter() - started) * 1000:.1f}",
                client=client[0] if client else None, user=state.get("user"),
                request_id=state.get("request_id")))
