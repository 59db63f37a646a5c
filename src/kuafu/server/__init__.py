"""The Kuafu server: FastAPI app, SQL store, scheduler and executor.

`create_app(settings)` builds the application; `kuafu serve` runs it with uvicorn.
Both names are imported on first use, so a worker process that needs only
`kuafu.server.core.quantum` does not load FastAPI, the console and the store.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Settings", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "Settings":
        from .core.config import Settings

        return Settings
    if name == "create_app":
        from .main import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
