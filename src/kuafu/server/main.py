"""The FastAPI application: `create_app(settings)`; run it with `kuafu serve`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI

from .. import __version__
from . import console
from .api import handlers, limits
from .api.main import api_router
from .core.config import Settings
from .docsite import install_docs
from .executor import ExecutorHandle
from .quafu import quafu_router
from .quafu_sdk import oauth_pages, sdk_router
from .services.platform import Platform

if TYPE_CHECKING:
    from .dask_executor import DaskExecutorHandle

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None, platform: Platform | None = None,
               executor: ExecutorHandle | DaskExecutorHandle | None = None) -> FastAPI:
    """The app; on start-up it migrates the store, requeues interrupted jobs and
    starts the scheduler, and on shut-down it stops them.

    `executor`: workers started ahead (`executor.prestart`), so that they import and
    warm up while this process imports the web stack; by default the platform starts
    its own on start-up."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            current = platform or await asyncio.to_thread(Platform.create, settings,
                                                          executor)
        except BaseException:
            if executor is not None:  # workers started ahead must not outlive a failed start
                executor.shutdown()
            raise
        current.events.bind(asyncio.get_running_loop())
        app.state.platform = current
        current.start()
        try:
            yield
        finally:
            await asyncio.to_thread(current.stop)

    app = FastAPI(title="Kuafu", version=__version__, lifespan=lifespan,
                  openapi_url=f"{API_PREFIX}/openapi.json", docs_url=None,
                  redoc_url=None)  # docs served from the package (console.install_api_docs)
    handlers.install(app)
    limits.install(app, settings, docs_paths=(f"{API_PREFIX}/docs",
                                              f"{API_PREFIX}/docs/oauth2-redirect"))
    # quafu-sdk's routes first: on the two paths both APIs serve, a quafu-sdk route
    # takes only quafu-sdk's requests and yields the rest (quafu_sdk/routing.py)
    app.include_router(sdk_router, prefix=API_PREFIX)
    app.include_router(api_router, prefix=API_PREFIX)
    app.include_router(oauth_pages)  # quafu-sdk's browser login; before the console's catch-all
    console.install(app)
    console.install_api_docs(app, f"{API_PREFIX}/docs")
    install_docs(app, settings.docs_dir)  # the documentation site: /docs/
    app.include_router(quafu_router)  # pyquafu and Quafu device agents: /qbackend/
    return app
