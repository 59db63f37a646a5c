"""The web console: server-rendered pages (Jinja2) under `/console`, with a little plain
JavaScript and CSS served from the package (no CDN), and SVG pictures drawn on the
server. See docs/console.md.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from .pages import STATIC
from .routes import router

__all__ = ["install", "router"]


def install(app: FastAPI) -> None:
    """Mount the console's pages, its static files, and `/` leading to it."""
    app.include_router(router)
    app.mount("/console/static", StaticFiles(directory=str(STATIC)), name="console-static")
    app.add_api_route("/", lambda: RedirectResponse("/console/", status_code=303),
                      include_in_schema=False)
