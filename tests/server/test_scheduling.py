"""Queues on purpose (one slow worker): cancel, queue position, priority, fair share."""

from __future__ import annotations

import time

from kuafu.server.testing import create_user

from .conftest import BELL
from .test_api import api, wait_done


def test_cancel_queued_and_running_jobs_says_whether_started(slow_live, slow_token):
    with api(slow_live, slow_token) as c:
        ids = c.post("/jobs", json={"qasm": [BELL] * 4, "backend": "ScQ-P10",
                                    "shots": 10}).json()["ids"]
        time.sleep(0.2)
        last = c.post(f"/jobs/{ids[-1]}/cancel").json()
        assert last["cancelled"] and last["started"] is False, last
        first = c.get(f"/jobs/{ids[0]}").json()
        assert first["status"] == "running"
        answer = c.post(f"/jobs/{ids[0]}/cancel").json()
        assert answer["cancelled"] and answer["started"] is True
        time.sleep(1.0)
        assert c.get(f"/jobs/{ids[0]}").json()["status"] == "cancelled"  # result discarded
        assert c.get(f"/jobs/{ids[-1]}").json()["status"] == "cancelled"
        for job_id in ids[1:3]:
            assert wait_done(c, job_id)["status"] == "done"


def test_queued_jobs_show_position_and_estimated_start(slow_live, slow_token):
    with api(slow_live, slow_token) as c:
        ids = c.post("/jobs", json={"qasm": [BELL] * 6, "backend": "ScQ-P10",
                                    "shots": 10}).json()["ids"]
        time.sleep(0.2)
        last = c.get(f"/jobs/{ids[-1]}").json()
        assert last["status"] == "queued"
        assert last["queue_position"] >= 1
        assert last["estimated_start"] is not None
        statuses = c.post("/jobs/status", json={"ids": ids}).json()
        positions = [s["queue_position"] for s in statuses if s["status"] == "queued"]
        assert positions == sorted(positions)
        for job_id in ids:
            wait_done(c, job_id)


def test_priority_then_fair_share_then_arrival(slow_live, slow_store):
    alice, bob = create_user(slow_store), create_user(slow_store)
    with api(slow_live, alice) as a, api(slow_live, bob) as b:
        low = a.post("/jobs", json={"qasm": [BELL] * 5, "backend": "ScQ-P10",
                                    "shots": 10}).json()["ids"]
        bobs = b.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10",
                                     "shots": 10}).json()["ids"]
        high = a.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10", "shots": 10,
                                     "priority": 9}).json()["ids"]
        done = {i: wait_done(a if i not in bobs else b, i) for i in low + high + bobs}
    end = {i: j["finished_at"] for i, j in done.items()}
    # alice's first two jobs were dispatched before the others arrived (capacity 2);
    # then priority wins, then bob's single job overtakes alice's remaining ones (fair
    # share), and alice's run in arrival order.
    assert end[high[0]] < end[low[2]]
    assert end[bobs[0]] < end[low[2]]
    assert end[low[2]] < end[low[3]] < end[low[4]]


def test_per_user_quotas_answer_429_saying_which(slow_live, slow_token):
    with api(slow_live, slow_token) as c:
        r = c.post("/jobs", json={"qasm": [BELL] * 21, "backend": "ScQ-P10", "shots": 1})
        assert r.status_code == 429 and "limit is 20" in r.json()["detail"]
        r = c.post("/jobs", json={"qasm": [BELL] * 11, "backend": "ScQ-P10",
                                  "shots": 10_000})
        assert r.status_code == 429 and "shots today" in r.json()["detail"]
        assert c.get("/jobs").json()["items"] == []
        # shots add up over submissions (and a refused one adds nothing)
        for _ in range(3):
            assert c.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10",
                                         "shots": 30_000}).status_code == 201
        r = c.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10", "shots": 10_001})
        assert r.status_code == 429
        assert "used 90000 of 100000 shots today" in r.json()["detail"]
        assert c.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10",
                                     "shots": 10_000}).status_code == 201
