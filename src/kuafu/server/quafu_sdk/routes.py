"""The endpoints quafu-sdk 0.2.7 calls under `{BASE_URL}/api/v1` (docs/quafu.md)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...schemas import JobStatus
from ..errors import ServiceError
from ..models import Job, JobGroup, User, utcnow
from ..services import accounts
from ..services.platform import Platform
from . import devices, groups
from .errors import SdkError, refusal
from .routing import SdkRoute

router = APIRouter(route_class=SdkRoute, tags=["quafu-sdk"], include_in_schema=False)


def _platform(request: Request) -> Platform:
    return request.app.state.platform


def _secret(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" and secret.strip() else None


def _user(session: Session, request: Request) -> User:
    """The caller, from the bearer key (any Kuafu token: `qf_…`, or an older `kf_…`)."""
    try:
        user, _token = accounts.authenticate(session, _secret(request))
    except ServiceError as exc:
        raise refusal(exc) from None
    request.state.user = user.name
    return user


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise SdkError(400, "invalid_request", "the body is not JSON") from None
    if not isinstance(body, dict):
        raise SdkError(400, "invalid_request", "the body must be a JSON object")
    return body


async def _run(request: Request, work, *args: Any, auth: bool = True) -> dict[str, Any]:
    """Run `work(platform, session, [user,] *args)` in the thread pool on a session of
    its own, committed at the end."""
    platform = _platform(request)

    def call() -> dict[str, Any]:
        with platform.db.transaction() as session:
            if auth:
                return work(platform, session, _user(session, request), *args)
            return work(platform, session, *args)

    return await run_in_threadpool(call)


# ── who and what ────────────────────────────────────────────────────

@router.get("/auth/me")
async def me(request: Request) -> dict[str, Any]:
    """`quafu.whoami()`."""
    def work(_p: Platform, _s: Session, user: User) -> dict[str, Any]:
        return {"user": {"public_id": f"u{user.id}", "name": user.name, "email": None,
                         "admin": user.is_admin}}
    return await _run(request, work)


@router.get("/devices")
async def device_list(request: Request) -> dict[str, Any]:
    """`quafu.devices()`: public."""
    return await _run(request, lambda p, s: devices.listing(s, p.settings), auth=False)


@router.get("/devices/{name}")
async def device(request: Request, name: str) -> dict[str, Any]:
    """`quafu.device(name)`: public."""
    return await _run(request, lambda p, s: devices.device_row(
        s, p.settings, devices.resolve(name)), auth=False)


@router.get("/devices/{name}/calibration")
async def device_calibration(request: Request, name: str) -> dict[str, Any]:
    """`device.calibration()`: public."""
    return await _run(request, lambda p, s: devices.current_calibration(
        s, devices.resolve(name), p.settings), auth=False)


@router.get("/calibrations/{calibration_id}")
async def calibration(request: Request, calibration_id: str) -> dict[str, Any]:
    """`quafu.calibration(id)`: public; immutable."""
    return await _run(request, lambda p, s: devices.by_id(s, calibration_id, p.settings),
                      auth=False)


@router.get("/backends/{target}/metadata")
async def metadata(request: Request, target: str) -> dict[str, Any]:
    """The limits quafu-sdk checks before submitting, and its Qiskit backend's Target."""
    return await _run(request, lambda p, s: devices.metadata(
        s, p.settings, devices.resolve(target)), auth=False)


@router.get("/stats/me")
async def stats(request: Request, days: int = 30) -> dict[str, Any]:
    """`quafu.stats(days)`: the caller's tasks, shots and groups over the last days."""
    return await _run(request, _stats, max(1, min(days, 366)))


def _stats(platform: Platform, session: Session, user: User, days: int) -> dict[str, Any]:
    since = utcnow() - timedelta(days=days)
    recent = (Job.user_id == user.id, Job.created_at >= since)
    by_status = dict(session.execute(select(Job.status, func.count()).where(*recent)
                                     .group_by(Job.status)).all())
    shots = session.scalar(select(func.coalesce(func.sum(Job.shots), 0)).where(*recent))
    n_groups = session.scalar(select(func.count()).select_from(JobGroup).where(
        JobGroup.user_id == user.id, JobGroup.created_at >= since))
    tasks = {groups.TASK_STATUS[s].lower(): by_status.get(s.value, 0)
             for s in JobStatus}
    tasks["total"] = sum(by_status.values())
    settings = platform.settings
    from ..models import DailyUsage

    today = utcnow().date()
    used = session.scalar(select(DailyUsage.shots).where(
        DailyUsage.user_id == user.id, DailyUsage.day == today)) or 0
    day_end = (utcnow() + timedelta(days=1)).replace(hour=0, minute=0, second=0,
                                                     microsecond=0)
    quota = {"unit": "shots", "used": used, "limit": settings.max_shots_per_day,
             "hard_limit": settings.max_shots_per_day,
             "remaining": max(0, settings.max_shots_per_day - used),
             "degraded": False, "resets_at": day_end.isoformat()}
    stamp = Job.created_at
    if session.get_bind().dialect.name == "postgresql":  # its date() follows the session zone
        stamp = func.timezone("UTC", Job.created_at)
    day = func.date(stamp).label("day")
    daily = [{"date": str(d), "tasks": n, "shots": int(total or 0)}
             for d, n, total in session.execute(
                 select(day, func.count(), func.sum(Job.shots)).where(*recent)
                 .group_by(day).order_by(day))]
    return {"days": days, "tasks": tasks, "shots": {"requested": int(shots or 0)},
            "jobs": n_groups, "daily": daily,
            "quota": {"date": today.isoformat(), "sim": quota, "noisy": quota, "real": quota},
            "durations": None}


# ── jobs ────────────────────────────────────────────────────────────

@router.post("/jobs")
async def create_job(request: Request) -> dict[str, Any]:
    """`quafu.submit`, `quafu.sweep`, `quafu.open_job`: a new job group."""
    body = await _json(request)
    return await _run(request, groups.create, body)


@router.get("/jobs/{job_id}/status")
async def job_status(request: Request, job_id: str) -> dict[str, Any]:
    """`job.status()`, `job.wait()`, `quafu.job(id)`."""
    return await _run(request, lambda p, s, u: groups.status(s, u, job_id))


@router.get("/jobs/{job_id}/tasks/{seq}")
async def job_task(request: Request, job_id: str, seq: int) -> dict[str, Any]:
    """`job.results()`, `job.result()`: one task's result."""
    return await _run(request, lambda p, s, u: groups.task(s, u, job_id, seq))


@router.get("/jobs/{job_id}/results")
async def job_results(request: Request, job_id: str, offset: int = 0,
                      limit: int = groups.RESULT_PAGE) -> dict[str, Any]:
    """`job.table()`: a page of the columnar results."""
    return await _run(request, lambda p, s, u: groups.results(s, u, job_id, offset, limit))


@router.post("/jobs/{job_id}/tasks")
async def job_append(request: Request, job_id: str) -> dict[str, Any]:
    """`job.append(points=… | circuits=…)` on an open iterative job."""
    body = await _json(request)
    return await _run(request, groups.append, job_id, body)


@router.post("/jobs/{job_id}/close")
async def job_close(request: Request, job_id: str) -> dict[str, Any]:
    """`job.close()`."""
    return await _run(request, lambda p, s, u: groups.close(s, u, job_id))


@router.post("/jobs/{job_id}/cancel")
async def job_cancel(request: Request, job_id: str) -> dict[str, Any]:
    """`job.cancel()`."""
    return await _run(request, groups.cancel, job_id)
