"""Rate limit per token, request-size limit and security headers, on a live server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from kuafu.server.testing import LiveServer, create_user, store_url

from .conftest import BELL, api

RATE, BURST, MAX_BODY = 5, 10, 200_000


@pytest.fixture(scope="module")
def limited(tmp_path_factory) -> Iterator[tuple[LiveServer, str]]:
    """A server with tight limits: 5 requests/s per token (bursts of 10), 200 kB bodies."""
    store = next(store_url("sqlite", tmp_path_factory))
    env = {"KUAFU_RATE_LIMIT": str(RATE), "KUAFU_RATE_LIMIT_BURST": str(BURST),
           "KUAFU_MAX_REQUEST_BYTES": str(MAX_BODY)}
    log = tmp_path_factory.mktemp("limited") / "server.log"
    with LiveServer(store, workers=1, env=env, log=log) as server:
        yield server, store


def test_a_token_over_its_rate_gets_429_with_retry_after_and_others_are_not_slowed(limited):
    server, store = limited
    greedy, polite = create_user(store), create_user(store)
    with api(server, greedy) as g, api(server, polite) as p:
        codes = [g.get("/me").status_code for _ in range(3 * BURST)]
        assert codes[:BURST] == [200] * BURST  # the burst is allowed
        assert codes.count(429) >= BURST  # then the rate holds
        refused = g.get("/me")
        assert refused.status_code == 429
        assert "rate limit" in refused.json()["detail"]
        retry_after = int(refused.headers["Retry-After"])
        assert 1 <= retry_after <= 2
        # the other client was not affected at all
        assert [p.get("/me").status_code for _ in range(BURST)] == [200] * BURST
        time.sleep(retry_after)
        assert g.get("/me").status_code == 200  # the bucket refilled


def test_a_flooding_client_does_not_starve_a_polite_one(limited):
    server, store = limited
    flooder, polite = create_user(store), create_user(store)
    stop = threading.Event()
    flood_codes: list[int] = []

    def flood() -> None:
        with api(server, flooder) as f:
            while not stop.is_set():
                flood_codes.append(f.get("/backends").status_code)

    threads = [threading.Thread(target=flood) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        time.sleep(1.0)
        with api(server, polite) as p:
            polite_codes = []
            for _ in range(RATE):
                polite_codes.append(p.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10",
                                                          "shots": 10}).status_code)
                time.sleep(1 / RATE)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert polite_codes == [201] * RATE
    assert flood_codes.count(429) > flood_codes.count(200) > 0


def test_a_body_over_the_limit_is_refused_with_413_before_it_is_read(limited):
    server, store = limited
    token = create_user(store)
    with api(server, token) as c:
        huge = json.dumps({"qasm": BELL + "x q[0];\n" * 1_000_000, "backend": "ScQ-P10"})
        started = time.monotonic()
        r = c.post("/jobs", content=huge, headers={"Content-Type": "application/json"})
        assert r.status_code == 413 and "max_request_bytes" in r.json()["detail"]
        assert time.monotonic() - started < 30  # no-hang guard, not a timing check

        def chunks() -> Iterator[bytes]:  # no Content-Length: the count stops it
            yield b'{"qasm": "'
            for _ in range(100):
                yield b"x" * 10_000
            yield b'", "backend": "ScQ-P10"}'

        r = c.post("/jobs", content=chunks(), headers={"Content-Type": "application/json"})
        assert r.status_code == 413 and "max_request_bytes" in r.json()["detail"]
        # just under the limit goes through to the program checks, and the server is fine
        ok = c.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10", "shots": 10})
        assert ok.status_code == 201


EXPECTED_HEADERS = {"x-content-type-options": "nosniff", "x-frame-options": "DENY",
                    "referrer-policy": "no-referrer"}


def test_every_response_carries_the_security_headers(limited):
    server, store = limited
    token = create_user(store)
    base = f"{server.url}/api/v1"
    auth = {"Authorization": f"Bearer {token}"}
    responses = [
        httpx.get(f"{base}/health"),
        httpx.get(f"{base}/openapi.json"),
        httpx.get(f"{base}/backends"),  # 401
        httpx.get(f"{base}/jobs/{'0' * 32}", headers=auth),  # 404
        httpx.post(f"{base}/jobs", json={"nope": 1}, headers=auth),  # 422
        httpx.post(f"{base}/jobs", content=b"x" * (MAX_BODY + 1), headers=auth),  # 413
        httpx.get(f"{server.url}/no/such/page"),
    ]
    with api(server, create_user(store)) as c:
        responses += [r for r in (c.get("/me") for _ in range(2 * BURST))
                      if r.status_code == 429][:1]
    assert {r.status_code for r in responses} >= {200, 401, 404, 413, 422, 429}
    for r in responses:
        for name, value in EXPECTED_HEADERS.items():
            assert r.headers.get(name) == value, (r.request.url, name)
        policy = r.headers["content-security-policy"]
        assert policy.startswith("default-src 'self'") and "frame-ancestors 'none'" in policy


def test_the_api_docs_page_gets_a_policy_that_lets_swagger_ui_load(limited):
    server, _ = limited
    page = httpx.get(f"{server.url}/api/v1/docs")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    scripts = next(d for d in policy.split(";") if d.strip().startswith("script-src"))
    # the page's own script and bundle (served from the package) must be allowed by it
    assert "/console/static/swagger-ui-bundle.js" in page.text and "'self'" in scripts
    assert "cdn.jsdelivr.net" not in page.text and "cdn.jsdelivr.net" not in policy
    assert "<script>" in page.text and "'unsafe-inline'" in scripts
    assert page.headers["x-frame-options"] == "DENY"
