"""`PUT /api/v1/backends/{name}/status`: administrators only; offline refuses jobs,
maintenance holds the queue, online runs it again."""

from __future__ import annotations

import httpx
import pytest

from helpers import BELL


def _client(live, token: str) -> httpx.Client:
    return httpx.Client(base_url=f"{live.url}/api/v1", timeout=30,
                        headers={"Authorization": f"Bearer {token}"})


@pytest.fixture()
def restore_p18(console_live, root):
    yield
    with _client(console_live, root) as api:
        api.put("/backends/ScQ-P18/status", json={"status": "online"})


def test_only_admins_set_a_backend_status(console_live, alice):
    with _client(console_live, alice) as api:
        answer = api.put("/backends/ScQ-P18/status", json={"status": "offline"})
        assert answer.status_code == 403
        assert api.get("/backends/ScQ-P18").json()["status"] == "online"


def test_unknown_backend_and_status_are_4xx(console_live, root):
    with _client(console_live, root) as api:
        assert api.put("/backends/nope/status", json={"status": "offline"}).status_code == 404
        bad = api.put("/backends/ScQ-P18/status", json={"status": "asleep"})
        assert bad.status_code == 422 and "status" in bad.json()["detail"]


def test_offline_refuses_and_maintenance_holds_the_queue(console_live, root, alice,
                                                        restore_p18):
    with _client(console_live, root) as admin, _client(console_live, alice) as api:
        set_ = admin.put("/backends/ScQ-P18/status",
                         json={"status": "offline", "reason": "fridge warm-up"})
        assert set_.status_code == 200 and set_.json()["status"] == "offline"
        refused = api.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P18", "shots": 10})
        assert refused.status_code == 409 and "offline" in refused.json()["detail"]

        admin.put("/backends/ScQ-P18/status", json={"status": "maintenance"})
        listed = {b["name"]: b["status"] for b in api.get("/backends").json()}
        assert listed["ScQ-P18"] == "maintenance" and listed["ScQ-P10"] == "online"
        job_id = api.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P18",
                                         "shots": 10}).json()["ids"][0]
        # a job on another chip runs to the end while this one stays queued
        other = api.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10",
                                        "shots": 10}).json()["ids"][0]
        assert api.get(f"/jobs/{other}", params={"wait": 30}).json()["status"] == "done"
        assert api.get(f"/jobs/{job_id}").json()["status"] == "queued"

        admin.put("/backends/ScQ-P18/status", json={"status": "online"})
        assert api.get(f"/jobs/{job_id}", params={"wait": 30}).json()["status"] == "done"
