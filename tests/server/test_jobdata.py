"""A job's data over HTTP (issue 18): tags and metadata, filters, replay, deletion,
export and its local replay, retention; on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import time
import zipfile
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import sqlalchemy as sa

from kuafu.server.services.jobdata import replay_archive
from kuafu.server.testing import LiveServer, create_user

from .conftest import BELL
from .test_calibration import GHZ4, client, submit, wait_done


def test_tags_metadata_and_filters(live, token):
    with client(live, token) as http:
        stamp = f"t{time.time_ns()}"
        a = submit(http, tags=[stamp, "bell"], meta={"paper": "fig2", "n": 1}, name="alpha")
        b = submit(http, GHZ4, backend="simulator", tags=[stamp], name="beta")
        c = submit(http, tags=["other"], name="gamma")
        for created in (a, b, c):
            wait_done(http, created["ids"][0])
        job = http.get(f"/jobs/{a['ids'][0]}").json()
        assert job["tags"] == [stamp, "bell"] and job["meta"] == {"paper": "fig2", "n": 1}

        def ids(**params):
            r = http.get("/jobs", params=params)
            assert r.status_code == 200, r.text
            return [j["id"] for j in r.json()["items"]]

        assert ids(tag=stamp) == [b["ids"][0], a["ids"][0]]
        assert ids(tag=stamp, backend="simulator") == b["ids"]
        assert ids(tag=stamp, name="alpha", status="done") == a["ids"]
        assert ids(tag="nobody-has-this") == []
        now = datetime.now(UTC)
        assert set(a["ids"] + b["ids"]) <= set(ids(tag=stamp, since=(
            now - timedelta(minutes=10)).isoformat(), until=now.isoformat()))
        assert ids(tag=stamp, until=(now - timedelta(days=1)).isoformat()) == []
        r = http.get("/jobs", params={"since": now.isoformat(),
                                      "until": (now - timedelta(1)).isoformat()})
        assert r.status_code == 400 and "since is after until" in r.json()["detail"]
        bad = http.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10", "tags": ["no space"]})
        assert bad.status_code == 422
        big = http.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10",
                                       "meta": {"x": "y" * 20000}})
        assert big.status_code == 422 and "meta" in big.text


def test_replay_gives_bit_identical_counts(live, token):
    with client(live, token) as http:
        for backend, qasm in (("ScQ-P10", GHZ4), ("simulator", GHZ4), ("ScQ-P18-sim", BELL)):
            original = wait_done(http, submit(http, qasm, backend=backend)["ids"][0])
            assert original["status"] == "done", original
            r = http.post(f"/jobs/{original['id']}/replay")
            assert r.status_code == 201, r.text
            new = wait_done(http, r.json()["ids"][0])
            assert new["replay_of"] == original["id"]
            assert new["result"]["counts"] == original["result"]["counts"]
            assert new["result"]["calibration_id"] == original["result"]["calibration_id"]
            report = http.get(f"/jobs/{new['id']}/replay").json()
            assert report["counts_identical"] is True and report["software_differs"] == []
            assert report["software"]["kuafu"]
        assert http.get(f"/jobs/{original['id']}/replay").status_code == 404  # not a replay
        assert http.post("/jobs/nope/replay").status_code == 404


def test_replay_refuses_what_did_not_finish_and_others_jobs(live, token, store):
    other = create_user(store)
    with client(live, token) as http, client(live, other) as theirs:
        mine = wait_done(http, submit(http)["ids"][0])
        assert theirs.post(f"/jobs/{mine['id']}/replay").status_code == 404
        cancelled = submit(http, shots=100000) if False else None
        del cancelled
        bad = http.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10", "shots": 50000})
        job_id = bad.json()["ids"][0]
        http.post(f"/jobs/{job_id}/cancel")
        job = wait_done(http, job_id)
        if job["status"] == "cancelled":
            r = http.post(f"/jobs/{job_id}/replay")
            assert r.status_code == 409 and "cancelled" in r.json()["detail"]


def test_delete_keeps_the_ledger(live, token, admin_token, store):
    other = create_user(store)
    with client(live, token) as http, client(live, other) as theirs, \
            client(live, admin_token) as admin:
        ids = [wait_done(http, submit(http)["ids"][0])["id"] for _ in range(3)]
        assert theirs.delete(f"/jobs/{ids[0]}").status_code == 404
        r = http.post("/jobs/delete", json={"ids": ids[:2]})
        assert r.status_code == 200 and r.json()["deleted"] == ids[:2]
        assert http.get(f"/jobs/{ids[0]}").status_code == 404
        listed = [j["id"] for j in http.get("/jobs", params={"limit": 500}).json()["items"]]
        assert ids[0] not in listed and ids[2] in listed
        assert http.delete(f"/jobs/{ids[0]}").status_code == 404  # gone already
        assert admin.delete(f"/jobs/{ids[2]}").json()["deleted"] == [ids[2]]
        queued = http.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10",
                                          "shots": 100000}).json()["ids"][0]
        r = http.delete(f"/jobs/{queued}")
        if r.status_code == 409:
            assert "cancel it first" in r.json()["detail"]
        assert http.post("/jobs/delete", json={"ids": []}).status_code == 422
    engine = sa.create_engine(store)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("select id, shots, backend, deleted_at, result from jobs "
                                    "where id in :ids").bindparams(
            sa.bindparam("ids", expanding=True)), {"ids": ids}).all()
    engine.dispose()
    assert len(rows) == 3 and all(r.deleted_at is not None and r.result is None for r in rows)
    assert all(r.shots == 200 and r.backend == "ScQ-P10" for r in rows)


def test_export_archive_replays_here(live, token, tmp_path):
    with client(live, token) as http:
        stamp = f"x{time.time_ns()}"
        for backend in ("ScQ-P10", "simulator"):
            wait_done(http, submit(http, GHZ4, backend=backend, tags=[stamp])["ids"][0])
        r = http.post("/jobs/export", json={"tag": stamp})
        assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
        archive = zipfile.ZipFile(io.BytesIO(r.content))
        names = set(archive.namelist())
        assert {"README.md", "manifest.json"} <= names
        jobs = json.loads(archive.read("manifest.json"))["jobs"]
        assert len(jobs) == 2
        chip = next(j for j in jobs if j["backend"] == "ScQ-P10")["id"]
        assert {f"{chip}/{n}" for n in ("circuit.qasm", "compiled.qasm", "counts.json",
                                        "job.json", "calibration.json",
                                        "software.json")} <= names
        info = json.loads(archive.read(f"{chip}/job.json"))
        assert info["calibration_point"]["seed"] == 1 and info["seed"] is not None
        path = tmp_path / "jobs.zip"
        path.write_bytes(r.content)
        reports = replay_archive(path)
        assert [r["counts_identical"] for r in reports] == [True, True]
        assert all(r["software_differs"] == [] for r in reports)
        # other software versions: it runs anyway and says what differs
        older = tmp_path / "older.zip"
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(older, "w") as dst:
            for item in src.namelist():
                data = src.read(item)
                if item == f"{chip}/software.json":
                    data = json.dumps({**json.loads(data), "numpy": "1.0.0"}).encode()
                dst.writestr(item, data)
        report = next(r for r in replay_archive(older) if r["job"] == chip)
        assert report["counts_identical"] is True
        assert report["software_differs"] == [f"numpy: 1.0.0 -> {np.__version__}"]
        assert http.post("/jobs/export", json={}).status_code == 400
        assert http.post("/jobs/export", json={"ids": ["nope"]}).status_code == 404


@pytest.fixture()
def forgetful(fresh_store, tmp_path):
    """A server that keeps payloads about 4 seconds."""
    env = {"KUAFU_RETENTION_DAYS": str(4 / 86400)}
    with LiveServer(fresh_store, workers=1, env=env, log=tmp_path / "server.log") as server:
        yield server, create_user(fresh_store)


def test_retention_removes_payloads_and_keeps_the_ledger(forgetful):
    server, token = forgetful
    with client(server, token) as http:
        job = wait_done(http, submit(http)["ids"][0])
        assert job["result"] is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            job = http.get(f"/jobs/{job['id']}").json()
            if job["payload_removed_at"]:
                break
            time.sleep(0.5)
        assert job["payload_removed_at"] and job["result"] is None
        assert job["status"] == "done" and job["shots"] == 200
        r = http.post(f"/jobs/{job['id']}/replay")
        assert r.status_code == 409 and "retention" in r.json()["detail"]
