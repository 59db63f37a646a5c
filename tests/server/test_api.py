"""The native API through plain HTTP, against a live server on SQLite and PostgreSQL."""

from __future__ import annotations

import time

import httpx
import pytest

from kuafu.server.testing import create_user

from .conftest import BELL


def api(live, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=f"{live.url}/api/v1", headers=headers, timeout=60)


def wait_done(client: httpx.Client, job_id: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/jobs/{job_id}", params={"wait": 5}).json()
        if job["status"] in ("done", "failed", "cancelled"):
            return job
    raise AssertionError(f"job {job_id} did not finish: {job}")


def test_health_needs_no_token_and_openapi_is_published(live):
    with api(live, None) as c:
        health = c.get("/health")
        assert health.status_code == 200
        assert health.json()["status"] == "ok" and health.json()["database"] == "ok"
        schema = c.get("/openapi.json").json()
        assert "/api/v1/jobs" in schema["paths"]


@pytest.mark.parametrize("header,expect", [
    (None, "missing API token"),
    ("Bearer kf_not-a-real-token", "invalid API token"),
])
def test_requests_without_a_valid_token_get_401_saying_why(live, header, expect):
    headers = {"Authorization": header} if header else {}
    r = httpx.get(f"{live.url}/api/v1/backends", headers=headers)
    assert r.status_code == 401
    assert expect in r.json()["detail"]
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_and_expired_tokens_get_401_that_says_so(live, store, token):
    with api(live, token) as c:
        new = c.post("/tokens", json={"name": "laptop"}).json()
        assert new["token"].startswith("qf_") and new["prefix"] in new["token"]
        listed = c.get("/tokens").json()
        assert all("token" not in t for t in listed)
    with api(live, new["token"]) as used:  # used once: the server now remembers it
        assert used.get("/me").status_code == 200
        with api(live, token) as c:
            assert c.delete(f"/tokens/{new['id']}").status_code == 200
        r = used.get("/me")  # refused at once, not when the memory of it lapses
        assert r.status_code == 401 and "revoked" in r.json()["detail"]
    with api(live, new["token"]) as c:
        r = c.get("/backends")
        assert r.status_code == 401 and "revoked" in r.json()["detail"]
    expiring = create_user(store, expires_in_days=0.5 / 86400)
    time.sleep(0.7)
    with api(live, expiring) as c:
        r = c.get("/backends")
        assert r.status_code == 401 and "expired" in r.json()["detail"]


def test_backends_list_and_detail(live, token):
    with api(live, token) as c:
        listed = {b["name"]: b for b in c.get("/backends").json()}
        assert listed["ScQ-P10"]["qubits"] == 10 and listed["ScQ-P136"]["qubits"] == 136
        assert listed["ScQ-P10"]["native_gates"] and "queue_length" in listed["ScQ-P10"]
        detail = c.get("/backends/ScQ-P136").json()
        assert len(detail["coupling_map"]) > 136
        assert detail["calibration"]["id"].startswith("ScQ-P136-")
        assert len(detail["calibration_data"]["qubits"]) == 136
        assert len(detail["calibration_data"]["couplers"]) == len(detail["coupling_map"])
        assert c.get("/backends/NoSuchChip").status_code == 404


def test_bell_job_runs_to_done_with_result_and_calibration(live, token):
    with api(live, token) as c:
        r = c.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10", "shots": 1000,
                                  "name": "bell"})
        assert r.status_code == 201, r.text
        (job_id,) = r.json()["ids"]
        job = wait_done(c, job_id)
        assert job["status"] == "done", job
        result = job["result"]
        counts = result["counts"]
        assert sum(counts.values()) == 1000
        assert counts.get("00", 0) + counts.get("11", 0) > 850
        assert result["compiled_qasm"].startswith("OPENQASM 2.0")
        assert result["calibration_id"].startswith("ScQ-P10-")
        assert result["calibrated_at"] and result["seed"] is not None
        assert result["method"]
        assert job["started_at"] and job["finished_at"] and job["attempts"] == 1


def test_a_long_poll_answers_with_what_a_later_read_finds(slow_live, slow_token):
    """A long poll that was waiting when the job ended (each job takes 0.5 s on this
    server) answers with the row the scheduler wrote, without reading the job again:
    it must be the job as the store holds it."""
    with api(slow_live, slow_token) as c:
        (job_id,) = c.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10", "shots": 100,
                                          "name": "polled", "group": "g"}).json()["ids"]
        polled = c.get(f"/jobs/{job_id}", params={"wait": 30}).json()
        assert polled["status"] == "done", polled
        assert polled == c.get(f"/jobs/{job_id}").json()
        assert polled["name"] == "polled" and polled["group"] == "g"


@pytest.mark.parametrize("body,status,fragment", [
    ({"qasm": 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nh q[0];\nfoo q[1];\n'},
     400, "line 5"),
    ({"qasm": "OPENQASM 2.0;\nqreg q[11];\n"}, 400, "11"),
    ({"qasm": BELL, "shots": 10_000_000}, 400, "shots"),
    ({"qasm": BELL, "shots": 0}, 422, "shots"),
    ({"qasm": BELL, "backend": "NoSuchChip"}, 404, "unknown backend"),
    ({"qasm": BELL.replace("h q[0];", "t q[0];"), "compile": False}, 400, "not a native gate"),
    ({"qasm": BELL.replace("q[2]", "q[6]").replace("c[2]", "c[6]").replace(
        "cx q[0],q[1]", "cx q[0],q[5]"), "compile": False}, 400, "coupler"),
    ({"qasm": BELL + "// " + "x" * 1_100_000 + "\n"}, 413, "bytes"),
    ({"qasm": BELL, "unknown_field": 1}, 422, "unknown_field"),
    ({"qasm": [BELL, "OPENQASM 2.0;\nqreg q[1];\nbad;\n"]}, 400, "program #2 of 2"),
])
def test_invalid_jobs_are_refused_before_acceptance(live, token, body, status, fragment):
    body = {"backend": "ScQ-P10", **body}
    with api(live, token) as c:
        before = len(c.get("/jobs", params={"limit": 500}).json()["items"])
        r = c.post("/jobs", json=body)
        assert r.status_code == status, r.text
        assert fragment in r.json()["detail"]
        assert len(c.get("/jobs", params={"limit": 500}).json()["items"]) == before


def test_qasm_errors_carry_line_and_column(live, token):
    with api(live, token) as c:
        r = c.post("/jobs", json={"backend": "ScQ-P10",
                                  "qasm": "OPENQASM 2.0;\nqreg q[2];\ncx q[0], q[5];\n"})
        assert r.status_code == 400
        body = r.json()
        assert body["line"] == 3 and body["column"] >= 1 and body["code"] == "invalid_request"


def test_idempotency_key_makes_a_retried_post_return_the_same_jobs(live, token):
    body = {"qasm": BELL, "backend": "ScQ-P10", "shots": 100}
    with api(live, token) as c:
        first = c.post("/jobs", json=body, headers={"Idempotency-Key": "abc-1"})
        again = c.post("/jobs", json=body, headers={"Idempotency-Key": "abc-1"})
        assert first.status_code == 201 and again.status_code == 200
        assert first.json()["ids"] == again.json()["ids"] and again.json()["replayed"]
        other = c.post("/jobs", json={**body, "shots": 200}, headers={"Idempotency-Key": "abc-1"})
        assert other.status_code == 409
        batch = {**body, "qasm": [BELL, BELL]}
        b1 = c.post("/jobs", json=batch, headers={"Idempotency-Key": "batch-1"}).json()
        b2 = c.post("/jobs", json=batch, headers={"Idempotency-Key": "batch-1"}).json()
        assert b1["ids"] == b2["ids"] and len(b1["ids"]) == 2


def test_users_see_only_their_own_jobs(live, store, token):
    other = create_user(store)
    with api(live, token) as mine, api(live, other) as theirs:
        (job_id,) = mine.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10"}).json()["ids"]
        assert theirs.get(f"/jobs/{job_id}").status_code == 404
        assert theirs.post(f"/jobs/{job_id}/cancel").status_code == 404
        assert job_id not in [j["id"] for j in theirs.get("/jobs").json()["items"]]
        assert theirs.post("/jobs/status", json={"ids": [job_id]}).json() == []
        assert mine.post("/jobs/status", json={"ids": [job_id]}).json()[0]["id"] == job_id


def test_batch_submission_and_batch_status(live, token):
    with api(live, token) as c:
        r = c.post("/jobs", json={"qasm": [BELL] * 3, "backend": "ScQ-P10", "shots": 50,
                                  "group": "batch-test"})
        ids = r.json()["ids"]
        assert r.status_code == 201 and len(set(ids)) == 3
        for job_id in ids:
            wait_done(c, job_id)
        statuses = c.post("/jobs/status", json={"ids": [*ids, "nope"]}).json()
        assert [s["id"] for s in statuses] == ids
        assert {s["status"] for s in statuses} == {"done"}


def test_list_filters_and_cursor_pagination(live, token):
    with api(live, token) as c:
        ids = c.post("/jobs", json={"qasm": [BELL] * 5, "backend": "ScQ-P10", "shots": 10,
                                    "group": "pages", "name": "paged"}).json()["ids"]
        c.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10", "group": "elsewhere"})
        seen, cursor, pages = [], None, 0
        while True:
            params = {"group": "pages", "limit": 2, **({"cursor": cursor} if cursor else {})}
            page = c.get("/jobs", params=params).json()
            seen += [j["id"] for j in page["items"]]
            pages += 1
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert pages == 3 and sorted(seen) == sorted(ids) and len(seen) == 5
        assert seen == list(reversed(ids))  # newest first
        assert c.get("/jobs", params={"name": "paged", "backend": "ScQ-P136"}).json()[
            "items"] == []
        assert c.get("/jobs", params={"cursor": "garbage!"}).status_code == 400
        assert c.get("/jobs", params={"status": "bogus"}).status_code == 422


def test_cancel_after_done_says_nothing_to_cancel(live, token):
    with api(live, token) as c:
        (job_id,) = c.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10"}).json()["ids"]
        wait_done(c, job_id)
        answer = c.post(f"/jobs/{job_id}/cancel").json()
        assert answer["cancelled"] is False and answer["started"] is True
        assert answer["status"] == "done"


def test_metrics_for_admins_only(live, token, admin_token):
    with api(live, token) as c:
        assert c.get("/metrics").status_code == 403
    with api(live, admin_token) as c:
        (job_id,) = c.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10"}).json()["ids"]
        wait_done(c, job_id)
        m = c.get("/metrics").json()
        assert m["jobs"]["ScQ-P10"]["done"] >= 1
        assert m["latency"]["p50"] > 0 and "p99" in m["run_time"]


def test_admin_creates_users_and_their_tokens(live, token, admin_token):
    with api(live, token) as c:
        assert c.post("/users", json={"name": "mallory"}).status_code == 403
    with api(live, admin_token) as c:
        name = f"bob-{time.time_ns()}"
        assert c.post("/users", json={"name": name}).status_code == 201
        assert c.post("/users", json={"name": name}).status_code == 409
        secret = c.post(f"/users/{name}/tokens", json={}).json()["token"]
    with api(live, secret) as c:
        assert c.get("/me").json()["name"] == name
