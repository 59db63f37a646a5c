"""Migration 0011 (projects, issue 17) on a store made at revision 0010 with data, on
SQLite and PostgreSQL: every user gets a personal project `~name` (their default, which
they own), their jobs are charged to it, nothing is lost, and a server on the upgraded
store reports the jobs in the project's usage and charges new ones to it."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
import sqlalchemy as sa

from kuafu.server.core import security
from kuafu.server.core.db import make_engine
from kuafu.server.testing import LiveServer

from .conftest import BELL
from .test_api import wait_done
from .test_migration_identity import upgrade


@pytest.mark.slow  # a migration, then a server that runs a job
def test_upgrade_from_0010_gives_every_user_a_personal_project(fresh_store):
    engine = make_engine(fresh_store)
    upgrade(engine, "0010")
    now = datetime.now(UTC).replace(tzinfo=None)
    tokens = {name: security.new_token() for name in ("ann", "ben")}
    meta = sa.MetaData()
    meta.reflect(engine)
    t = meta.tables
    with engine.begin() as db:
        db.execute(t["users"].insert(), [
            {"id": 1, "name": "ann", "is_admin": True, "created_at": now},
            {"id": 2, "name": "ben", "is_admin": False, "created_at": now},
            {"id": 3, "name": "cat", "is_admin": False, "created_at": now}])
        db.execute(t["api_tokens"].insert(), [
            {"id": i, "user_id": i, "name": "t", "token_hash": security.hash_token(tok),
             "prefix": tok[:9], "created_at": now, "kind": "api"}
            for i, tok in enumerate(tokens.values(), 1)])
        db.execute(t["jobs"].insert(), [
            {"id": f"job{i:03d}", "user_id": 1 + i % 2, "backend": "ScQ-P10", "qasm": BELL,
             "shots": 1000, "compile": True, "priority": 0,
             "status": "done" if i < 4 else "failed", "created_at": now, "attempts": 1}
            for i in range(6)])
    upgrade(engine, "head")

    meta = sa.MetaData()
    meta.reflect(engine)
    t = meta.tables
    with engine.connect() as db:
        projects = db.execute(sa.select(t["projects"].c.id, t["projects"].c.name,
                                        t["projects"].c.personal)
                              .order_by(t["projects"].c.id)).all()
        assert [(p.name, p.personal) for p in projects] == [
            ("~ann", True), ("~ben", True), ("~cat", True)]
        members = db.execute(sa.select(t["project_members"])).all()
        assert sorted((m.user_id, m.role, m.is_default) for m in members) == [
            (1, "owner", True), (2, "owner", True), (3, "owner", True)]
        jobs = db.execute(sa.select(t["jobs"].c.user_id, t["jobs"].c.project_id,
                                    t["jobs"].c.chip_seconds)).all()
        by_name = {p.name: p.id for p in projects}
        assert len(jobs) == 6
        assert all(j.project_id == by_name["~ann" if j.user_id == 1 else "~ben"]
                   for j in jobs)
        assert all(j.chip_seconds == pytest.approx(0.1) for j in jobs)  # 1000 x 100 us
    engine.dispose()

    with LiveServer(fresh_store, workers=1) as server, \
            httpx.Client(base_url=f"{server.url}/api/v1", timeout=60,
                         headers={"Authorization": f"Bearer {tokens['ben']}"}) as ben:
        mine = ben.get("/projects").json()
        assert [(p["name"], p["default"]) for p in mine] == [("~ben", True)]
        # ben's 3 jobs: two done (charged), one failed (not charged)
        assert mine[0]["usage"]["jobs"] == 2 and mine[0]["usage"]["shots"] == 2000
        assert len(ben.get("/jobs").json()["items"]) == 3
        job_id = ben.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10",
                                         "shots": 10}).json()["ids"][0]
        assert wait_done(ben, job_id)["project"] == "~ben"
