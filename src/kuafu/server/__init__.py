"""The Kuafu server: FastAPI app, SQL store, scheduler and executor.

`create_app(settings)` builds the application; `kuafu serve` runs it with uvicorn.
"""

from .core.config import Settings
from .main import create_app

__all__ = ["Settings", "create_app"]
