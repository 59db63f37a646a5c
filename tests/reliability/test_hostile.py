"""The corpus of malformed and hostile programs, sent over HTTP to a live server while
another user's jobs run: each is refused with a 4xx that names the problem, within a
bounded time, and the other user's jobs all complete."""

from __future__ import annotations

import json
import time

import psutil
import pytest

from .conftest import BELL, api
from .hostile import RAW_BODIES, corpus
from .load import Load, assert_nothing_lost

pytestmark = pytest.mark.slow

#: What each refusal must mention, beyond being a 4xx with a detail.
NAMES_THE_PROBLEM = {
    "recursive gate": "g",
    "hundred million qubits": "qubit",
    "ten megabytes of gates": "bytes",
    "include of a system file": "include",
    "nan angle": "nan",
    "long identifier": "names may have at most",
    "empty program": "",
}


def test_hostile_programs_are_refused_clearly_while_another_users_jobs_run(
        live, new_token):
    victim, attacker = new_token(), new_token()
    load = Load(live.url, victim, clients=2).start()
    server = psutil.Process(live.process.pid)
    before = server.memory_info().rss
    slowest = 0.0
    try:
        with api(live, attacker, timeout=60) as c:
            for name, program in corpus().items():
                started = time.monotonic()
                body = json.dumps({"qasm": program, "backend": "ScQ-P10", "shots": 100})
                r = c.post("/jobs", content=body,  # ASCII escapes: lone surrogates too
                           headers={"Content-Type": "application/json"})
                slowest = max(slowest, time.monotonic() - started)
                assert 400 <= r.status_code < 500, (name, r.status_code, r.text[:300])
                detail = r.json()["detail"]
                assert detail and len(detail) < 2000, (name, detail)
                assert NAMES_THE_PROBLEM.get(name, "").lower() in detail.lower(), \
                    (name, detail)
                if r.status_code == 400 and "line" in r.json():
                    assert r.json()["line"] >= 1 and r.json()["column"] >= 1, name
            for name, raw in RAW_BODIES.items():
                r = c.post("/jobs", content=raw,
                           headers={"Content-Type": "application/json"})
                assert 400 <= r.status_code < 500, (name, r.status_code, r.text[:300])
                assert r.json()["detail"], name
            # the attacker's own account still works
            assert c.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10",
                                         "shots": 10}).status_code == 201
        grown = (server.memory_info().rss - before) / 2**20
        load.wait_accepted(len(load.accepted) + 5)
    finally:
        load.stop()
    print(f"\nHOSTILE slowest refusal {slowest:.2f} s, server grew {grown:.0f} MB")
    assert slowest < 30, f"a hostile program took {slowest:.1f} s to refuse"  # no hang
    assert grown < 500, f"the server grew by {grown:.0f} MB"
    assert_nothing_lost(live.url, victim, load)
