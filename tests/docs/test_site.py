"""The documentation site as a reader meets it: served by `kuafu serve` at `/docs/`,
opened in Chromium, its tutorials followed link by link, a function found by search;
no request leaves the server and the page's security policy blocks nothing.

The site is the one `make docs` built into the package (`make test` builds it first);
without it, the test builds one (strict) into a temporary folder and serves that with
`KUAFU_DOCS_DIR`. Screenshots of the home page, a tutorial and an API page go to
docs/screenshots/ (docs/about-these-docs.md shows them).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from kuafu.server import Settings, create_app
from kuafu.server.docsite import SITE
from kuafu.server.testing import LiveServer, store_url

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    if (SITE / "index.html").is_file():
        return SITE
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q",
                           "-d", str(out)], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"}, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    return out


@pytest.fixture(scope="module")
def docs_live(site, tmp_path_factory) -> Iterator[LiveServer]:
    store = next(store_url("sqlite", tmp_path_factory))
    log = tmp_path_factory.mktemp("logs") / "docs-site.log"
    with LiveServer(store, workers=1, log=log, env={"KUAFU_DOCS_DIR": str(site)}) as server:
        yield server


def _watch(page, url: str) -> list[str]:
    """Problems the page meets: console errors (a CSP violation is one), failed
    requests, requests to anywhere but the server."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console: {m.text}")
            if m.type == "error" else None)
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url} {r.failure}")
            if "ERR_ABORTED" not in (r.failure or "") else None)  # aborted: we moved on
    page.on("request", lambda r: problems.append(f"external: {r.url}")
            if not r.url.startswith((url, "data:", "blob:", "about:")) else None)
    return problems


@pytest.mark.slow
def test_docs_served_followed_and_searched(browser, docs_live):
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    problems = _watch(page, docs_live.url)
    answer = page.goto(f"{docs_live.url}/docs")          # redirected to /docs/
    assert answer.status == 200 and page.url.endswith("/docs/")
    assert "Content-Security-Policy" in {k.title() for k in answer.all_headers()} or \
        "content-security-policy" in answer.all_headers()
    assert page.locator("h1").first.inner_text().startswith("Kuafu")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "docs-home.png"))

    # the tutorials, link by link, from the home page
    page.locator("article").get_by_role("link", name="tutorials", exact=True).click()
    page.wait_for_load_state()
    links = page.locator("article ol a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert len(hrefs) == 7, hrefs
    base = page.url
    for href in hrefs:
        page.goto(base)
        page.locator(f'article ol a[href="{href}"]').click()
        page.wait_for_load_state()
        title = page.locator("h1").first.inner_text()
        assert title and "404" not in title, href
        assert page.locator("article pre").count() > 0, f"{href} shows no example"
    page.goto(f"{docs_live.url}/docs/tutorials/first-circuit.html")
    page.screenshot(path=str(SCREENSHOTS / "docs-tutorial.png"))

    # search for a function, open the hit in the API reference
    page.locator("label.md-search__icon, .md-search__input").first.click()
    search = page.locator("input.md-search__input")
    # the worker indexes ~650 kB first ("Initializing search"): slow on a busy machine,
    # and a query typed before it is ready is not run again
    page.wait_for_function(
        "() => { const m = document.querySelector('.md-search-result__meta');"
        " return m && m.textContent && !/Initializing/i.test(m.textContent); }",
        timeout=120_000)
    search.press_sequentially("submit_batch")
    hit = page.locator(".md-search-result__item a[href*='reference/api/client']").first
    hit.wait_for(timeout=60_000)
    hit.click()
    page.wait_for_load_state()
    assert "reference/api/client.html" in page.url
    assert page.locator("[id='kuafu.client.Client.submit_batch']").count() == 1
    page.locator("[id='kuafu.client.Client.submit_batch']").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "docs-api.png"))

    assert not problems, problems
    page.close()


def test_console_header_links_to_the_docs(browser, docs_live):
    page = browser.new_page()
    page.goto(f"{docs_live.url}/console/login")
    page.get_by_role("link", name="Docs").click()
    page.wait_for_load_state()
    assert page.url == f"{docs_live.url}/docs/index.html" or page.url.endswith("/docs/")
    page.close()


def test_without_a_built_site_docs_says_how_to_build_it(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'k.db'}",
                              docs_dir=tmp_path / "no-site"))
    transport = httpx.ASGITransport(app=app)  # no lifespan: the platform is not needed

    async def get(path: str) -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://kuafu") as client:
            return await client.get(path)

    for path in ("/docs", "/docs/tutorials/first-circuit.html"):
        # a thread of its own: Playwright's sync API holds this thread's event loop
        with ThreadPoolExecutor(1) as pool:
            answer = pool.submit(asyncio.run, get(path)).result()
        assert answer.status_code == 404
        assert "make docs" in answer.text and "KUAFU_DOCS_DIR" in answer.text
