"""Hostile input at the HTTP boundary: property-based fuzzing of every body and query
parameter (hypothesis), and schemathesis against the published OpenAPI schema.

The property: whatever arrives, the server answers with a documented status, never a
500, and keeps working.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kuafu.server.testing import LiveServer, create_user

from .conftest import BELL, api

pytestmark = pytest.mark.slow

FUZZ = settings(max_examples=25, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

# anything JSON can carry, including the awkward numbers and text
scalars = (st.none() | st.booleans() | st.integers(-(2**80), 2**80)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=40))
anything = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
maybe = lambda good: good | anything  # noqa: E731
qasm = st.sampled_from([BELL, BELL.replace("h q[0]", "rx(pi/3) q[0]"), "", "qreg q[1];"]) \
    | st.text(max_size=200)
job_body = st.fixed_dictionaries({}, optional={
    "qasm": maybe(qasm | st.lists(qasm, max_size=3)),
    "backend": maybe(st.sampled_from(["ScQ-P10", "simulator", "ScQ-P136", "nope"])),
    "shots": maybe(st.integers(-10, 200_000)),
    "compile": maybe(st.booleans()),
    "priority": maybe(st.integers(-3, 12)),
    "name": maybe(st.text(max_size=250)),
    "group": maybe(st.text(max_size=250)),
    "seed": maybe(st.integers(-(2**70), 2**70)),
}) | anything

ALLOWED = {200, 201, 400, 401, 404, 409, 413, 422, 429}


def _send(client: httpx.Client, method: str, path: str, body=None, **kw) -> httpx.Response:
    """JSON with every character escaped, so lone surrogates reach the server too."""
    content = None if body is None else json.dumps(body, ensure_ascii=True, allow_nan=True)
    headers = {"Content-Type": "application/json"} if content is not None else {}
    return client.request(method, path, content=content, headers=headers, **kw)


def _check(response: httpx.Response) -> None:
    assert response.status_code in ALLOWED, (response.request.method, response.request.url,
                                             response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/json")
    if response.status_code >= 400:
        assert response.json()["detail"]


@pytest.fixture()
def client(live, new_token):
    with api(live, new_token()) as c:
        yield c


def test_job_submissions_never_get_a_500(client):
    @FUZZ
    @given(body=job_body)
    def submit(body) -> None:
        _check(_send(client, "POST", "/jobs", body))

    submit()
    assert client.get("/me").status_code == 200


text_param = st.text(max_size=60) | st.sampled_from(["", "%00", "' OR 1=1 --", "../../etc"])
number_param = st.integers(-(2**70), 2**70).map(str) | st.floats().map(repr) | text_param


def test_query_parameters_and_path_ids_never_get_a_500(client):
    @FUZZ
    @given(status=text_param | st.sampled_from(["queued", "done"]), backend=text_param,
           group=text_param, name=text_param, limit=number_param, cursor=text_param,
           job_id=text_param.filter(bool), wait=number_param, include=text_param)
    def read(status, backend, group, name, limit, cursor, job_id, wait, include) -> None:
        params = {"status": status, "backend": backend, "group": group, "name": name,
                  "limit": limit, "cursor": cursor}
        _check(client.get("/jobs", params=params))
        path = "/jobs/" + quote(job_id.encode("utf-8", "surrogatepass"), safe="")
        _check(client.get(path, params={"wait": wait, "include_qasm": include}))
        _check(client.post(f"{path}/cancel"))

    read()


def test_other_bodies_never_get_a_500(live, new_token):
    admin = new_token(admin=True)
    with api(live, admin) as c:
        @FUZZ
        @given(ids=maybe(st.lists(text_param, max_size=5)),
               token=st.fixed_dictionaries({}, optional={
                   "name": maybe(st.text(max_size=300)),
                   "expires_in_days": maybe(st.floats() | st.integers(-(2**70), 2**70))}),
               user=st.fixed_dictionaries({}, optional={
                   "name": maybe(st.text(max_size=300)), "admin": maybe(st.booleans())}))
        def bodies(ids, token, user) -> None:
            _check(_send(c, "POST", "/jobs/status", {"ids": ids}))
            _check(_send(c, "POST", "/tokens", token))
            _check(_send(c, "POST", "/users", user))

        bodies()
        assert c.get("/me").status_code == 200


# ----- schemathesis ---------------------------------------------------------------------

def test_the_server_honours_its_openapi_schema(fresh_store, tmp_path):
    """schemathesis (its command line: the tool as an operator would run it) generates
    requests for every operation of the published schema, as an administrator so that
    every route is reached: no 500, every status and body as documented. On a server
    of its own: as an administrator it may take chips offline."""
    tool = Path(sys.executable).with_name("schemathesis")
    token = create_user(fresh_store, admin=True)
    with LiveServer(fresh_store, workers=1, log=tmp_path / "server.log") as server:
        run = subprocess.run(
            [str(tool), "run", f"{server.url}/api/v1/openapi.json",
             "-H", f"Authorization: Bearer {token}",
             "--checks", "not_a_server_error,status_code_conformance,"
                         "content_type_conformance,response_schema_conformance",
             "--phases", "examples,coverage,fuzzing", "--max-examples", "30",
             "--generation-deterministic", "--workers", "1", "--request-timeout", "60",
             "--report", "junit", "--report-dir", str(tmp_path)],
            capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
    assert "17 selected" in run.stdout or "selected" in run.stdout
