"""Drifting chips over HTTP (issue 18): results name the snapshot in force; an
administrator's recalibration holds the chip `calibrating` and publishes a snapshot;
unusable qubits and couplers are avoided; history by id, by time, as a series."""

from __future__ import annotations

import time
from datetime import datetime

import httpx
import pytest

from kuafu.server.testing import LiveServer, create_user

from .conftest import BELL

GHZ4 = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[4];
creg c[4];
h q[0];
cx q[0],q[1];
cx q[1],q[2];
cx q[2],q[3];
measure q -> c;
"""


def client(live, token) -> httpx.Client:
    return httpx.Client(base_url=f"{live.url}/api/v1", timeout=60,
                        headers={"Authorization": f"Bearer {token}"})


def wait_done(http: httpx.Client, job_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = http.get(f"/jobs/{job_id}", params={"wait": 5}).json()
        if job["status"] in ("done", "failed", "cancelled"):
            return job
    raise AssertionError(f"job {job_id} did not finish")


def submit(http: httpx.Client, qasm: str = BELL, backend: str = "ScQ-P10", **extra) -> dict:
    r = http.post("/jobs", json={"qasm": qasm, "backend": backend, "shots": 200, **extra})
    assert r.status_code in (200, 201, 202), r.text
    return r.json()


def test_a_result_names_the_snapshot_in_force(live, token):
    with client(live, token) as http:
        job = wait_done(http, submit(http, seed=3)["ids"][0])
        assert job["status"] == "done", job
        cal = {"id": job["result"]["calibration_id"]}
        now = http.get("/backends/ScQ-P10/calibration").json()
        assert cal["id"] == now["id"] and cal["id"].startswith("ScQ-P10-")
        started = datetime.fromisoformat(job["started_at"])
        at = http.get("/backends/ScQ-P10/calibration",
                      params={"at": started.isoformat()}).json()
        assert at["id"] == cal["id"]
        snap = http.get(f"/backends/ScQ-P10/calibrations/{cal['id']}").json()
        assert snap["chip"] == "ScQ-P10" and len(snap["qubits"]) == 10
        assert set(snap["qubits"]["Q1"]) >= {"t1_us", "t2_us", "fidelity_1q"}
        history = http.get("/backends/ScQ-P10/calibrations").json()
        assert history[0]["source"] == "data file"
        base = "/backends/ScQ-P10/calibrations/"
        assert http.get(base + "ScQ-P10-20200101T000000Z-s1").status_code == 404
        assert http.get(base + "nonsense").status_code == 404
        assert http.get("/backends/ScQ-P18/calibrations/" + cal["id"]).status_code == 404
        assert http.get("/backends/simulator/calibration").status_code == 400
        assert http.get("/backends/nope/calibration").status_code == 404


def test_history_series_over_days(live, token):
    with client(live, token) as http:
        s = http.get("/backends/ScQ-P10/calibration/series",
                     params={"days": 2, "step_hours": 6}).json()
        assert len(s["times"]) >= 8
        assert len(s["qubits"]["Q1"]["t1_us"]) == len(s["times"])
        assert len(s["couplers"]["Q1-Q2"]) == len(s["times"])
        assert http.get("/backends/ScQ-P10/calibration/series",
                        params={"days": 0}).status_code == 422


def test_only_administrators_recalibrate_or_mark_faults(live, token):
    with client(live, token) as http:
        assert http.post("/backends/ScQ-P10/recalibrate").status_code == 403
        r = http.put("/backends/ScQ-P10/faults", json={"qubits": ["Q3"]})
        assert r.status_code == 403
        assert http.get("/backends/ScQ-P10/faults").json()["qubits"] == []


@pytest.fixture()
def quick(fresh_store, tmp_path):
    """A server whose recalibrations take 4 seconds."""
    env = {"KUAFU_RECALIBRATION_MINUTES": str(4 / 60)}
    with LiveServer(fresh_store, workers=1, env=env, log=tmp_path / "server.log") as server:
        yield server, create_user(fresh_store, admin=True), create_user(fresh_store)


def test_recalibration_holds_the_chip_then_publishes_a_snapshot(quick):
    server, admin, user = quick
    with client(server, admin) as ops, client(server, user) as http:
        before = http.get("/backends/ScQ-P10/calibration").json()["id"]
        r = ops.post("/backends/ScQ-P10/recalibrate")
        assert r.status_code == 202, r.text
        new = r.json()
        assert new["source"] == "admin" and new["id"] != before
        assert ops.post("/backends/ScQ-P10/recalibrate").status_code == 409
        chip = next(b for b in http.get("/backends").json() if b["name"] == "ScQ-P10")
        assert chip["status"] == "calibrating"
        assert chip["status_until"] and "recalibration" in chip["status_reason"]
        sdk = http.get("/devices/ScQ-P10").json()  # quafu-sdk's view says it too
        assert sdk["status"] == "calibrating" and sdk["status_until"]
        created = submit(http)
        assert "calibrating" in (created.get("notice") or "")
        waiting = http.get(f"/jobs/{created['ids'][0]}").json()
        assert waiting["status"] == "queued" and "calibrating" in waiting["notice"]
        job = wait_done(http, created["ids"][0])
        assert job["status"] == "done"
        assert job["result"]["calibration_id"] == new["id"]
        assert datetime.fromisoformat(job["started_at"]) >= datetime.fromisoformat(
            new["calibrated_at"])
        ids = [s["id"] for s in http.get("/backends/ScQ-P10/calibrations").json()]
        assert new["id"] in ids
        assert http.get(f"/backends/ScQ-P10/calibrations/{new['id']}").json()["requested_by"]
        chip = next(b for b in http.get("/backends").json() if b["name"] == "ScQ-P10")
        assert chip["status"] == "online"
        assert chip["calibration_time"].startswith(new["calibrated_at"][:19])


def test_unusable_qubits_and_couplers_are_avoided(quick):
    server, admin, user = quick
    with client(server, admin) as ops, client(server, user) as http:
        r = ops.put("/backends/ScQ-P10/faults",
                    json={"qubits": ["Q3"], "couplers": [["Q6", "Q7"]], "reason": "TLS"})
        assert r.status_code == 200, r.text
        assert r.json() == {"chip": "ScQ-P10", "qubits": ["Q3"],
                            "couplers": [["Q6", "Q7"]]}
        bad = ops.put("/backends/ScQ-P10/faults", json={"qubits": ["Q99"]})
        assert bad.status_code == 400 and "Q99" in bad.json()["detail"]
        bad = ops.put("/backends/ScQ-P10/faults", json={"couplers": [["Q1", "Q5"]]})
        assert bad.status_code == 400
        for _ in range(3):
            job = wait_done(http, submit(http, GHZ4)["ids"][0])
            assert job["status"] == "done", job
            used = set(job["result"]["initial_mapping"].values()) | set(
                job["result"]["final_mapping"].values())
            assert 2 not in used
            assert not {5, 6} <= used
        snap = http.get("/backends/ScQ-P10/calibration").json()
        assert snap["unusable"] == {"qubits": ["Q3"], "couplers": [["Q6", "Q7"]]}
        detail = http.get("/backends/ScQ-P10").json()
        assert detail["calibration"]["id"] == snap["id"]
        assert detail["calibration_data"]["unusable"] == snap["unusable"]
        assert ops.put("/backends/ScQ-P10/faults", json={}).json()["qubits"] == []


def test_the_daily_schedule_holds_every_chip_then_publishes(fresh_store):
    """KUAFU_RECALIBRATE_DAILY_AT=06:00: at 06:03 every chip is calibrating until 06:10
    (an operator's maintenance stays as it is), at 06:11 they are back with the new
    snapshot in force; the snapshot of 06:05 is still the one before."""
    from datetime import UTC

    from kuafu.server.core.config import Settings
    from kuafu.server.core.db import Database
    from kuafu.server.models import BackendStatusOverride
    from kuafu.server.services import calibration, catalog

    db = Database(fresh_store)
    db.migrate()
    settings = Settings(database_url=fresh_store, recalibrate_daily_at="06:00",
                        recalibration_minutes=10)
    at = datetime(2026, 12, 6, 6, 3, tzinfo=UTC)
    end = datetime(2026, 12, 6, 6, 10, tzinfo=UTC)
    try:
        with db.transaction() as s:
            s.add(BackendStatusOverride(backend="ScQ-P18", status="maintenance",
                                        reason="fridge"))
        with db.transaction() as s:
            before = calibration.snapshot_in_force(s, settings, "ScQ-P10", at).id
            assert calibration.tick(s, settings, at)
            held = s.get(BackendStatusOverride, "ScQ-P10")
            assert held.status == "calibrating" and held.until == end
            assert "calibrating" in catalog.status_info(s, "ScQ-P10").waiting_notice()
            assert s.get(BackendStatusOverride, "ScQ-P18").status == "maintenance"
            assert calibration.snapshot_in_force(s, settings, "ScQ-P10", at).id == before
        with db.transaction() as s:
            later = end.replace(minute=11)
            assert calibration.tick(s, settings, later)
            assert s.get(BackendStatusOverride, "ScQ-P10") is None
            assert s.get(BackendStatusOverride, "ScQ-P18").status == "maintenance"
            snap = calibration.snapshot_in_force(s, settings, "ScQ-P10", later)
            assert snap.id == "ScQ-P10-20261206T061000Z-s1" != before
            assert not calibration.tick(s, settings, later)  # nothing more to do
            history = calibration.recalibrations(s, "ScQ-P136")
            assert [r.source for r in history] == ["scheduled"]
    finally:
        db.dispose()
