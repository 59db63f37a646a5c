"""What running jobs on a Dask cluster costs, against the local process pool, in one run.

    python benchmarks/bench_cluster.py [--jobs 300] [--workers 2]

Runs the same jobs (Bell and 3-qubit GHZ alternately, 200 shots, ScQ-P10, submitted
through the HTTP API in batches of 100) on `kuafu serve --workers N`, then on
`kuafu serve --cluster` with a `dask scheduler` and N one-thread `dask worker`
processes on loopback, each on a fresh SQLite store, and prints jobs/s for both.
One machine cannot show what more machines buy; it shows the cluster's overhead.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from kuafu.server.testing import LiveServer, create_user, free_port

BELL = ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\n'
        'cx q[0],q[1];\nmeasure q -> c;\n')
GHZ3 = ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\ncreg c[3];\nh q[0];\n'
        'cx q[0],q[1];\ncx q[1],q[2];\nmeasure q -> c;\n')
DASK = str(Path(sys.executable).with_name("dask"))


def run_jobs(server: LiveServer, token: str, n: int) -> float:
    """Jobs per second for `n` jobs submitted in batches of 100, until all are done."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=f"{server.url}/api/v1", headers=headers, timeout=120) as c:
        start = time.perf_counter()
        ids: list[str] = []
        for first in range(0, n, 100):
            size = min(100, n - first)
            programs = [BELL if (first + i) % 2 == 0 else GHZ3 for i in range(size)]
            ids += c.post("/jobs", json={"qasm": programs, "backend": "ScQ-P10",
                                         "shots": 200}).json()["ids"]
        while True:
            states = [s["status"] for k in range(0, len(ids), 1000)
                      for s in c.post("/jobs/status", json={"ids": ids[k:k + 1000]}).json()]
            if all(s in ("done", "failed", "cancelled") for s in states):
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - start
    if states.count("done") != n:
        raise RuntimeError(f"only {states.count('done')} of {n} jobs done")
    return n / elapsed


def load_average() -> float:
    return os.getloadavg()[0]


def local(n: int, workers: int, tmp: Path) -> tuple[float, float]:
    store = f"sqlite:///{tmp / 'local.db'}"
    token = create_user(store)
    with LiveServer(store, workers=workers, log=tmp / "local.log") as server:
        run_jobs(server, token, 20)  # warm
        return run_jobs(server, token, n), load_average()


def dask(n: int, workers: int, tmp: Path) -> tuple[float, float]:
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    log = open(tmp / "dask.log", "ab")  # noqa: SIM115
    processes = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port",
                                   str(port), "--no-dashboard"], stdout=log, stderr=log)]
    try:
        time.sleep(3)
        processes += [subprocess.Popen([DASK, "worker", address, "--nthreads", "1",
                                        "--no-dashboard"], stdout=log, stderr=log)
                      for _ in range(workers)]
        store = f"sqlite:///{tmp / 'dask.db'}"
        token = create_user(store)
        env = {"KUAFU_CLUSTER": address}
        time.sleep(5)
        with LiveServer(store, env=env, log=tmp / "server.log") as server:
            run_jobs(server, token, 20)
            return run_jobs(server, token, n), load_average()
    finally:
        for p in reversed(processes):
            p.terminate()
        for p in processes:
            p.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [("local pool", *local(args.jobs, args.workers, Path(tmp))),
                ("Dask on loopback", *dask(args.jobs, args.workers, Path(tmp)))]
    print(f"{args.jobs} jobs, {args.workers} workers")
    print(f"{'executor':<18} {'jobs/s':>8} {'load avg':>9}")
    for name, rate, load in rows:
        print(f"{name:<18} {rate:8.1f} {load:9.2f}")
    print(f"Dask / local: {rows[1][1] / rows[0][1]:.2f}")


if __name__ == "__main__":
    main()
