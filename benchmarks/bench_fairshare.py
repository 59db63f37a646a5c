"""Fair share between projects, measured on a live server.

    python benchmarks/bench_fairshare.py [--jobs 300] [--workers 2] [--database URL]
                                         [--backend ScQ-P10-sim] [--shots 200]

Starts `kuafu serve` on a temporary SQLite store (or --database), makes three projects
with chip-second allocations 1:2:3, and measures:

1. contention: each project submits more jobs than the run takes (endless demand)
   while the chip is held, then the chip opens; once --jobs have started the chip is
   held again and every job read at rest: of the first --jobs jobs to start, the
   chip-seconds each project received, against 1:2:3 (target: within 10 %);
2. return after idleness: projects 1 and 2 keep the chip busy while project 3 is away;
   when 3 submits again, how many of the jobs that were waiting before its return start
   ahead of its first job (target: no more than the jobs already handed to workers,
   `workers x prefetch`), and its share of the next jobs.

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx

from kuafu import qasm
from kuafu.cli.demo import bell
from kuafu.server.testing import LiveServer, create_user

BELL = qasm.dumps(bell())


def client(server: LiveServer, token: str) -> httpx.Client:
    return httpx.Client(base_url=f"{server.url}/api/v1", timeout=120,
                        headers={"Authorization": f"Bearer {token}"})


def submit(c: httpx.Client, project: str, backend: str, n: int, shots: int) -> list[str]:
    ids: list[str] = []
    while n > 0:
        batch = min(n, 500)
        r = c.post("/jobs", json={"qasm": [BELL] * batch, "backend": backend,
                                  "shots": shots, "project": project})
        r.raise_for_status()
        ids += r.json()["ids"]
        n -= batch
    return ids


def jobs_of(c: httpx.Client, project: str) -> list[dict]:
    return c.get(f"/projects/{project}/jobs", params={"limit": 500}).json()["items"]


def queued(c: httpx.Client, backend: str) -> int:
    return next(b["queue_length"] for b in c.get("/backends").json() if b["name"] == backend)


def first_started(admin: httpx.Client, projects: list[str], backend: str, total: int,
                  n: int) -> list[tuple]:
    """(started_at, project, job) of the first `n` jobs to start: wait until `n` have
    left the queue, hold the chip (maintenance) so that no more start, let the ones
    handed to workers finish, then read every job at rest."""
    while total - queued(admin, backend) < n:
        time.sleep(0.2)
    admin.put(f"/backends/{backend}/status", json={"status": "maintenance"})
    time.sleep(2.0)
    rows = [(j["started_at"], p, j) for p in projects for j in jobs_of(admin, p)
            if j["started_at"] is not None]
    admin.put(f"/backends/{backend}/status", json={"status": "online"})
    rows.sort(key=lambda r: r[0])
    return rows[:n]


def cancel_all(c: httpx.Client, ids: list[str]) -> None:
    for job_id in ids:
        c.post(f"/jobs/{job_id}/cancel")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=300,
                        help="jobs measured (at most 500)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database", default=None)
    parser.add_argument("--backend", default="ScQ-P10-sim")
    parser.add_argument("--shots", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{Path(tmp) / 'kuafu.db'}"
        admin_name = f"admin-{uuid.uuid4().hex[:6]}"
        admin_token = create_user(url, admin_name, admin=True)
        tag = uuid.uuid4().hex[:4]
        names = [f"p{k}-{tag}" for k in (1, 2, 3)]
        with LiveServer(url, workers=args.workers) as server, \
                client(server, admin_token) as admin:
            for k, name in enumerate(names, 1):
                admin.post("/projects", json={"name": name, "seconds_allocation": 1e6 * k,
                                              "backends": [args.backend],
                                              "owner": admin_name}).raise_for_status()
            # 1. contention from three projects with endless demand
            admin.put(f"/backends/{args.backend}/status", json={"status": "maintenance"})
            demand = args.jobs  # each could fill the whole run alone
            ids = {name: submit(admin, name, args.backend, demand, args.shots)
                   for name in names}
            t0 = time.perf_counter()
            admin.put(f"/backends/{args.backend}/status", json={"status": "online"})
            first = first_started(admin, names, args.backend, demand * len(names),
                                  args.jobs)
            elapsed = time.perf_counter() - t0
            for name in names:
                cancel_all(admin, ids[name])
            work = Counter()
            count = Counter()
            for _at, name, job in first:
                work[name] += job["shots"]  # equal programs: shots are proportional
                count[name] += 1
            total = sum(work.values())
            split = [work[n] / total for n in names]
            contention = {
                "jobs": args.jobs, "seconds": round(elapsed, 2),
                "jobs_per_project": [count[n] for n in names],
                "measured_split": [round(s, 4) for s in split],
                "target_split": [round(k / 6, 4) for k in (1, 2, 3)],
                "relative_error": [round(abs(s - k / 6) / (k / 6), 4)
                                   for s, k in zip(split, (1, 2, 3), strict=True)],
                "normalised": [round(s / split[0], 3) for s in split]}
            # 2. project 3 away while 1 and 2 keep the chip busy, then it returns
            busy = {name: submit(admin, name, args.backend, args.jobs, args.shots)
                    for name in names[:2]}
            time.sleep(3.0)
            # a consistent look at who waits: the chip held while it is read and while
            # project 3 submits, then opened
            admin.put(f"/backends/{args.backend}/status", json={"status": "maintenance"})
            time.sleep(1.0)
            waiting_before = {j["id"] for n in names[:2] for j in jobs_of(admin, n)
                              if j["status"] == "queued"}
            back = submit(admin, names[2], args.backend, 50, args.shots)
            admin.put(f"/backends/{args.backend}/status", json={"status": "online"})
            while admin.get(f"/jobs/{back[0]}").json()["started_at"] is None:
                time.sleep(0.05)
            returned_at = admin.get(f"/jobs/{back[0]}").json()["started_at"]
            ahead = sum(1 for n in names[:2] for j in jobs_of(admin, n)
                        if j["id"] in waiting_before and j["started_at"] is not None
                        and j["started_at"] < returned_at)
            time.sleep(1.0)
            admin.put(f"/backends/{args.backend}/status", json={"status": "maintenance"})
            time.sleep(2.0)  # the jobs handed to workers finish; then read at rest
            nxt = sorted((j["started_at"], n) for n in names for j in jobs_of(admin, n)
                         if j["started_at"] is not None and j["started_at"] >= returned_at)
            admin.put(f"/backends/{args.backend}/status", json={"status": "online"})
            following = Counter(n for _at, n in nxt[:30])
            for name in names[:2]:
                cancel_all(admin, busy[name])
            cancel_all(admin, back)
            fairness = {p["name"]: round(p["fair_share"], 4)
                        for p in admin.get("/projects", params={"all": True}).json()
                        if p["name"] in names}
            print(json.dumps({
                "backend": args.backend, "workers": args.workers, "store": url.split(":")[0],
                "contention": contention,
                "return_after_idle": {
                    "waiting_jobs_of_others_started_first": ahead,
                    "in_flight_allowance": args.workers * 2,
                    "share_of_next_30_jobs": [following[n] for n in names]},
                "fair_share_factor_at_end": fairness}, indent=2))


if __name__ == "__main__":
    main()
