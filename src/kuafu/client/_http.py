"""The private HTTP layer: one httpx client, retries with backoff, errors as `APIError`."""

from __future__ import annotations

import logging
import random
import time
from typing import Any

import httpx

from ..errors import APIError

logger = logging.getLogger(__name__)

#: Statuses worth retrying: the server or a proxy in front of it is briefly unwell.
RETRIABLE_STATUS = frozenset({500, 502, 503, 504})


class HttpClient:
    """Sends requests to `url` + `/api/v1`, retrying connection errors and 5xx.

    Args:
        url: the server's base address.
        token: the API token, sent as `Authorization: Bearer`.
        timeout: seconds for each request (connect, read, write).
        max_retries: retries after the first try.
        backoff: first pause in seconds; it doubles on each retry (with jitter), capped.
        transport: an httpx transport, e.g. `httpx.ASGITransport(app)` in tests.
    """

    def __init__(self, url: str, token: str | None, *, timeout: float = 30.0,
                 max_retries: int = 5, backoff: float = 0.1,
                 transport: httpx.BaseTransport | None = None) -> None:
        headers = {"User-Agent": "kuafu-client"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.url = url
        self.max_retries = max_retries
        self.backoff = backoff
        self._client = httpx.Client(base_url=f"{url}/api/v1", headers=headers,
                                    timeout=timeout, transport=transport)

    def request(self, method: str, path: str, *, json: Any = None,
                params: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
                timeout: float | None = None, raw: bool = False) -> Any:
        """The decoded JSON answer of a successful request.

        Raises:
            APIError: a 4xx answer, or a 5xx / connection failure that outlasted the
                retries (status 0 when the server was never reached).
        """
        params = {k: v for k, v in (params or {}).items() if v is not None}
        extra = {"timeout": timeout} if timeout is not None else {}
        for attempt in range(self.max_retries + 1):
            last = attempt == self.max_retries
            try:
                response = self._client.request(method, path, json=json, params=params,
                                                headers=headers, **extra)
            except httpx.TransportError as exc:
                if last:
                    raise APIError(0, f"cannot reach the Kuafu server at {self.url}: "
                                      f"{exc}") from exc
                self._pause(attempt, f"{type(exc).__name__}")
                continue
            if response.status_code in RETRIABLE_STATUS and not last:
                self._pause(attempt, f"HTTP {response.status_code}")
                continue
            if response.is_error:
                raise _api_error(response)
            return response.content if raw else response.json()
        raise AssertionError("unreachable")

    def _pause(self, attempt: int, why: str) -> None:
        delay = min(5.0, self.backoff * 2 ** attempt) * (0.5 + random.random() / 2)
        logger.info("%s; retrying in %.2f s", why, delay)
        time.sleep(delay)

    def close(self) -> None:
        self._client.close()


def _api_error(response: httpx.Response) -> APIError:
    """The error of a 4xx/5xx answer, with everything its `ErrorBody` holds."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {"detail": response.text[:500]}
    message = body.get("detail") or response.reason_phrase
    if not isinstance(message, str):
        message = str(message)
    error = APIError(response.status_code, message,
                     body.get("request_id") or response.headers.get("X-Request-ID"),
                     code=_text(body.get("code")), line=_number(body.get("line")),
                     column=_number(body.get("column")))
    error.response = response  # as httpx does: the error carries its response
    return error


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _number(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
