"""The API's interactive documentation (Swagger UI), served from the package.

FastAPI's default docs page loads Swagger UI from a CDN, so it is blank on a server (or
a browser) without internet access. Here the page loads the copy of `swagger-ui-dist`
vendored in the console's static files (`swagger-ui-bundle.js`, `swagger-ui.css`, with
its licence and notice beside them); its small inline start-up script is FastAPI's.
ReDoc is not offered.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse

#: The vendored Swagger UI (npm `swagger-ui-dist`), without its source-map comments.
SWAGGER_UI_VERSION = "5.35.0"
_STATIC = "/console/static"


def install_api_docs(app: FastAPI, docs_url: str) -> None:
    """Serve Swagger UI for `app.openapi_url` at `docs_url` (and its OAuth2 redirect)."""
    redirect_url = f"{docs_url}/oauth2-redirect"

    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "", title=f"{app.title} API",
            swagger_js_url=f"{_STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{_STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{_STATIC}/favicon.svg", oauth2_redirect_url=redirect_url)

    def oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    app.add_api_route(docs_url, docs, include_in_schema=False)
    app.add_api_route(redirect_url, oauth2_redirect, include_in_schema=False)
