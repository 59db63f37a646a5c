"""Rendering console pages, and turning refusals into pages instead of JSON.

`ConsoleRoute` wraps every console route: a visitor who is not signed in is sent to the
sign-in form (or, for the scripts' fragment requests, answered 401); any other refusal
of the services (`ServiceError`: 403, 404, 409...) becomes an HTML page with the same
status and the same message the API would give.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from ... import __version__
from ..errors import ServiceError
from .session import CSRF_HEADER, SignInRequired

HERE = Path(__file__).resolve().parent
TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"))
STATIC = HERE / "static"
LIVE_HEADER = "X-Requested-With"
LIVE_VALUE = "kuafu-live"


def is_live(request: Request) -> bool:
    """Whether the console's script asks for the live fragment of a page."""
    return request.headers.get(LIVE_HEADER) == LIVE_VALUE


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    viewer = getattr(request.state, "viewer", None)
    return TEMPLATES.TemplateResponse(
        request, template, {"viewer": viewer, "version": __version__,
                            "csrf_header": CSRF_HEADER, "path": request.url.path, **context},
        status_code=status)


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    titles = {400: "Bad request", 401: "Sign in needed", 403: "Not allowed",
              404: "Not found", 409: "Conflict", 413: "Too large", 422: "Bad request",
              429: "Quota reached"}
    return render(request, "error.html", status=status, title=titles.get(status, "Error"),
                  message=message)


class ConsoleRoute(APIRoute):
    """A route whose refusals are pages (or a redirect to sign in), not JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired as exc:
                if request.method == "GET" and not is_live(request):
                    target = request.url.path + (f"?{request.url.query}"
                                                 if request.url.query else "")
                    why = f"&why={exc.why}" if exc.why else ""
                    return RedirectResponse(
                        f"/console/login?next={quote(target, safe='')}{why}", 303)
                return error_page(request, 401, exc.message)
            except ServiceError as exc:
                return error_page(request, exc.status, exc.message)
            except RequestValidationError as exc:
                problems = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: "
                                     f"{e.get('msg')}" for e in exc.errors())
                return error_page(request, 422, problems or "invalid request")

        return route
