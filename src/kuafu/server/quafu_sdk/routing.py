"""Which requests under `/api/v1` are quafu-sdk's.

quafu-sdk insists on `{BASE_URL}/api/v1`, Kuafu's native prefix. Most of its paths are
new there (`/devices`, `/calibrations`, `/auth/me`, `/stats/me`, `/jobs/<id>/status`,
`/jobs/<id>/tasks`, ...) and are simply served. Two collide with the native API:

* `POST /api/v1/jobs`: quafu-sdk's when the request comes from quafu-sdk (its
  `User-Agent` is `quafu-sdk/<version>`, set by the SDK on every request), Kuafu's
  otherwise;
* `POST /api/v1/jobs/<id>/cancel`: quafu-sdk's when `<id>` is a job group id (`qj…`,
  never a Kuafu job id, which is 32 hex digits) or the request comes from quafu-sdk.

`SdkRoute` also turns the refusals of its routes into quafu-sdk's error bodies.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import Scope

from ..errors import ServiceError
from .errors import SdkError, refusal
from .groups import is_group_id

USER_AGENT = b"quafu-sdk/"
SHARED_PATHS = ("/jobs", "/jobs/{job_id}/cancel")
"""Path endings the native API serves too."""


def from_sdk(scope: Scope) -> bool:
    for key, value in scope.get("headers", ()):
        if key == b"user-agent":
            return value.startswith(USER_AGENT)
    return False


class SdkRoute(APIRoute):
    """A quafu-sdk route: yields shared paths to the native API unless the request is
    quafu-sdk's, and answers refusals in quafu-sdk's error shape."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match is Match.FULL and self.path_format.endswith(SHARED_PATHS):
            job_id = child.get("path_params", {}).get("job_id")
            if not from_sdk(scope) and not (job_id and is_group_id(job_id)):
                return Match.NONE, {}
        return match, child

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except SdkError as exc:
                return exc.response()
            except ServiceError as exc:
                return refusal(exc).response()

        return answer
