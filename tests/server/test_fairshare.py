"""Fair share between projects: the split under contention (a simulated run driving the
scheduler's own ordering, `picking.pick`, on a clock of its own) and over HTTP."""

from __future__ import annotations

import itertools
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from kuafu.server.services.fairshare import FairShare, share_of
from kuafu.server.services.picking import Rules, pick
from kuafu.server.testing import create_user

from .conftest import BELL
from .test_api import api, wait_done


@dataclass(frozen=True)
class Row:
    id: str
    backend: str
    user_id: int
    project_id: int
    priority: int
    created_at: datetime
    chip_seconds: float
    session_id: str | None = None
    rank: int = 1


def simulate(fair: FairShare, demand: dict[int, float], steps: int, start: float = 0.0,
             workers: int = 2) -> tuple[Counter, float]:
    """`steps` jobs run on `workers` workers of one chip; every project in `demand`
    (project -> its jobs' chip-seconds) always has jobs waiting. Returns the
    chip-seconds each project received, and the clock at the end."""
    work: Counter = Counter()
    now = start
    ids = itertools.count()
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    while steps > 0:
        rows = [Row(f"j{next(ids)}", "chip", project, project, 0,
                    t0 + timedelta(seconds=i), seconds, rank=i + 1)
                for project, seconds in demand.items() for i in range(workers)]
        picked = pick(rows, workers, Counter(), fair, Rules(), turn=0, now=now)
        by_id = {r.id: r for r in rows}
        for job_id in picked:
            work[by_id[job_id].project_id] += by_id[job_id].chip_seconds
        now += max(by_id[j].chip_seconds for j in picked)
        steps -= len(picked)
    return work, now


def test_three_projects_with_allocations_1_2_3_get_work_within_10_percent_of_1_2_3():
    fair = FairShare(half_life=3600.0)
    for project, hours in ((1, 1.0), (2, 2.0), (3, 3.0)):
        fair.set_share(project, None, hours * 3600)
    # jobs of different lengths: the split is of chip time, not of jobs
    work, _ = simulate(fair, {1: 0.30, 2: 0.10, 3: 0.05}, steps=6000)
    total = sum(work.values())
    for project, want in ((1, 1 / 6), (2, 2 / 6), (3, 3 / 6)):
        assert abs(work[project] / total - want) <= 0.1 * want, (work, project)


def test_shot_allocations_count_at_the_repetition_period():
    assert share_of(1000, None) == pytest.approx(0.1)
    assert share_of(1000, 5.0) == 5.0
    fair = FairShare(half_life=3600.0)
    fair.set_share(1, 100_000, None)
    fair.set_share(2, 300_000, None)
    work, _ = simulate(fair, {1: 0.1, 2: 0.1}, steps=2000)
    assert work[2] / work[1] == pytest.approx(3.0, rel=0.1)


def test_a_project_idle_for_a_while_is_served_first_when_it_returns():
    fair = FairShare(half_life=600.0)
    for project in (1, 2, 3):
        fair.set_share(project, None, 3600)
    _, now = simulate(fair, {1: 0.1, 2: 0.1, 3: 0.1}, steps=3000)
    # project 3 is away while 1 and 2 keep the chip busy
    _, now = simulate(fair, {1: 0.1, 2: 0.1}, steps=6000, start=now)
    assert fair.usage(3, now) < fair.usage(1, now) / 2
    assert fair.factor(3, now) > fair.factor(1, now)
    rows = [Row(f"{p}-{i}", "chip", p, p, 0, datetime(2026, 1, 1, tzinfo=UTC)
                + timedelta(seconds=(0 if p != 3 else 100) + i), 0.1, rank=i + 1)
            for p in (1, 2, 3) for i in range(5)]  # 3 arrives last
    picked = pick(rows, 5, Counter(), fair, Rules(), turn=0, now=now)
    assert picked[:3] == ["3-0", "3-1", "3-2"], picked


def test_priority_orders_jobs_inside_a_project_not_across_projects():
    fair = FairShare()
    fair.set_share(1, None, 100)
    fair.set_share(2, None, 100)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [Row("a-low", "chip", 1, 1, 0, t0, 0.1, rank=1),
            Row("a-high", "chip", 1, 1, 9, t0 + timedelta(seconds=1), 0.1, rank=1),
            Row("b", "chip", 2, 2, 0, t0 + timedelta(seconds=2), 0.1, rank=1)]
    fair.charge(1, 5.0, 0.0)  # project 1 used more lately
    assert pick(rows, 3, Counter(), fair, Rules(), turn=0, now=0.0) == [
        "b", "a-high", "a-low"]


def test_sessions_run_ahead_and_reservations_keep_other_projects_off_the_chip():
    fair = FairShare()
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [Row("a1", "chip", 1, 1, 9, t0, 0.1), Row("b1", "chip", 2, 2, 0, t0, 0.1),
            Row("b-session", "chip", 2, 2, 0, t0 + timedelta(seconds=5), 0.1,
                session_id="s1", rank=2),
            Row("c-other-chip", "other", 3, 3, 0, t0, 0.1)]
    rules = Rules(sessions={"s1": t0})
    assert pick(rows, 1, Counter(), FairShare(), rules, turn=0, now=0.0) == ["b-session"]
    rules = Rules(reserved={"chip": 1})
    assert set(pick(rows, 4, Counter(), fair, rules, turn=0, now=0.0)) == {
        "a1", "c-other-chip"}


@pytest.mark.slow
def test_three_projects_share_a_live_server_1_2_3(live, store, admin_token):
    """Over HTTP: three projects submit at once more than the window measured; of the
    jobs that started while all three were waiting, each project's chip time is within
    10 % of its share. (Ordering only: no timing is asserted.)"""
    names = [f"fs{k}-{uuid.uuid4().hex[:6]}" for k in (1, 2, 3)]
    tokens = [create_user(store, f"u-{n}") for n in names]
    with api(live, admin_token) as admin:
        for k, name in enumerate(names, 1):
            assert admin.post("/projects", json={
                "name": name, "seconds_allocation": 100.0 * k,
                "owner": f"u-{name}"}).status_code == 201
    per_project = 90
    backend = "ScQ-P10-sim"
    ids: dict[str, list[str]] = {}
    clients = [api(live, t) for t in tokens]
    try:
        with api(live, admin_token) as admin:  # the queue waits until all three are in
            admin.put(f"/backends/{backend}/status", json={"status": "maintenance"})
            try:
                for name, c in zip(names, clients, strict=True):
                    ids[name] = c.post("/jobs", json={
                        "qasm": [BELL] * per_project, "backend": backend, "shots": 100,
                        "project": name}).json()["ids"]
            finally:
                admin.put(f"/backends/{backend}/status", json={"status": "online"})
        jobs = {name: [wait_done(c, j) for j in ids[name]]
                for name, c in zip(names, clients, strict=True)}
    finally:
        for c in clients:
            c.close()
    # jobs in the order they started, until the first project ran out of work
    started = sorted((j["started_at"], name) for name in names for j in jobs[name])
    counts: Counter = Counter()
    for _at, name in started:
        counts[name] += 1
        if counts[name] == per_project - 5:
            break
    total = sum(counts.values())
    for k, name in enumerate(names, 1):
        assert abs(counts[name] / total - k / 6) <= 0.1 * k / 6, counts
