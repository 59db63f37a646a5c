"""Health (no token needed) and metrics (administrators)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from .... import __version__
from ....schemas import Health, Metrics
from ...services import metrics
from ..deps import AdminUser, PlatformDep, SessionDep

router = APIRouter(tags=["health"])


@router.get("/health")
def health(platform: PlatformDep, session: SessionDep) -> Health:
    """Whether the server, its store and its workers are up (degraded: the store
    fails, the scheduler stopped, or no Dask worker is connected)."""
    try:
        session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # report, don't fail: health must always answer
        database = f"error: {type(exc).__name__}"
    scheduler = platform.scheduler
    executor = scheduler.executor
    cluster_workers = executor.cluster_workers
    healthy = database == "ok" and scheduler.alive and cluster_workers != 0
    return Health(status="ok" if healthy else "degraded", version=__version__,
                  database=database, workers=executor.workers, in_flight=scheduler.in_flight,
                  executor=executor.kind, cluster_workers=cluster_workers)


@router.get("/metrics")
def get_metrics(platform: PlatformDep, session: SessionDep, _admin: AdminUser) -> Metrics:
    """Jobs by backend and status, queue lengths, latency percentiles of recent jobs."""
    return metrics.collect(platform, session)
