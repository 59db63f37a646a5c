"""End-to-end throughput and latency of the job server, against the same jobs in-process.

    python benchmarks/bench_server.py [--jobs 2000] [--concurrency 64] [--workers 2]
                                      [--database URL] [--backend ScQ-P10|simulator]
                                      [--load-client aiohttp|httpx]

Starts `kuafu serve` on a temporary SQLite store (or --database) on loopback, makes a
user, then measures, in one run:

1. in-process: `backends.get(B).run(bell, 1000)` in a loop (one process);
2. idle latency: one client, one job at a time, submit -> result (long poll);
3. throughput: --concurrency clients submitting and waiting, --jobs jobs in all.

The clients of step 3 share this machine's two cores with the server, so the load
generator must be light: by default they are aiohttp sessions (~0.7 ms of CPU per job);
httpx's async client, the one `kuafu.Client` is built on, costs ~7.7 ms per job, as much
as the server, and with it the figure measures the load generator (`--load-client
httpx` shows it). The CPU of server, workers and load generator is printed per job.

Targets (issue 5, 2-core machine): >= 200 jobs/s sustained, median submit-to-result
under 30 ms on an idle server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from kuafu import qasm
from kuafu.cli.demo import bell
from kuafu.server.testing import LiveServer, create_user

BELL = qasm.dumps(bell())


def in_process(n: int, name: str) -> dict[str, float]:
    from kuafu import backends

    backend = backends.get(name)
    circuit = bell()
    backend.run(circuit, 1000)  # warm up (JIT, caches)
    times = []
    start = time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        backend.run(qasm.loads(BELL), 1000)
        times.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - start
    return {"jobs": n, "jobs_per_s": n / elapsed, "median_ms": 1000 * statistics.median(times)}


BACKEND = "ScQ-P10"


async def one_job(client: httpx.AsyncClient) -> float:
    start = time.perf_counter()
    r = await client.post("/jobs", json={"qasm": BELL, "backend": BACKEND, "shots": 1000})
    r.raise_for_status()
    job_id = r.json()["ids"][0]
    while True:
        job = (await client.get(f"/jobs/{job_id}", params={"wait": 10})).json()
        if job["status"] in ("done", "failed", "cancelled"):
            if job["status"] != "done":
                raise RuntimeError(f"job {job_id}: {job['status']} {job.get('error')}")
            return time.perf_counter() - start


async def idle_latency(url: str, token: str, n: int) -> dict[str, float]:
    async with httpx.AsyncClient(base_url=f"{url}/api/v1", timeout=60,
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        for _ in range(5):
            await one_job(client)  # warm the workers
        times = [await one_job(client) for _ in range(n)]
    times.sort()
    return {"jobs": n, "median_ms": 1000 * statistics.median(times),
            "p90_ms": 1000 * times[int(0.9 * n)], "p99_ms": 1000 * times[int(0.99 * n) - 1]}


async def throughput(url: str, token: str, n: int, concurrency: int,
                     load_client: str = "aiohttp") -> dict[str, float]:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)
    times: list[float] = []

    async def worker(one: Callable[[], Awaitable[float]]) -> None:
        while True:
            try:
                queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            times.append(await one())

    cpu = time.process_time()
    start = time.perf_counter()
    if load_client == "httpx":
        limits = httpx.Limits(max_connections=concurrency,
                              max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(base_url=f"{url}/api/v1", timeout=120, limits=limits,
                                     headers={"Authorization": f"Bearer {token}"}) as client:
            await asyncio.gather(*(worker(lambda: one_job(client))
                                   for _ in range(concurrency)))
    else:
        import aiohttp

        headers = {"Authorization": f"Bearer {token}"}
        async with aiohttp.ClientSession(f"{url}/", headers=headers,
                                         connector=aiohttp.TCPConnector(limit=concurrency),
                                         timeout=aiohttp.ClientTimeout(total=120)) as session:
            await asyncio.gather(*(worker(lambda: one_job_aiohttp(session))
                                   for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    times.sort()
    return {"jobs": n, "concurrency": concurrency, "load_client": load_client,
            "seconds": elapsed, "jobs_per_s": n / elapsed,
            "median_ms": 1000 * statistics.median(times),
            "p99_ms": 1000 * times[int(0.99 * n) - 1],
            "load_client_cpu_ms_per_job": 1000 * (time.process_time() - cpu) / n}


async def one_job_aiohttp(session: Any) -> float:
    """`one_job` through an aiohttp session (the light load generator)."""
    start = time.perf_counter()
    async with session.post("api/v1/jobs", json={"qasm": BELL, "backend": BACKEND,
                                                 "shots": 1000}) as r:
        r.raise_for_status()
        job_id = (await r.json())["ids"][0]
    while True:
        async with session.get(f"api/v1/jobs/{job_id}", params={"wait": "10"}) as r:
            job = await r.json()
        if job["status"] in ("done", "failed", "cancelled"):
            if job["status"] != "done":
                raise RuntimeError(f"job {job_id}: {job['status']} {job.get('error')}")
            return time.perf_counter() - start


def cpu_seconds(pid: int) -> dict[str, float]:
    """CPU time so far of the server process and of its workers (a figure that, unlike
    wall time, does not depend on what else the machine runs)."""
    import psutil

    server = psutil.Process(pid)
    workers = [p for p in server.children(recursive=True)
               if "resource_tracker" not in " ".join(p.cmdline())]
    used = lambda p: sum(p.cpu_times()[:2])  # noqa: E731
    cpu = {"server": used(server), "workers": sum(used(p) for p in workers)}
    local_postgres = 0.0  # a PostgreSQL server on this machine works for the jobs too
    for process in psutil.process_iter(["name"]):
        if process.info["name"] in ("postgres", "postmaster"):
            with contextlib.suppress(psutil.Error):
                local_postgres += used(process)
    if local_postgres:
        cpu["local_postgres"] = local_postgres
    return cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--latency-jobs", type=int, default=200)
    parser.add_argument("--in-process-jobs", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database", default=None)
    parser.add_argument("--load-client", choices=("aiohttp", "httpx"), default="aiohttp",
                        help="what the concurrent clients are made of (see above)")
    parser.add_argument("--backend", default="ScQ-P10",
                        help="ScQ-P10 (noisy emulator) or simulator (ideal: server overhead)")
    args = parser.parse_args()
    global BACKEND
    BACKEND = args.backend

    report = {"backend": args.backend,
              "in_process": in_process(args.in_process_jobs, args.backend)}
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{Path(tmp) / 'bench.db'}"
        token = create_user(url)
        with LiveServer(url, workers=args.workers, log=Path(tmp) / "server.log") as server:
            report["http_idle"] = asyncio.run(idle_latency(server.url, token,
                                                           args.latency_jobs))
            before = cpu_seconds(server.process.pid)
            report["http_load"] = asyncio.run(throughput(server.url, token, args.jobs,
                                                         args.concurrency,
                                                         args.load_client))
            after = cpu_seconds(server.process.pid)
            report["cpu_ms_per_job"] = {k: 1000 * (after[k] - before[k]) / args.jobs
                                        for k in after}
    report["store"] = "sqlite (temporary)" if not args.database else args.database
    print(json.dumps(report, indent=2))
    ok_rate = report["http_load"]["jobs_per_s"] >= 200
    ok_latency = report["http_idle"]["median_ms"] < 30
    print(f"throughput {report['http_load']['jobs_per_s']:.0f} jobs/s "
          f"(target >= 200: {'met' if ok_rate else 'NOT met'}); idle median "
          f"{report['http_idle']['median_ms']:.1f} ms (target < 30: "
          f"{'met' if ok_latency else 'NOT met'})")


if __name__ == "__main__":
    main()
