"""Sustained load against a live server, and the ledger that proves no job was lost.

`Load` runs client threads that keep submitting small jobs the way a careful client
does: each submission carries an `Idempotency-Key`, and a submission whose answer did
not arrive (connection refused, reset, or a 503 while the store is away) is sent again
with the same key until it is answered. So a job the server accepted is known to the
client exactly once, and `settle` can then check that every one of them ended.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx

from .conftest import BELL, FINAL

RETRYABLE = {502, 503, 504}


@dataclass
class Load:
    """`clients` threads submitting Bell jobs to `url` with `token` until `stop()`."""

    url: str
    token: str
    clients: int = 4
    shots: int = 100
    group: str = field(default_factory=lambda: f"load-{uuid.uuid4().hex[:8]}")
    pause: float = 0.02
    accepted: list[str] = field(default_factory=list)
    answers: Counter = field(default_factory=Counter)  # status code (or error name) -> n
    refusals: list[str] = field(default_factory=list)  # details of 4xx/5xx answers
    unanswered: int = 0  # submissions given up at the stop, never answered

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._client, daemon=True)
                         for _ in range(self.clients)]

    def start(self) -> Load:
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in self._threads), "a load client hangs"

    def wait_accepted(self, n: int, timeout: float = 120) -> None:
        """Block until at least `n` jobs have been accepted in all."""
        deadline = time.monotonic() + timeout
        while len(self.accepted) < n:
            assert time.monotonic() < deadline, f"only {len(self.accepted)} jobs accepted"
            time.sleep(0.05)

    def _client(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        body = {"qasm": BELL, "backend": "ScQ-P10", "shots": self.shots,
                "group": self.group}
        with httpx.Client(base_url=f"{self.url}/api/v1", headers=headers,
                          timeout=30) as client:
            while not self._stop.is_set():
                key = uuid.uuid4().hex
                self._submit_until_answered(client, body, key)
                time.sleep(self.pause)

    def _submit_until_answered(self, client: httpx.Client, body: dict, key: str) -> None:
        """Send one submission until the server answers it (a stop may interrupt a
        job that was never answered: then the client never learnt of it)."""
        while True:
            try:
                r = client.post("/jobs", json=body, headers={"Idempotency-Key": key})
            except httpx.TransportError as exc:
                self._count(type(exc).__name__)
            else:
                self._count(r.status_code)
                if r.status_code in (200, 201):  # 200: a replay of an answer lost
                    with self._lock:
                        self.accepted.extend(r.json()["ids"])
                    return
                if r.status_code not in RETRYABLE:
                    with self._lock:
                        self.refusals.append(f"{r.status_code}: {r.text[:200]}")
                    return
            if self._stop.is_set():
                with self._lock:
                    self.unanswered += 1
                return
            time.sleep(0.2)

    def _count(self, what: int | str) -> None:
        with self._lock:
            self.answers[what] += 1


def settle(url: str, token: str, ids: list[str], timeout: float = 300) -> dict[str, dict]:
    """Every job in `ids` once it has ended, read through the batch status call (which
    is retried while the server or its store is away)."""
    final: dict[str, dict] = {}
    deadline = time.monotonic() + timeout
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=f"{url}/api/v1", headers=headers, timeout=30) as client:
        while len(final) < len(ids):
            pending = [i for i in ids if i not in final]
            assert time.monotonic() < deadline, (
                f"{len(pending)} of {len(ids)} jobs never ended, e.g. {pending[:3]}")
            for start in range(0, len(pending), 500):
                chunk = pending[start:start + 500]
                with contextlib.suppress(httpx.TransportError):
                    r = client.post("/jobs/status", json={"ids": chunk})
                    if r.status_code != 200:
                        continue
                    for job in r.json():
                        if job["status"] in FINAL:
                            final[job["id"]] = job
            if len(final) < len(ids):
                time.sleep(0.5)
    return final


def assert_nothing_lost(url: str, token: str, load: Load) -> dict[str, dict]:
    """Every accepted job ended done, and the server holds each exactly once."""
    assert load.accepted, "the load submitted nothing"
    assert len(set(load.accepted)) == len(load.accepted), "one id was answered twice"
    jobs = settle(url, token, load.accepted)
    statuses = Counter(j["status"] for j in jobs.values())
    failed = [j for j in jobs.values() if j["status"] != "done"][:5]
    assert statuses == {"done": len(load.accepted)}, (statuses, failed)
    headers = {"Authorization": f"Bearer {token}"}
    listed, cursor = [], None
    with httpx.Client(base_url=f"{url}/api/v1", headers=headers, timeout=30) as client:
        while True:
            params = {"group": load.group, "limit": 200} | ({"cursor": cursor} if cursor else {})
            page = client.get("/jobs", params=params).json()
            listed += [j["id"] for j in page["items"]]
            cursor = page.get("next_cursor")
            if not cursor:
                break
    # no job was made twice by a retried submission, and none is missing
    extra, missing = set(listed) - set(load.accepted), set(load.accepted) - set(listed)
    assert not missing and len(listed) == len(set(listed))
    # a job the client never heard of: only from a submission it gave up on at its stop
    assert len(extra) <= load.unanswered, (extra, load.unanswered, load.answers)
    # the figures of docs/reliability.md (pytest -s shows them)
    print(f"\nLEDGER accepted={len(load.accepted)} done={statuses['done']} lost=0 "
          f"unanswered={load.unanswered} answers={dict(load.answers)}")
    return jobs


def assert_results_whole(url: str, token: str, ids: list[str], shots: int) -> None:
    """A sample of the jobs carries a whole result (every shot counted)."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=f"{url}/api/v1", headers=headers, timeout=30) as client:
        for job_id in ids[:: max(1, len(ids) // 20)]:
            job = client.get(f"/jobs/{job_id}").json()
            assert sum(job["result"]["counts"].values()) == shots, job
