"""`kuafu serve`: run the Kuafu server (API, store, scheduler, workers)."""

from __future__ import annotations

import click


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--database", default=None,
              help="SQLAlchemy URL (default: SQLite in the user data directory; "
                   "e.g. postgresql+psycopg://user@host/db)")
@click.option("--workers", default=None, type=click.IntRange(1),
              help="worker processes running jobs (default 2; ignored with --cluster)")
@click.option("--cluster", default=None, metavar="tcp://HOST:8786",
              help="run jobs on this Dask scheduler's workers instead of local processes "
                   "(needs kuafu-cloud[cluster]; see docs/deploy.md)")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
def serve(host: str, port: int, database: str | None, workers: int | None,
          cluster: str | None, log_level: str) -> None:
    """Run the server; the store is created and migrated on first start."""
    from ..server.core.config import Settings
    from ..server.executor import prestart

    overrides = {k: v for k, v in {"database_url": database, "workers": workers,
                                   "cluster": cluster}.items() if v is not None}
    settings = Settings(log_level=log_level, **overrides)
    runs_on = (f"Dask cluster {settings.cluster}" if settings.cluster
               else f"{settings.workers} workers")
    base = f"http://{host}:{port}"
    click.echo(f"Kuafu on {base}/api/v1  (store: {_safe(settings.database_url)}, {runs_on})\n"
               f"  web console: {base}/console   API docs: {base}/api/v1/docs   "
               f"documentation: {base}/docs/", err=True)
    configure_logging(log_level)
    executor = prestart(settings)  # the workers warm up while the web stack imports
    import uvicorn

    from ..server import create_app

    uvicorn.run(create_app(settings, executor=executor), host=host, port=port, log_level=log_level,
                access_log=False, timeout_graceful_shutdown=5)


def configure_logging(level: str) -> None:
    """Send the server's own logs (`kuafu.*`: the access log on `kuafu.access`, failed
    jobs on `kuafu.jobs`, the scheduler's warnings) to stderr at `level`, one line each;
    uvicorn's own access log is off, `kuafu.access` replaces it."""
    import logging

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("kuafu")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False


def _safe(url: str) -> str:
    """The URL without a password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        return f"{scheme}://{credentials.split(':', 1)[0]}@{host}"
    return url
