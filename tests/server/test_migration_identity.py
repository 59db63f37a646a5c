"""Migration 0010 (identity, issue 17) on a store made at revision 0009 with data, on
SQLite and PostgreSQL: every user, token, job and console session survives the upgrade
to the newest revision, tokens still authenticate, the jobs are still theirs, and
quafu-sdk's browser logins are marked as such."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from kuafu.server.core import security
from kuafu.server.core.db import MIGRATIONS, make_engine
from kuafu.server.testing import LiveServer

from .conftest import BELL
from .test_api import wait_done


def upgrade(engine: sa.Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


@pytest.mark.slow  # a migration, then a server that runs a job: about 15 s
def test_upgrade_from_0009_keeps_users_tokens_jobs(fresh_store, tmp_path):
    engine = make_engine(fresh_store)
    upgrade(engine, "0009")
    now = datetime.now(UTC).replace(tzinfo=None)
    tokens = {name: security.new_token() for name in ("alice", "bob", "sdk")}
    meta = sa.MetaData()
    meta.reflect(engine)
    t = meta.tables
    with engine.begin() as db:
        db.execute(t["users"].insert(), [
            {"id": 1, "name": "alice", "is_admin": True, "created_at": now},
            {"id": 2, "name": "bob", "is_admin": False, "created_at": now,
             "disabled_at": None}])
        db.execute(t["api_tokens"].insert(), [
            {"id": 1, "user_id": 1, "name": "initial", "token_hash":
             security.hash_token(tokens["alice"]), "prefix": tokens["alice"][:9],
             "created_at": now},
            {"id": 2, "user_id": 2, "name": "laptop", "token_hash":
             security.hash_token(tokens["bob"]), "prefix": tokens["bob"][:9],
             "created_at": now, "expires_at": now + timedelta(days=30)},
            {"id": 3, "user_id": 2, "name": "quafu-sdk login (bobs-pc)", "token_hash":
             security.hash_token(tokens["sdk"]), "prefix": tokens["sdk"][:9],
             "created_at": now, "expires_at": now + timedelta(days=90)}])
        db.execute(t["jobs"].insert(), [
            {"id": f"job{i:03d}", "user_id": 1 + i % 2, "backend": "ScQ-P10", "qasm": BELL,
             "shots": 100, "compile": True, "priority": 0,
             "status": "queued" if i < 2 else "failed", "error": None if i < 2 else "boom",
             "created_at": now, "attempts": 0} for i in range(6)])
        db.execute(t["console_sessions"].insert(), [
            {"id": 1, "secret_hash": "0" * 64, "user_id": 2, "token_id": 2, "csrf_token": "c",
             "created_at": now, "expires_at": now + timedelta(hours=1)}])
    upgrade(engine, "head")

    meta = sa.MetaData()
    meta.reflect(engine)
    t = meta.tables
    with engine.connect() as db:
        users = db.execute(sa.select(t["users"].c.name, t["users"].c.is_admin,
                                     t["users"].c.password_hash,
                                     t["users"].c.pending_approval)
                           .order_by(t["users"].c.id)).all()
        assert [tuple(u) for u in users] == [("alice", True, None, False),
                                            ("bob", False, None, False)]
        kinds = dict(db.execute(sa.select(t["api_tokens"].c.name, t["api_tokens"].c.kind)).all())
        assert kinds == {"initial": "api", "laptop": "api",
                         "quafu-sdk login (bobs-pc)": "oauth"}
        jobs = db.execute(sa.select(t["jobs"].c.id, t["jobs"].c.user_id, t["jobs"].c.status)
                          .order_by(t["jobs"].c.id)).all()
        assert len(jobs) == 6 and [j.user_id for j in jobs] == [1, 2, 1, 2, 1, 2]
        assert db.execute(sa.select(sa.func.count()).select_from(t["console_sessions"])
                          ).scalar() == 1
        assert db.execute(sa.select(sa.func.count()).select_from(t["audit_events"])
                          ).scalar() == 0
    engine.dispose()

    with LiveServer(fresh_store, workers=1, log=tmp_path / "server.log") as server:
        for name in ("alice", "bob", "sdk"):
            me = httpx.get(f"{server.url}/api/v1/me",
                           headers={"Authorization": f"Bearer {tokens[name]}"})
            assert me.status_code == 200 and me.json()["name"] == ("alice" if name == "alice"
                                                                   else "bob")
        listed = httpx.get(f"{server.url}/api/v1/jobs", params={"limit": 10},
                           headers={"Authorization": f"Bearer {tokens['bob']}"})
        assert listed.status_code == 200, listed.text
        assert sorted(j["id"] for j in listed.json()["items"]) == ["job001", "job003", "job005"]
        with httpx.Client(base_url=f"{server.url}/api/v1",
                          headers={"Authorization": f"Bearer {tokens['bob']}"}) as bob:
            assert wait_done(bob, "job001")["status"] == "done"  # queued before: it runs
            failed = bob.get("/jobs/job003").json()
            assert failed["status"] == "failed" and "boom" in failed["error"]
