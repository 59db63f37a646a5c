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

    database_url: str = Field(default_factory=default_database_url, description=(
        "the store: a SQLAlchemy URL, sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"))
    workers: int = Field(2, ge=1, description="processes of the local executor")
    prefetch: int = Field(2, ge=1, description="jobs handed to the executor per worker")
    cluster: str | None = Field(None, description="Dask scheduler address, e.g. "
                                "tcp://10.0.0.5:8786; unset: a local process pool")
    cluster_connect_timeout: float = Field(10.0, gt=0, description="seconds to wait for "
                                           "the Dask scheduler when the server starts")
    max_shots: int = Field(100_000, ge=1, description="shots one circuit may ask for")
    max_qasm_bytes: int = Field(1_000_000, ge=1, description="size of one OpenQASM program")
    max_operations: int = Field(200_000, ge=1, description="after expanding gate definitions")
    max_batch: int = Field(1000, ge=1, description="circuits in one batch or group request")
    max_queued_per_user: int = Field(10_000, ge=1,
                                     description="jobs one user may have waiting at once")
    max_shots_per_day: int = Field(100_000_000, ge=1,
                                   description="shots one user may submit per UTC day")
    max_attempts: int = Field(3, ge=1, description="runs of a job whose worker keeps dying")
    long_poll_max: float = Field(30.0, ge=0, description="longest wait, in seconds, a "
                                 "client may ask of `GET /jobs/{id}?wait=`")
    worker_delay: float = Field(0.0, ge=0, description="fault-injection tests: sleep per job")
    log_level: str = Field("info", description="critical, error, warning, info or debug")
    docs_dir: Path | None = Field(None, description="the built documentation site served "
                                  "at /docs; unset: the one `make docs` builds into the "
                                  "package (docs/operator/install.md)")
    # reliability and security (docs/reliability.md)
    rate_limit: float = Field(1000.0, ge=0, description="requests per second per token; 0: off")
    rate_limit_burst: int = Field(2000, ge=1, description="requests a token may make at once")
    max_request_bytes: int = Field(16_000_000, ge=1, description="largest request body")
    max_memory_bytes: int = Field(8 * 2**30, ge=1,
                                  description="simulation memory a job may need; more is refused")
    max_run_seconds: float = Field(600.0, gt=0,
                                   description="run time after which a job is stopped and failed")
    # calibration and job data (issue 18; docs/devices.md)
    calibration_drift: bool = Field(True, description="the emulated chips drift between "
                                    "recalibrations (kuafu.devices.drift); off: each keeps "
                                    "its data file's calibration")
    calibration_seed: int = Field(1, ge=0, description="seed of the chips' drift timelines")
    recalibrate_daily_at: str | None = Field(None, pattern=r"^\d{1,2}:\d{2}$", description=(
        "recalibrate every chip daily at HH:MM UTC, e.g. 06:00; unset: only when an "
        "administrator asks (`kuafu admin recalibrate CHIP`)"))
    recalibration_minutes: float = Field(10.0, gt=0, le=24 * 60, description="how long a "
                                         "recalibration keeps a chip `calibrating`")
    retention_days: float | None = Field(None, gt=0, description="remove the payloads "
                                         "(programs, results) of jobs finished longer ago; "
                                         "their ledger rows stay; unset: keep everything")
    # identity (issue 17; docs/operating.md)
    self_signup: bool = Field(False, description="let people ask for an account on the "
                              "sign-in page; an administrator approves each one")
    public_url: str | None = Field(None, description="the server's address as users reach "
                                   "it, e.g. https://kuafu.lab.example; the CLI's invitation "
                                   "and reset links start with it")
    link_days: float = Field(7.0, gt=0, le=90, description="how long an invitation or a "
                             "password reset link works")
    sign_in_burst: int = Field(5, ge=1, description="sign-in tries per account name before "
                               "the throttle")
    sign_in_every: float = Field(60.0, gt=0, description="seconds per further try per account")
    sign_in_address_burst: int = Field(30, ge=1, description="sign-in tries per client "
                                       "address before the throttle")
    sign_in_address_every: float = Field(10.0, gt=0,
                                         description="seconds per further try per address")
    oidc_issuer: str | None = Field(None, description="OpenID Connect provider (its issuer "
                                    "URL); unset: no single sign-on")
    oidc_client_id: str | None = Field(None, description="the client id Kuafu has at the "
                                       "OpenID Connect provider")
    oidc_client_secret: str | None = Field(None, description="its client secret (set it in "
                                           "the environment, never on a command line)")
    oidc_name: str = Field("single sign-on", description="the sign-in page's button says "
                           "'Continue with <oidc_name>'")
    oidc_auto_approve: bool = Field(False, description="new people signing in with the "
                                    "provider get an account at once; otherwise it waits "
                                    "for an administrator's approval")
    # projects (issue 17)
    webhook_retry_base: float = Field(1.0, gt=0, description="seconds before a failed "
                                      "webhook delivery is retried, doubling each time")
