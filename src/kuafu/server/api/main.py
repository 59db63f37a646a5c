"""The native API, `/api/v1`: one router per resource."""

from fastapi import APIRouter

from .routes import (
    admin,
    backends,
    calibration,
    groups,
    health,
    jobdata,
    jobs,
    projects,
    scheduling,
    tokens,
    users,
    webhooks,
)

api_router = APIRouter()
for module in (health, backends, calibration, jobdata, jobs, groups, tokens, users, projects,
               admin, scheduling, webhooks):
    api_router.include_router(module.router)
