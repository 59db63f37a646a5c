"""The Quafu-compatible API: what the published `pyquafu` client and Quafu's device
agents call, under `/qbackend/` (docs/quafu.md).

`routes` serves pyquafu (backends, chip information, task submission and recall);
`agent` serves device agents (fetch a task, post its result) for the chips that are
`kuafu.backends.RemoteDevice`s. `protocol` holds Quafu's codes and bit order.
"""

from fastapi import APIRouter

from . import agent, routes

quafu_router = APIRouter()
quafu_router.include_router(routes.router)
quafu_router.include_router(agent.router)

__all__ = ["quafu_router"]
