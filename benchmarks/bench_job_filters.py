"""The job list's filters over a store of 100 000 jobs (issue 18): how long a page takes.

    .venv/bin/python benchmarks/bench_job_filters.py                       # SQLite, 100 000 jobs
    .venv/bin/python benchmarks/bench_job_filters.py --database postgresql+psycopg://postgres@127.0.0.1/bench
    .venv/bin/python benchmarks/bench_job_filters.py --jobs 20000 --repeats 20

A fresh store (migrated to the newest revision, so with the indexes the filters use) gets
`--jobs` finished jobs spread over 10 users, 4 backends and 90 days, each with two of 50
tags and one of 200 names. Then each filter runs the query `GET /jobs` runs
(`services.jobs.list_jobs`: the first page of 50, newest first, deleted jobs left out)
for one user, `--repeats` times; the table gives the median and the worst in ms, and
the jobs the first page holds. On PostgreSQL the tables are analysed after the load
(as autovacuum would). The query plan of the tag filter is printed (it must use
`ix_job_tags_tag_job`, not scan `jobs`).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import insert, select, text

from kuafu.server.core.db import Database
from kuafu.server.models import Job, JobTag, User
from kuafu.server.services import jobdata

BACKENDS = ("ScQ-P10", "ScQ-P18", "ScQ-P136", "simulator")
STATUSES = ("done", "done", "done", "failed", "cancelled")
PAGE = 50


def fill(db: Database, jobs: int, seed: int = 18) -> list[int]:
    rng = np.random.default_rng(seed)
    now = datetime.now(UTC)
    with db.transaction() as session:
        users = []
        for i in range(10):
            user = User(name=f"bench-{uuid.uuid4().hex[:6]}-{i}")
            session.add(user)
            session.flush()
            users.append(user.id)
    batch = 5000
    for start in range(0, jobs, batch):
        rows, tags = [], []
        for _ in range(min(batch, jobs - start)):
            job_id = uuid.uuid4().hex
            created = now - timedelta(seconds=float(rng.uniform(0, 90 * 86400)))
            chosen = [f"tag{int(t)}" for t in rng.choice(50, size=2, replace=False)]
            rows.append({
                "id": job_id, "user_id": users[int(rng.integers(10))],
                "backend": BACKENDS[int(rng.integers(4))], "qasm": "OPENQASM 2.0;",
                "shots": 1000, "compile": True, "priority": 0,
                "name": f"name{int(rng.integers(200))}",
                "status": STATUSES[int(rng.integers(5))], "created_at": created,
                "finished_at": created + timedelta(seconds=1), "attempts": 1,
                "tags": chosen, "result": {"counts": {"00": 500, "11": 500}}})
            tags += [{"job_id": job_id, "tag": t} for t in chosen]
        with db.transaction() as session:
            session.execute(insert(Job), rows)
            session.execute(insert(JobTag), tags)
    return users


def page(db: Database, user_id: int, **filters) -> tuple[float, int]:
    with db.transaction() as session:
        stmt = jobdata.filtered(select(Job.id).where(Job.user_id == user_id),
                                tag=filters.pop("tag", None), since=filters.pop("since", None),
                                until=filters.pop("until", None))
        for column, value in filters.items():
            stmt = stmt.where(getattr(Job, column) == value)
        stmt = stmt.order_by(Job.created_at.desc(), Job.id.desc()).limit(PAGE + 1)
        start = time.perf_counter()
        rows = session.execute(stmt).all()
        return time.perf_counter() - start, min(len(rows), PAGE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=None, help="a store URL (default: a new "
                        "SQLite file in a temporary folder); it must be empty")
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    url = args.database or f"sqlite:///{Path(folder) / 'bench.db'}"
    db = Database(url)
    db.migrate()
    start = time.perf_counter()
    users = fill(db, args.jobs)
    if db.engine.dialect.name == "postgresql":  # what autovacuum does after a bulk load
        with db.engine.connect() as conn:
            conn.execute(text("ANALYZE jobs"))
            conn.execute(text("ANALYZE job_tags"))
            conn.commit()
    print(f"store {url.split('://')[0]}: {args.jobs} jobs, 10 users, filled in "
          f"{time.perf_counter() - start:.1f} s")
    now = datetime.now(UTC)
    cases = {
        "no filter": {},
        "status=failed": {"status": "failed"},
        "backend=ScQ-P10": {"backend": "ScQ-P10"},
        "name=name7": {"name": "name7"},
        "tag=tag3": {"tag": "tag3"},
        "last 7 days": {"since": now - timedelta(days=7)},
        "days 30-37 ago": {"since": now - timedelta(days=37), "until": now - timedelta(30)},
        "tag + 7 days": {"tag": "tag3", "since": now - timedelta(days=7)},
        "tag + backend + status": {"tag": "tag3", "backend": "ScQ-P10", "status": "done"},
    }
    print(f"{'filter':26s} {'median ms':>10s} {'worst ms':>10s} {'rows':>5s}")
    for label, filters in cases.items():
        times, count = [], 0
        for k in range(args.repeats):
            seconds, count = page(db, users[k % len(users)], **dict(filters))
            times.append(seconds * 1e3)
        print(f"{label:26s} {statistics.median(times):10.2f} {max(times):10.2f} {count:5d}")
    with db.engine.connect() as conn:
        sql = ("EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN ") + (
            "SELECT id FROM jobs WHERE user_id = :u AND deleted_at IS NULL AND id IN "
            "(SELECT job_id FROM job_tags WHERE tag = 'tag3') ORDER BY created_at DESC LIMIT 51")
        print("plan of the tag filter:")
        for row in conn.execute(text(sql), {"u": users[0]}):
            print("  ", " ".join(str(v) for v in row))
    db.dispose()


if __name__ == "__main__":
    main()
