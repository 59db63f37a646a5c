"""Soak run of the job server: many concurrent clients for a bounded time.

    python benchmarks/soak.py [--clients 50] [--seconds 120] [--workers 2]
                              [--database URL] [--backend ScQ-P10] [--shots 1000]

Starts `kuafu serve` on a temporary SQLite store (or --database) on loopback, gives
each client its own user and token, and lets every client submit a Bell job and wait
for its result (long poll), again and again, until the time is up. Then it waits for
the jobs still in flight, and prints:

- the ledger: jobs accepted, done, failed, lost (accepted but never ended);
- throughput (jobs done per second) and submit-to-result latency percentiles;
- every answer that was not a success, by status code;
- resident memory of the server process and of its workers, every 10 s and at peak.

A soak is for what goes wrong slowly (leaks, queues that grow, a lock that starves
someone); the figures in docs/reliability.md come from this script.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import psutil

from kuafu import qasm
from kuafu.cli.demo import bell
from kuafu.server.testing import LiveServer, create_user

BELL = qasm.dumps(bell())
FINAL = ("done", "failed", "cancelled")


class Memory(threading.Thread):
    """Samples the resident memory of a process and its children every `every` s."""

    def __init__(self, pid: int, every: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.every = every
        self.samples: list[tuple[float, float, float]] = []  # (t, server MB, workers MB)
        self._finished = threading.Event()
        self._start = time.monotonic()

    def run(self) -> None:
        while not self._finished.wait(self.every):
            try:
                server = self.process.memory_info().rss
                workers = sum(p.memory_info().rss for p in self.process.children(True))
            except psutil.Error:
                continue
            self.samples.append((time.monotonic() - self._start, server / 2**20,
                                 workers / 2**20))

    def stop(self) -> None:
        self._finished.set()
        self.join()


async def client_loop(url: str, token: str, backend: str, shots: int, until: float,
                      ledger: dict) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=f"{url}/api/v1", headers=headers,
                                 timeout=120) as client:
        while time.monotonic() < until:
            start = time.perf_counter()
            try:
                r = await client.post("/jobs", json={"qasm": BELL, "backend": backend,
                                                     "shots": shots})
            except httpx.TransportError as exc:
                ledger["answers"][type(exc).__name__] += 1
                await asyncio.sleep(0.5)
                continue
            ledger["answers"][r.status_code] += 1
            if r.status_code != 201:
                await asyncio.sleep(float(r.headers.get("Retry-After", "0.5")))
                continue
            job_id = r.json()["ids"][0]
            ledger["accepted"].append(job_id)
            while True:
                try:
                    job = (await client.get(f"/jobs/{job_id}", params={"wait": 10})).json()
                except httpx.TransportError as exc:
                    ledger["answers"][type(exc).__name__] += 1
                    await asyncio.sleep(0.5)
                    continue
                if job.get("status") in FINAL:
                    break
            ledger["final"][job_id] = job["status"]
            if job["status"] == "done":
                ledger["latency"].append(time.perf_counter() - start)


async def soak(url: str, tokens: list[str], backend: str, shots: int, seconds: float
               ) -> dict:
    ledger = {"accepted": [], "final": {}, "latency": [], "answers": Counter()}
    until = time.monotonic() + seconds
    start = time.perf_counter()
    await asyncio.gather(*(client_loop(url, t, backend, shots, until, ledger)
                           for t in tokens))
    ledger["elapsed"] = time.perf_counter() - start
    return ledger


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database", default=None)
    parser.add_argument("--backend", default="ScQ-P10")
    parser.add_argument("--shots", type=int, default=1000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{Path(tmp) / 'soak.db'}"
        tokens = [create_user(url) for _ in range(args.clients)]
        with LiveServer(url, workers=args.workers, log=Path(tmp) / "server.log") as server:
            memory = Memory(server.process.pid)
            memory.start()
            ledger = asyncio.run(soak(server.url, tokens, args.backend, args.shots,
                                      args.seconds))
            memory.stop()
    latency = sorted(ledger["latency"])
    statuses = Counter(ledger["final"].values())
    accepted = len(ledger["accepted"])
    report = {
        "clients": args.clients, "seconds": round(ledger["elapsed"], 1),
        "backend": args.backend, "shots": args.shots, "workers": args.workers,
        "store": "sqlite (temporary)" if not args.database else args.database,
        "accepted": accepted, "done": statuses["done"], "failed": statuses["failed"],
        "lost": accepted - len(ledger["final"]),
        "jobs_per_s": round(statuses["done"] / ledger["elapsed"], 1),
        "latency_ms": {q: round(1000 * percentile(latency, p), 1)
                       for q, p in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99))}
        if latency else {},
        "answers": {str(k): v for k, v in sorted(ledger["answers"].items(), key=str)},
        "memory_mb": {
            "server_start": round(memory.samples[0][1]) if memory.samples else None,
            "server_peak": round(max(s[1] for s in memory.samples)) if memory.samples else None,
            "server_end": round(memory.samples[-1][1]) if memory.samples else None,
            "workers_peak": round(max(s[2] for s in memory.samples)) if memory.samples else None,
            "every_10s": [(round(t), round(s), round(w)) for t, s, w in memory.samples[9::10]],
        },
    }
    print(json.dumps(report, indent=2))
    if latency:
        print(f"{accepted} accepted, {statuses['done']} done, {report['lost']} lost; "
              f"{report['jobs_per_s']} jobs/s; latency p50 {report['latency_ms']['p50']} ms, "
              f"p99 {report['latency_ms']['p99']} ms; median of the server's memory "
              f"{statistics.median(s[1] for s in memory.samples):.0f} MB")


if __name__ == "__main__":
    main()
