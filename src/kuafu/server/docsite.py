"""The documentation site under `/docs`: static files built by `make docs`.

`make docs` (MkDocs, strict) writes the site into `kuafu/server/site/` inside the
package, so an editable install serves what was last built and a wheel built after
`make docs` carries it. `KUAFU_DOCS_DIR` serves another build instead. Every asset
(search index, scripts, styles, no web fonts) is in the site itself, so it works
without internet access. Without a built site, `/docs` answers a page saying how to
build one.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

#: Where `make docs` builds the site (`site_dir` in mkdocs.yml).
SITE = Path(__file__).resolve().parent / "site"
#: The pages' policy: Material starts with small inline scripts and styles; nothing
#: is loaded from elsewhere.
DOCS_SITE_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; "
                 "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                 "worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'self'")

MISSING = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Documentation not built · Kuafu</title></head><body>
<h1>The documentation is not built on this server</h1>
<p>Build it from a checkout of Kuafu with <code>make docs</code> (it installs the
<code>docs</code> extra and writes the site into <code>src/kuafu/server/site/</code>),
or point <code>KUAFU_DOCS_DIR</code> at a built site, then restart <code>kuafu serve</code>.</p>
<p>The API's own reference is always at <a href="/api/v1/docs">/api/v1/docs</a>.</p>
</body></html>"""


class _SiteFiles(StaticFiles):
    """Static files with the site's content security policy."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_policy(message: dict) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []),
                                      (b"content-security-policy", DOCS_SITE_CSP.encode())]
            await send(message)

        await super().__call__(scope, receive, send_with_policy)


def install_docs(app: FastAPI, directory: Path | None = None) -> None:
    """Serve the built site in `directory` (default `SITE`) at `/docs/`, or, when none is
    built, a page at `/docs` that says how to build it."""
    site = Path(directory) if directory is not None else SITE
    if (site / "index.html").is_file():
        app.mount("/docs", _SiteFiles(directory=str(site), html=True), name="docs")
        return

    def missing() -> HTMLResponse:
        return HTMLResponse(MISSING, status_code=404)

    app.add_api_route("/docs", missing, include_in_schema=False)
    app.add_api_route("/docs/{path:path}", missing, include_in_schema=False)
