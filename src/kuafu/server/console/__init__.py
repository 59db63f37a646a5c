"""The web console: server-rendered pages (Jinja2) under `/console`, with a little plain
JavaScript and CSS served from the package (no CDN), and SVG pictures drawn on the
server. See docs/console.md.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from .apidocs import install_api_docs
from .identity import router as identity_router
from .jobdata import router as jobdata_router
from .pages import STATIC
from .projects import router as projects_router
from .routes import router

__all__ = ["install", "install_api_docs", "router"]

FAVICON = "/console/static/favicon.svg"


def install(app: FastAPI) -> None:
    """Mount the console's pages, its static files, `/` leading to it, and the icon.

    The static files come first: the console's last route answers every other
    `/console/...` address with a "not found" page."""
    app.mount("/console/static", StaticFiles(directory=str(STATIC)), name="console-static")
    app.include_router(identity_router)  # before the console's catch-all "not found"
    app.include_router(projects_router)  # issue 17: projects, usage, calendar
    app.include_router(jobdata_router)  # issue 18: delete, replay, export, history
    app.include_router(router)
    app.add_api_route("/", lambda: RedirectResponse("/console/", status_code=303),
                      include_in_schema=False)
    app.add_api_route("/favicon.ico", lambda: RedirectResponse(FAVICON, status_code=301),
                      include_in_schema=False)
