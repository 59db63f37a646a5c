"""Migration 0012 (job data and calibration, issue 18) on a store made at revision 0011
with data, on SQLite and PostgreSQL: users, tokens, jobs (with their results) and the
recorded calibration snapshots survive; jobs have no tags and are not deleted; the
downgrade takes the new columns and tables away and keeps the rows."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from kuafu.server.core import security
from kuafu.server.core.db import make_engine

from .conftest import BELL
from .test_migration_identity import MIGRATIONS, upgrade


def downgrade(engine: sa.Engine, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_upgrade_from_0011_keeps_everything(fresh_store):
    engine = make_engine(fresh_store)
    upgrade(engine, "0011")
    now = datetime.now(UTC).replace(tzinfo=None)
    token = security.new_token()
    meta = sa.MetaData()
    meta.reflect(engine)
    t = meta.tables
    with engine.begin() as db:
        db.execute(t["users"].insert(), [{"id": 1, "name": "ann", "is_admin": False,
                                          "created_at": now}])
        db.execute(t["api_tokens"].insert(), [
            {"id": 1, "user_id": 1, "name": "t", "token_hash": security.hash_token(token),
             "prefix": token[:9], "created_at": now, "kind": "api"}])
        db.execute(t["jobs"].insert(), [
            {"id": f"job{i}", "user_id": 1, "backend": "ScQ-P10", "qasm": BELL, "shots": 100,
             "compile": True, "priority": 0, "status": "done", "created_at": now,
             "attempts": 1, "result": {"counts": {"00": 50, "11": 50}}} for i in range(3)])
        db.execute(t["calibration_snapshots"].insert(), [
            {"id": "ScQ-P10-0a1b2c3d4e5f", "chip": "ScQ-P10", "data": {"x": 1},
             "recorded_at": now}])
    upgrade(engine, "head")
    meta = sa.MetaData()
    meta.reflect(engine)
    t = meta.tables
    with engine.connect() as db:
        jobs = db.execute(sa.select(t["jobs"]).order_by(t["jobs"].c.id)).all()
        assert [j.id for j in jobs] == ["job0", "job1", "job2"]
        assert all(j.tags is None and j.deleted_at is None and j.payload_removed_at is None
                   and j.result == {"counts": {"00": 50, "11": 50}} for j in jobs)
        assert db.execute(sa.select(sa.func.count()).select_from(t["job_tags"])).scalar() == 0
        snap = db.execute(sa.select(t["calibration_snapshots"])).one()
        assert snap.source is None and snap.data == {"x": 1}
        assert db.execute(sa.select(t["api_tokens"].c.token_hash)).scalar() == \
            security.hash_token(token)
    downgrade(engine, "0011")
    inspector = sa.inspect(engine)
    assert "job_tags" not in inspector.get_table_names()
    assert "tags" not in {c["name"] for c in inspector.get_columns("jobs")}
    with engine.connect() as db:
        assert db.execute(sa.text("select count(*) from jobs")).scalar() == 3
    engine.dispose()
