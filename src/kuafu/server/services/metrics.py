"""Operator figures: jobs by backend and status, queue lengths, latency percentiles."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ...schemas import JobStatus, Metrics
from ..models import DailyUsage, Job, User, utcnow
from .platform import Platform

RECENT = 1000


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    values = sorted(values)
    pick = lambda q: values[min(len(values) - 1, int(q * len(values)))]  # noqa: E731
    return {"p50": pick(0.5), "p90": pick(0.9), "p99": pick(0.99), "n": float(len(values))}


def collect(platform: Platform, session: Session) -> Metrics:
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for backend, status, n in session.execute(
            select(Job.backend, Job.status, func.count()).group_by(Job.backend, Job.status)):
        counts[backend][status] = n
    queues = {b: c.get(JobStatus.QUEUED.value, 0) for b, c in counts.items()}
    recent = session.execute(
        select(Job.created_at, Job.started_at, Job.finished_at)
        .where(Job.status == JobStatus.DONE).order_by(Job.finished_at.desc()).limit(RECENT)).all()
    latency = [(r.finished_at - r.created_at).total_seconds() for r in recent]
    run = [(r.finished_at - r.started_at).total_seconds() for r in recent if r.started_at]
    return Metrics(jobs=dict(counts), queue_lengths=queues,
                   in_flight=platform.scheduler.in_flight,
                   latency=percentiles(latency), run_time=percentiles(run))


def usage(session: Session, user: User) -> dict[str, int]:
    """A user's figures that count against quotas: jobs queued now and running, shots
    submitted since midnight UTC, and all their jobs."""
    queued, running, total = session.execute(select(
        func.count(case((Job.status == JobStatus.QUEUED, 1))),
        func.count(case((Job.status == JobStatus.RUNNING, 1))),
        func.count(),
    ).where(Job.user_id == user.id)).one()
    shots = session.scalar(select(DailyUsage.shots).where(
        DailyUsage.user_id == user.id, DailyUsage.day == utcnow().date())) or 0
    return {"queued": queued, "running": running, "shots_today": int(shots), "jobs": total}
