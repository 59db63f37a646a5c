"""Server settings, read from `KUAFU_*` environment variables or given by `kuafu serve`."""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_database_url() -> str:
    """SQLite in the user's data directory, the store used when none is named."""
    path = Path(platformdirs.user_data_dir("kuafu", appauthor=False)) / "kuafu.db"
    return f"sqlite:///{path}"


class Settings(BaseSettings):
    """Everything an operator may set. Limits apply per job or per user."""

    model_config = SettingsConfigDict(env_prefix="KUAFU_", extra="ignore")

    database_url: str = Field(default_factory=default_database_url)
    workers: int = Field(2, ge=1, description="processes of the local executor")
    prefetch: int = Field(2, ge=1, description="jobs handed to the executor per worker")
    cluster: str | None = Field(None, description="Dask scheduler address, e.g. "
                                "tcp://10.0.0.5:8786; unset: a local process pool")
    cluster_connect_timeout: float = Field(10.0, gt=0, description="seconds to wait for "
                                           "the Dask scheduler when the server starts")
    max_shots: int = Field(100_000, ge=1)
    max_qasm_bytes: int = Field(1_000_000, ge=1)
    max_operations: int = Field(200_000, ge=1, description="after expanding gate definitions")
    max_batch: int = Field(1000, ge=1)
    max_queued_per_user: int = Field(10_000, ge=1)
    max_shots_per_day: int = Field(100_000_000, ge=1)
    max_attempts: int = Field(3, ge=1, description="runs of a job whose worker keeps dying")
    long_poll_max: float = Field(30.0, ge=0)
    worker_delay: float = Field(0.0, ge=0, description="fault-injection tests: sleep per job")
    log_level: str = "info"
    # reliability and security (docs/reliability.md)
    rate_limit: float = Field(1000.0, ge=0, description="requests per second per token; 0: off")
    rate_limit_burst: int = Field(2000, ge=1, description="requests a token may make at once")
    max_request_bytes: int = Field(16_000_000, ge=1, description="largest request body")
    max_memory_bytes: int = Field(8 * 2**30, ge=1,
                                  description="simulation memory a job may need; more is refused")
    max_run_seconds: float = Field(600.0, gt=0,
                                   description="run time after which a job is stopped and failed")
