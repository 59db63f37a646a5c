"""Jobs: submit (one or a batch), read (optionally waiting), list, status of many, cancel."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from fastapi.concurrency import run_in_threadpool

from ....schemas import (
    BatchStatusRequest,
    CancelResponse,
    JobCreate,
    JobCreated,
    JobList,
    JobPublic,
    JobStatus,
    JobStatusItem,
)
from ...models import User
from ...services import jobs
from ...services.platform import Platform
from ..deps import CurrentUser, PlatformDep, SessionDep
from ..handlers import described

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.post("", status_code=201, responses={
    **described(403, 404, 409),  # 403: a backend the project may not use (issue 17)
    200: {"model": JobCreated, "description": "a repeated Idempotency-Key: the first "
          "answer's ids, no new job"}})
async def submit(body: JobCreate, response: Response, platform: PlatformDep,
                 user: CurrentUser,
                 idempotency_key: Annotated[str | None, Header()] = None) -> JobCreated:
    """Validate and queue one program, or a batch; a bad program refuses the whole request.

    With an `Idempotency-Key` header, repeating the request returns the first answer's
    ids (status 200) instead of creating jobs again. `notice` says when the chip is in
    maintenance: the jobs are accepted and wait in its queue.
    """
    created = await run_in_threadpool(_submit, platform, user, body, idempotency_key)
    if created.replayed:
        response.status_code = 200
    else:
        platform.events.submitted(created.ids, user.id)
        platform.scheduler.wake()
    return created


def _submit(platform: Platform, user: User, body: JobCreate,
            idempotency_key: str | None) -> JobCreated:
    """The whole submission in one trip to the thread pool (a session per hop costs more
    than the statements of a small job)."""
    with platform.db.session_factory() as session:
        return jobs.submit_job(platform, session, user, body, idempotency_key)


@router.get("")
def list_jobs(
    platform: PlatformDep, session: SessionDep, user: CurrentUser,
    status: JobStatus | None = None, backend: str | None = None,
    group: str | None = None, name: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50, cursor: str | None = None,
    tag: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[datetime | None, Query(description="created at or after (UTC)")] = None,
    until: Annotated[datetime | None, Query(description="created before (UTC)")] = None,
) -> JobList:
    """Your jobs, newest first; pass `next_cursor` back as `cursor` for the next page.
    Filters: status, backend, group, name, tag, and the creation time (`since`,
    `until`)."""
    return jobs.list_jobs(platform, session, user, status=status, backend=backend,
                          group=group, name=name, limit=limit, cursor=cursor, tag=tag,
                          since=since, until=until)


@router.post("/status")
def batch_status(body: BatchStatusRequest, platform: PlatformDep, session: SessionDep,
                 user: CurrentUser) -> list[JobStatusItem]:
    """Status of many jobs at once (ids that are not yours are left out)."""
    return jobs.statuses(platform, session, user, body.ids)


def _read(platform: Platform, user: User, job_id: str, include_qasm: bool) -> JobPublic:
    with platform.db.transaction() as session:
        job = jobs.get_job(session, user, job_id)
        return jobs.to_public(platform, session, job, include_qasm)


def _read_if_final(platform: Platform, user: User, job_id: str,
                   include_qasm: bool) -> JobPublic | None:
    """The job if it has ended, else None (and no queue position computed for nothing)."""
    with platform.db.transaction() as session:
        job = jobs.get_job(session, user, job_id)
        if not JobStatus(job.status).final:
            return None
        return jobs.to_public(platform, session, job, include_qasm)


@router.get("/{job_id}")
async def get_job(
    job_id: str, platform: PlatformDep, user: CurrentUser,
    wait: Annotated[float, Query(ge=0, le=60, description="seconds to wait for the end")] = 0,
    include_qasm: bool = False,
) -> JobPublic:
    """A job with its queue position, estimated start, and result once done.

    With `wait`, the answer comes when the job ends or after that many seconds,
    whichever is first (long polling).
    """
    if not wait:
        return await run_in_threadpool(_read, platform, user, job_id, include_qasm)
    event = platform.events.register(job_id)
    try:
        if not platform.events.unchanged_job_of(job_id, user.id):
            ended = await run_in_threadpool(_read_if_final, platform, user, job_id,
                                            include_qasm)
            if ended is not None:
                return ended
        timeout = min(wait, platform.settings.long_poll_max)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)
        row = platform.events.ended_row(job_id) if not include_qasm else None
        if row is not None:  # the caller's, checked above: by the store or as submitter
            return jobs.to_public(platform, None, row)
        return await run_in_threadpool(_read, platform, user, job_id, include_qasm)
    finally:
        platform.events.unregister(job_id, event)


@router.post("/{job_id}/cancel")
def cancel(job_id: str, platform: PlatformDep, session: SessionDep,
           user: CurrentUser) -> CancelResponse:
    """Cancel a queued or running job; the answer says whether it had started."""
    answer = jobs.cancel(platform, session, user, job_id)  # commits what it changes
    platform.events.notify([job_id])
    return answer
