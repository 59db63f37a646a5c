"""What a user sees of a chip's status and of a job's wait, and what operators see in
the logs, against live servers (issue 21: items 4, 11-14)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from kuafu.backends.simulator import MAX_QUBITS
from kuafu.server.testing import LiveServer, create_user

from .conftest import BELL
from .test_api import api, wait_done

REASON = "recalibrating couplers"


@pytest.fixture()
def held(live, admin_token):
    """Set ScQ-P18's status as an administrator (`held(status, reason, until)`); online
    again at the end."""
    with api(live, admin_token) as admin:
        def put(status: str, reason: str | None = None, until: datetime | None = None):
            r = admin.put("/backends/ScQ-P18/status", json={
                "status": status, "reason": reason,
                "until": until.isoformat() if until else None})
            assert r.status_code == 200, r.text
            return r.json()
        try:
            yield put
        finally:
            put("online")


def test_maintenance_is_said_in_the_list_the_detail_the_submission_and_the_job(
        live, token, held):
    summary = held("maintenance", REASON)
    assert summary["status"] == "maintenance" and summary["status_reason"] == REASON
    with api(live, token) as c:
        listed = {b["name"]: b for b in c.get("/backends").json()}
        assert listed["ScQ-P18"]["status_reason"] == REASON
        assert listed["ScQ-P10"]["status"] == "online"
        assert listed["ScQ-P10"]["status_reason"] is None
        assert c.get("/backends/ScQ-P18").json()["status_reason"] == REASON
        r = c.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P18", "shots": 10})
        assert r.status_code == 201
        notice = r.json()["notice"]
        assert "maintenance" in notice and REASON in notice and "wait" in notice
        (job_id,) = r.json()["ids"]
        job = c.get(f"/jobs/{job_id}").json()
        assert job["status"] == "queued" and REASON in job["notice"]
        # no end given: the start is unknown, and said so rather than made up
        assert job["estimated_start"] is None and "unknown" in job["notice"]
        until = datetime.now(UTC) + timedelta(hours=1)
        summary = held("maintenance", REASON, until)
        assert abs(datetime.fromisoformat(summary["status_until"]) - until) < timedelta(
            seconds=1)
        job = c.get(f"/jobs/{job_id}").json()
        assert datetime.fromisoformat(job["estimated_start"]) >= until - timedelta(seconds=1)
        assert c.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10"}).json()[
            "notice"] is None
        held("online")
        assert wait_done(c, job_id)["status"] == "done"
        assert c.get("/backends/ScQ-P18").json()["status_reason"] is None


def test_an_offline_chip_refuses_jobs_naming_the_reason(live, token, held):
    held("offline", "cryostat warming up")
    with api(live, token) as c:
        r = c.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P18"})
        assert r.status_code == 409
        body = r.json()
        assert body["code"] == "backend_offline"
        assert "ScQ-P18 is offline" in body["detail"]
        assert "cryostat warming up" in body["detail"]


def test_the_estimated_start_counts_the_running_jobs_time(fresh_store, tmp_path):
    """One worker busy with a job that has run 1.5 s already (3 s each, nothing finished
    yet, so no mean run time is known): the next job cannot start before that one ends."""
    env = {"KUAFU_WORKER_DELAY": "3", "KUAFU_PREFETCH": "1"}
    with LiveServer(fresh_store, workers=1, env=env, log=tmp_path / "server.log") as server, \
            api(server, create_user(fresh_store)) as c:
        (first,) = c.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10"}).json()["ids"]
        deadline = time.monotonic() + 30
        while c.get(f"/jobs/{first}").json()["status"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(1.5)
        (second,) = c.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10"}).json()["ids"]
        job = c.get(f"/jobs/{second}").json()
        asked = datetime.now(UTC)
        assert job["status"] == "queued" and job["queue_position"] == 0
        assert datetime.fromisoformat(job["estimated_start"]) > asked + timedelta(seconds=1)


@pytest.mark.parametrize("body,code,fragments", [
    ({"qasm": "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[12];\ncreg c[12];\n"
      "measure q -> c;\n"}, "circuit_too_wide", ["12 qubits", "ScQ-P10 has 10 qubits"]),
    ({"qasm": BELL.replace("q[2]", "q[6]").replace("c[2]", "c[6]").replace(
        "cx q[0],q[1]", "cx q[0],q[5]"), "compile": False}, "invalid_request",
     ["Q1 and Q6", "coupler"]),
    ({"qasm": BELL.replace("measure q -> c;\n", "")}, "no_measurement",
     ["measures nothing", "measure_all"]),
    ({"qasm": [BELL, BELL, "OPENQASM 2.0;\nqreg q[1];\nbad;\n"]}, "invalid_request",
     ["program #3 of 3"]),
])
def test_refusals_name_the_chip_its_qubits_and_the_program(live, token, body, code,
                                                          fragments):
    with api(live, token) as c:
        r = c.post("/jobs", json={"backend": "ScQ-P10", **body})
        assert r.status_code == 400, r.text
        assert r.json()["code"] == code
        for fragment in fragments:
            assert fragment in r.json()["detail"]
        if "bad;" not in str(body["qasm"]):  # valid programs: not blamed on the text
            assert "invalid OpenQASM" not in r.json()["detail"]


def test_simulator_shows_its_qubit_limit_and_chips_one_labelled_figure(live, token):
    with api(live, token) as c:
        listed = {b["name"]: b for b in c.get("/backends").json()}
        assert listed["simulator"]["qubits"] == MAX_QUBITS
        assert listed["simulator"]["fidelity_2q_median"] is None
        detail = c.get("/backends/ScQ-P18").json()
    fidelities = sorted(x["fidelity_2q"] for x in detail["calibration_data"]["couplers"])
    n = len(fidelities)
    median = (fidelities[n // 2] + fidelities[(n - 1) // 2]) / 2
    assert detail["fidelity_2q_median"] == pytest.approx(median)
    assert listed["ScQ-P18"]["fidelity_2q_median"] == pytest.approx(median)
    assert 0.98 <= median < 1


def test_user_names_are_checked_and_a_disabled_user_is_refused(live, store, admin_token):
    name = f"dora-{time.time_ns()}"
    with api(live, admin_token) as admin:
        for bad in ("bad name!", "x" * 65, "", "a/b"):
            assert admin.post("/users", json={"name": bad}).status_code == 422, bad
        assert admin.post("/users", json={"name": name}).status_code == 201
        secret = admin.post(f"/users/{name}/tokens", json={}).json()["token"]
        with api(live, secret) as user:
            assert user.get("/me").status_code == 200  # remembered by the server now
            answer = admin.post(f"/users/{name}/disable").json()
            assert answer["disabled"] is True
            r = user.get("/me")
            assert r.status_code == 401 and "disabled" in r.json()["detail"]
            assert admin.post(f"/users/{name}/enable").json()["disabled"] is False
            assert user.get("/me").status_code == 200
        assert {u["name"]: u["disabled"] for u in admin.get("/users").json()}[name] is False


def test_missing_token_points_to_kuafu_login(live):
    r = httpx.get(f"{live.url}/api/v1/me")
    assert r.status_code == 401 and "kuafu login" in r.json()["detail"]
    assert "token create" not in r.json()["detail"]


def test_access_and_failed_job_logs_hold_no_token(fresh_store, tmp_path):
    """Jobs fail here (each sleeps 1.5 s, the run-time limit is 0.5 s)."""
    log = tmp_path / "server.log"
    env = {"KUAFU_WORKER_DELAY": "1.5", "KUAFU_MAX_RUN_SECONDS": "0.5"}
    secret = create_user(fresh_store, name="logged-user")
    wrong = "kf_" + "w" * 40
    with LiveServer(fresh_store, workers=1, env=env, log=log, log_level="info") as server:
        with api(server, secret) as c:
            (job_id,) = c.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10"}).json()[
                "ids"]
            assert wait_done(c, job_id, timeout=60)["status"] == "failed"
            c.get("/backends", params={"token": secret})  # a query string is not logged
        with api(server, wrong) as c:
            assert c.get("/me").status_code == 401
        time.sleep(0.3)
    text = log.read_text()
    assert "path=/api/v1/jobs status=201" in text and "user=logged-user" in text
    assert "path=/api/v1/me status=401" in text
    assert f"job_failed job={job_id} backend=ScQ-P10" in text and "RunTimeExceeded" in text
    assert secret not in text and secret[3:] not in text and wrong not in text
    assert "Kuafu on http://127.0.0.1" in text and "/console" in text
