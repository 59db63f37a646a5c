"""Chip sessions (run ahead of the queue, end by close, idle timeout or length, charged)
and reservations (only the project's jobs run; the others wait with reason and ETA),
over HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

from kuafu.server.testing import create_user

from .conftest import BELL
from .test_api import api, wait_done


def _until(predicate, timeout: float = 30.0, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("condition not met in time")


def test_a_session_s_jobs_run_ahead_of_the_general_queue(slow_live, slow_store):
    queue_token, session_token = create_user(slow_store), create_user(slow_store)
    with api(slow_live, queue_token) as q, api(slow_live, session_token) as s:
        opened = s.post("/sessions", json={"backend": "ScQ-P10", "idle_seconds": 60})
        assert opened.status_code == 201, opened.text
        sid = opened.json()["id"]
        waiting = q.post("/jobs", json={"qasm": [BELL] * 6, "backend": "ScQ-P10",
                                        "shots": 10}).json()["ids"]
        time.sleep(0.3)
        mine = s.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10", "shots": 10,
                                     "session": sid}).json()["ids"][0]
        done = wait_done(s, mine)
        others = [wait_done(q, j) for j in waiting]
        # the session's job overtook the queued ones not yet handed to the worker
        assert sum(o["started_at"] > done["started_at"] for o in others) >= 3
        info = s.get(f"/sessions/{sid}").json()
        assert info["status"] == "open" and info["jobs"] == 1 and info["chip_seconds"] > 0
        closed = s.post(f"/sessions/{sid}/close").json()
        assert closed["status"] == "closed" and closed["end_reason"] == "closed"
        r = s.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10", "shots": 10,
                                  "session": sid})
        assert r.status_code == 409 and r.json()["code"] == "session_ended"
        # another user's session is not yours
        assert q.get(f"/sessions/{sid}").status_code == 404
        assert q.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10", "shots": 10,
                                     "session": sid}).status_code == 404


def test_sessions_end_by_idle_timeout_and_by_length(live, token):
    with api(live, token) as c:
        idle = c.post("/sessions", json={"backend": "ScQ-P10", "idle_seconds": 0.5}).json()
        long = c.post("/sessions", json={"backend": "ScQ-P10", "max_seconds": 0.5,
                                         "idle_seconds": 600}).json()
        ended = _until(lambda: (r := c.get(f"/sessions/{idle['id']}").json())["status"]
                       == "closed" and r)
        assert ended["end_reason"] == "idle timeout"
        time.sleep(0.6)
        r = c.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10", "shots": 10,
                                  "session": long["id"]})
        assert r.status_code == 409 and "maximum length" in r.json()["detail"]
        # a session on another chip than the job's is refused
        other = c.post("/sessions", json={"backend": "ScQ-P18"}).json()
        r = c.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10", "shots": 10,
                                  "session": other["id"]})
        assert r.status_code == 409 and "ScQ-P18" in r.json()["detail"]
        c.post(f"/sessions/{other['id']}/close")


def test_a_reservation_keeps_other_projects_waiting_with_reason_and_eta(live, store,
                                                                         admin_token):
    owner, outsider = f"res-{uuid.uuid4().hex[:6]}", f"out-{uuid.uuid4().hex[:6]}"
    owner_token, outsider_token = create_user(store, owner), create_user(store, outsider)
    project = f"class-{uuid.uuid4().hex[:6]}"
    backend = "ScQ-P18-sim"
    now = datetime.now(UTC)
    window = {"backend": backend, "project": project, "reason": "lab class",
              "starts_at": (now - timedelta(minutes=1)).isoformat(),
              "ends_at": (now + timedelta(hours=1)).isoformat()}
    with api(live, admin_token) as admin, api(live, owner_token) as o, \
            api(live, outsider_token) as x:
        admin.post("/projects", json={"name": project, "owner": owner})
        assert x.post("/reservations", json=window).status_code == 403
        r = admin.post("/reservations", json=window)
        assert r.status_code == 201, r.text
        rid = r.json()["id"]
        try:
            assert admin.post("/reservations", json=window).status_code == 409  # overlap
            assert rid in [v["id"] for v in x.get("/reservations").json()]
            chip = x.get(f"/backends/{backend}").json()
            assert chip["reserved_for"] == project and chip["status"] == "online"
            listed = {b["name"]: b for b in x.get("/backends").json()}
            assert listed[backend]["reserved_for"] == project
            assert listed["ScQ-P10"]["reserved_for"] is None
            created = x.post("/jobs", json={"qasm": BELL, "backend": backend, "shots": 10})
            assert created.status_code == 201
            assert f"reserved for project {project} (lab class)" in created.json()["notice"]
            waiting = created.json()["ids"][0]
            theirs = o.post("/jobs", json={"qasm": BELL, "backend": backend, "shots": 10,
                                           "project": project}).json()["ids"][0]
            assert wait_done(o, theirs)["status"] == "done"
            job = x.get(f"/jobs/{waiting}").json()
            assert job["status"] == "queued"
            assert "jobs of other projects wait until then" in job["notice"]
            ends = datetime.fromisoformat(window["ends_at"])
            assert datetime.fromisoformat(job["estimated_start"]) >= ends - timedelta(
                seconds=1)
        finally:
            assert admin.delete(f"/reservations/{rid}").status_code == 200
        assert wait_done(x, waiting)["status"] == "done"  # the chip is free again
        bad = {**window, "ends_at": window["starts_at"]}
        assert admin.post("/reservations", json=bad).status_code == 400


def test_a_quafu_sdk_iterative_job_runs_in_a_chip_session(live, token):
    """An iterative quafu-sdk job opens a session under its own id: its rounds run in
    it (ahead of the queue), and closing the job ends the session."""
    sdk = {"User-Agent": "quafu-sdk/0.2.7 python/3.11"}
    with api(live, token) as c:
        opened = c.post("/jobs", headers=sdk, json={"mode": "iterative",
                                                    "target": "ScQ-P10", "shots": 100})
        assert opened.status_code in (200, 201), opened.text
        gid = opened.json()["job_id"]
        info = c.get(f"/sessions/{gid}").json()
        assert info["status"] == "open" and info["backend"] == "ScQ-P10"
        rounds = c.post(f"/jobs/{gid}/tasks", headers=sdk,
                        json={"circuits": [{"qasm": BELL}], "iteration": 0})
        assert rounds.status_code in (200, 201), rounds.text
        for job in c.get("/jobs", params={"group": gid}).json()["items"]:
            wait_done(c, job["id"])
        assert c.get(f"/sessions/{gid}").json()["jobs"] == 1
        assert c.post(f"/jobs/{gid}/close", headers=sdk).status_code == 200
        ended = c.get(f"/sessions/{gid}").json()
        assert ended["status"] == "closed" and ended["end_reason"] == "job closed"
