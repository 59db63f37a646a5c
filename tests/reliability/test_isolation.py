"""Isolation and authentication against a live server: users cannot see, touch or infer
each other's jobs or tokens; bad tokens and non-admins are refused; tokens are never
written in clear to the log or the store."""

from __future__ import annotations

import time
import uuid

import httpx
import psycopg
import pytest

from .conftest import BELL, api, wait_final


def _not_found_shape(response: httpx.Response, job_id: str) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["code"], body["detail"].replace(job_id, "ID")


def test_another_users_job_is_indistinguishable_from_a_missing_one(live, new_token):
    alice, bob = new_token(), new_token()
    with api(live, alice) as a, api(live, bob) as b:
        (job,) = a.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10", "shots": 10,
                                       "group": "secret", "name": "alice-1"}).json()["ids"]
        missing = uuid.uuid4().hex
        for method, path, kwargs in [("GET", "/jobs/{}", {}),
                                     ("GET", "/jobs/{}", {"params": {"wait": 1}}),
                                     ("GET", "/jobs/{}", {"params": {"include_qasm": True}}),
                                     ("POST", "/jobs/{}/cancel", {})]:
            theirs = b.request(method, path.format(job), **kwargs)
            nothing = b.request(method, path.format(missing), **kwargs)
            assert theirs.status_code == 404, (path, theirs.text)
            assert _not_found_shape(theirs, job) == _not_found_shape(nothing, missing)
        assert b.post("/jobs/status", json={"ids": [job, missing]}).json() == []
        for params in ({}, {"group": "secret"}, {"name": "alice-1"}, {"status": "done"}):
            assert b.get("/jobs", params=params).json()["items"] == []
        # the same idempotency key as alice's makes bob a job of his own
        key = str(uuid.uuid4())
        (mine,) = a.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10", "shots": 10},
                         headers={"Idempotency-Key": key}).json()["ids"]
        r = b.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10", "shots": 10},
                   headers={"Idempotency-Key": key})
        assert r.status_code == 201 and r.json()["ids"] != [mine]
        # alice's job was left alone by all of that
        assert wait_final(a, job)["status"] == "done"


def test_a_user_cannot_list_or_revoke_another_users_tokens(live, new_token):
    alice, bob = new_token(), new_token()
    with api(live, alice) as a, api(live, bob) as b:
        created = a.post("/tokens", json={"name": "laptop"}).json()
        assert created["id"] not in [t["id"] for t in b.get("/tokens").json()]
        assert b.delete(f"/tokens/{created['id']}").status_code == 404
    with api(live, created["token"]) as c:
        assert c.get("/me").status_code == 200  # still valid


def test_revoked_and_expired_tokens_are_refused_saying_so(live, new_token):
    user = new_token()
    with api(live, user) as c:
        extra = c.post("/tokens", json={"name": "ci"}).json()
        assert c.delete(f"/tokens/{extra['id']}").status_code == 200
    with api(live, extra["token"]) as c:
        r = c.get("/jobs")
        assert r.status_code == 401 and "revoked" in r.json()["detail"]
    expiring = new_token(expires_in_days=1 / 86400)
    time.sleep(1.5)
    with api(live, expiring) as c:
        r = c.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10"})
        assert r.status_code == 401 and "expired" in r.json()["detail"]
    for header in ("Bearer", "Basic dXNlcjpwYXNz", "Bearer " + "kf_" + "A" * 5000,
                   "Bearer kf_' OR 1=1 --", "Token " + user):
        r = httpx.get(f"{live.url}/api/v1/me", headers={"Authorization": header})
        assert r.status_code == 401, (header, r.text)


ADMIN_ROUTES = [("GET", "/users", None), ("POST", "/users", {"name": "mallory-2"}),
                ("POST", "/users/{me}/tokens", {"name": "x"}), ("GET", "/metrics", None),
                ("PUT", "/backends/ScQ-P10/status", {"status": "offline"})]


@pytest.mark.parametrize("method,path,body", ADMIN_ROUTES)
def test_admin_endpoints_refuse_users(live, new_token, method, path, body):
    user = new_token()
    with api(live, user) as c:
        me = c.get("/me").json()["name"]
        r = c.request(method, path.format(me=me), json=body)
        assert r.status_code == 403, r.text
        assert "administrator" in r.json()["detail"]
        assert c.get("/backends/ScQ-P10").json()["status"] != "offline"


def test_every_admin_route_in_the_schema_is_refused_to_users(live, new_token):
    """Every operation documented as admin-only (its security asks for the `admin`
    scope) refuses a plain user, whatever its parameters and body; and the known admin
    routes are among them. (A 403 alone does not mean admin-only: a submission to a
    backend the project may not use is one too.)"""
    schema = httpx.get(f"{live.url}/api/v1/openapi.json").json()
    admin_only = [(m.upper(), p.removeprefix("/api/v1")) for p, ops in schema["paths"].items()
                  for m, op in ops.items()
                  if any("admin" in scopes for requirement in op.get("security", ())
                         for scopes in requirement.values())]
    assert len(admin_only) >= len(ADMIN_ROUTES)
    with api(live, new_token()) as c:
        for method, path in admin_only:
            r = c.request(method, path.replace("{name}", "ScQ-P10"), json={})
            assert r.status_code == 403, (method, path, r.text)


def _store_text(store: str) -> str:
    """Everything the store holds, as text (SQLite: the raw files, WAL included)."""
    if store.startswith("sqlite"):
        path = store.split("///", 1)[1]
        chunks = []
        for suffix in ("", "-wal"):
            try:
                with open(path + suffix, "rb") as f:
                    chunks.append(f.read().decode("latin-1"))
            except FileNotFoundError:
                pass
        return "".join(chunks)
    url = store.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(url) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        return "\n".join(str(row[0]) for t in tables
                         for row in conn.execute(f'SELECT t::text FROM "{t}" t'))


def test_tokens_are_never_logged_or_stored_in_clear(live, store, live_log, new_token):
    secrets = [new_token(), new_token(admin=True)]
    with api(live, secrets[0]) as c:
        made = c.post("/tokens", json={"name": "leak-check"}).json()["token"]
        secrets.append(made)
        c.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10", "shots": 10})
        c.get("/jobs", params={"name": made})  # a careless client puts it in a query
    with api(live, secrets[1]) as c:
        name = f"u{uuid.uuid4().hex[:8]}"
        assert c.post("/users", json={"name": name}).status_code == 201
        secrets.append(c.post(f"/users/{name}/tokens", json={"name": "first"}).json()["token"])
    wrong = "kf_" + uuid.uuid4().hex
    httpx.get(f"{live.url}/api/v1/me", headers={"Authorization": f"Bearer {wrong}"})
    secrets.append(wrong)
    log = live_log.read_text(errors="replace")
    assert "method=GET path=/api/v1/jobs" in log  # the access log is on: the check means something
    held = _store_text(store)
    assert held  # the store was read
    for secret in secrets:
        assert secret[3:] not in held, "a token is stored in clear"
        # the access log writes paths only, so not even a careless client's query leaks
        assert secret[3:] not in log, "a token was written to the server log"
