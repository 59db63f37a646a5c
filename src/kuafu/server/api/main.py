"""The native API, `/api/v1`: one router per resource."""

from fastapi import APIRouter

from .routes import backends, groups, health, jobs, tokens, users

api_router = APIRouter()
for module in (health, backends, jobs, groups, tokens, users):
    api_router.include_router(module.router)
