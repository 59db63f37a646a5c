"""Errors, health and metrics on the wire."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    """Every error response: a message a person can act on, and where it applies."""

    detail: str
    code: str
    line: int | None = None
    column: int | None = None
    request_id: str | None = None


class Health(BaseModel):
    """The answer of `GET /api/v1/health`."""

    status: str
    version: str
    database: str
    workers: int = Field(description="job slots: local processes, or the cluster's threads")
    in_flight: int
    executor: str = Field("local", description="`local` process pool or `dask` cluster")
    cluster_workers: int | None = Field(None, description="Dask workers connected now")


class Metrics(BaseModel):
    """Operator figures: counts by status and backend, queue lengths, latencies (seconds)."""

    jobs: dict[str, dict[str, int]] = Field(description="backend -> status -> count")
    queue_lengths: dict[str, int]
    in_flight: int
    latency: dict[str, float] = Field(description="submit-to-finish percentiles, recent jobs")
    run_time: dict[str, float] = Field(description="run percentiles, recent jobs")
