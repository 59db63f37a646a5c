"""The device-agent side of the Quafu protocol: an agent fetches the next task of its
chip and posts the counts back (see `kuafu.backends.remote` and docs/quafu.md).

    GET  /qbackend/scq_task/?system_id=N   the next job, claimed for the agent, or null
    POST /qbackend/scq_result/             task_id, status, res, raw, measure, server

A job is claimed and its outcome written by `services.lifecycle`, as the scheduler's
are: the claim is a conditional UPDATE from `queued` to `running` that counts the
attempt, and the outcome is written only while the job is still `running` with that
attempt, so a result for a job cancelled meanwhile, or posted twice, changes nothing.
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from ...backends.remote import parse_counts_text
from ...schemas import JobStatus
from ..errors import Conflict, InvalidRequest, NotFound, Unauthenticated
from ..models import Job
from ..services import execution, lifecycle
from ..services.platform import Platform

router = APIRouter(prefix="/qbackend", tags=["quafu agent"], include_in_schema=False)


def _platform(request: Request) -> Platform:
    return request.app.state.platform


def _device(system_id: int, request: Request) -> tuple[str, Any]:
    """The remote backend an agent serves, after checking its token.

    Raises:
        NotFound: no remote device has that system id.
        Unauthenticated: the device has an agent token and the request lacks it.
    """
    name = execution.agent_systems().get(system_id)
    if name is None:
        known = ", ".join(f"{i} ({n})" for i, n in sorted(execution.agent_systems().items()))
        raise NotFound(f"no remote device with system_id {system_id}; remote devices: "
                       f"{known or 'none'}")
    backend = execution.get_backend(name)
    if backend.agent_token is not None:
        sent = request.headers.get("api_token") or ""
        if not hmac.compare_digest(sent.encode(), backend.agent_token.encode()):
            raise Unauthenticated(f"{name} needs its agent token in the api_token header")
    return name, backend


@router.get("/scq_task/")
async def fetch_task(request: Request,
                     system_id: int = Query(description="the chip's number")) -> Any:
    """The next queued job of the chip, compiled for it, now `running`; null if none."""
    return await run_in_threadpool(_fetch, _platform(request), request, system_id)


def _fetch(platform: Platform, request: Request, system_id: int) -> dict[str, Any] | None:
    name, _backend = _device(system_id, request)
    while (job := _claim_next(platform, name)) is not None:
        try:
            circuit, qubits = execution.prepare_for_agent(job.qasm, name, job.compile,
                                                          job.seed)
        except Exception as exc:  # the program cannot run on the chip: fail it, go on
            _finish(platform, job, error=f"{type(exc).__name__}: {exc}")
            continue
        return {"task_id": job.id, "qubits": qubits, "circuit": circuit, "shots": job.shots}
    return None


def _claim_next(platform: Platform, backend: str) -> Job | None:
    """Claim the first queued job of `backend` (`lifecycle.claim_next`, which fixes its
    seed so that the result is reported with the same compiled circuit)."""
    with platform.db.transaction() as session:
        job_id = lifecycle.claim_next(session, backend)
        if job_id is None:
            return None
        session.flush()
        job = session.get(Job, job_id, populate_existing=True)
        session.expunge(job)
        return job


@router.post("/scq_result/")
async def post_result(request: Request) -> JSONResponse:
    """An agent's outcome for a task: counts when `status` is `finished`, else a failure
    whose reason is `raw`."""
    platform = _platform(request)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    answer = await run_in_threadpool(_record, platform, request, form)
    platform.events.notify([form.get("task_id", "")])
    return JSONResponse(answer)


def _record(platform: Platform, request: Request, form: dict[str, str]) -> dict[str, Any]:
    task_id = form.get("task_id", "")
    with platform.db.transaction() as session:
        job = session.get(Job, task_id) if 0 < len(task_id) <= 32 else None
    if job is None:
        raise NotFound(f"no task {task_id!r}")
    systems = {n: i for i, n in execution.agent_systems().items()}
    if job.backend not in systems:
        raise Conflict(f"task {task_id} is for {job.backend}, which no agent serves")
    _device(systems[job.backend], request)
    server = form.get("server")
    if server not in (None, "", str(systems[job.backend])):
        raise Conflict(f"task {task_id} belongs to system_id {systems[job.backend]}, "
                       f"not {server}")
    if job.status != JobStatus.RUNNING:
        return {"status": 200, "message": f"task {task_id} is {job.status}; result ignored"}
    outcome = form.get("status", "")
    if outcome == "finished":
        try:
            counts = parse_counts_text(form.get("res", ""))
            result = execution.finish_from_agent(job.qasm, job.backend, job.shots,
                                                 job.compile, job.seed, counts)
        except ValueError as exc:
            raise InvalidRequest(f"task {task_id}: {exc}") from None
        written = _finish(platform, job, result=result)
    elif outcome == "failed":
        reason = form.get("raw") or "no reason given"
        written = _finish(platform, job, error=f"the device reported a failure: {reason}")
    else:
        raise InvalidRequest(f"status must be 'finished' or 'failed', got {outcome!r}")
    message = "recorded" if written else "the task changed meanwhile; result ignored"
    return {"status": 200, "message": message}


def _finish(platform: Platform, job: Job, *, result: dict[str, Any] | None = None,
            error: str | None = None) -> bool:
    """Write a claimed job's outcome (`lifecycle.record`) if it is still the same
    running attempt; returns whether it was written."""
    outcome = lifecycle.Outcome(job.id, job.attempts, result=result, error=error)
    with platform.db.transaction() as session:
        return bool(lifecycle.record(session, [outcome], platform.settings.max_attempts))
