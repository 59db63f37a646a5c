"""A job's data (issue 18): replay, delete, export as an archive."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from ....schemas import JobCreated, JobStatus
from ...services import jobdata
from ..deps import CurrentUser, PlatformDep, SessionDep
from ..handlers import described

router = APIRouter(prefix="/jobs", tags=["jobs"])


class Selection(BaseModel):
    """Jobs named by id, or by filter (all given filters must match)."""

    model_config = ConfigDict(extra="forbid")

    ids: list[str] = Field(default_factory=list, max_length=jobdata.MAX_EXPORT)
    group: str | None = Field(None, max_length=200)
    tag: str | None = Field(None, max_length=64)
    status: JobStatus | None = None
    backend: str | None = Field(None, max_length=64)
    name: str | None = Field(None, max_length=200)
    since: datetime | None = None
    until: datetime | None = None


class DeleteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[str] = Field(min_length=1, max_length=jobdata.MAX_DELETE)


class Deleted(BaseModel):
    deleted: list[str]


class ReplayReport(BaseModel):
    """How a replay compares with its original."""

    job: str
    replay_of: str
    status: JobStatus
    counts_identical: bool | None = Field(None, description="None until the replay is done")
    calibration_id: str | None = None
    original_calibration_id: str | None = None
    seed: int | None = None
    software: dict[str, str] | None = None
    original_software: dict[str, str] | None = None
    software_differs: list[str] = Field(default_factory=list)


@router.post("/{job_id}/replay", status_code=201, responses=described(409))
async def replay(job_id: str, platform: PlatformDep, user: CurrentUser) -> JobCreated:
    """Run a finished job again, exactly: its program, compiler options and seed, on the
    calibration snapshot and noise of the moment it ran. `GET /jobs/{new id}/replay`
    then says whether the counts are identical and which software versions differ."""
    def work() -> JobCreated:
        with platform.db.session_factory() as session:
            return jobdata.replay(platform, session, user, job_id)

    created = await run_in_threadpool(work)
    platform.events.submitted(created.ids, user.id)
    platform.scheduler.wake()
    return created


@router.get("/{job_id}/replay")
def replay_report(job_id: str, session: SessionDep, user: CurrentUser) -> ReplayReport:
    """A replay against its original: identical counts, calibration, software versions."""
    return ReplayReport(**jobdata.replay_report(session, user, job_id))


@router.delete("/{job_id}", responses=described(409))
def delete_one(job_id: str, session: SessionDep, user: CurrentUser) -> Deleted:
    """Delete a finished job of yours (administrators: anyone's). Its program and result
    go; its record stays in the usage ledger."""
    deleted = jobdata.delete(session, user, [job_id])
    return Deleted(deleted=deleted)


@router.post("/delete", responses=described(404, 409))
def delete_many(body: DeleteRequest, session: SessionDep, user: CurrentUser) -> Deleted:
    """Delete many finished jobs at once (all or none)."""
    deleted = jobdata.delete(session, user, body.ids)
    return Deleted(deleted=deleted)


@router.post("/export", response_class=Response,
             responses={200: {"content": {"application/zip": {}},
                              "description": "a zip archive (README.md inside)"},
                        **described(404)})
def export(body: Selection, session: SessionDep, platform: PlatformDep,
           user: CurrentUser) -> Response:
    """One archive of the jobs selected (ids, a group, or a filter): each job's circuit,
    compiled circuit, counts, calibration snapshot, seed, options and software versions,
    and a README; `kuafu jobs replay --from-archive` replays it."""
    rows = jobdata.select_jobs(session, user, **_criteria(body))
    data = jobdata.export(session, platform.settings, user, rows)
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    return Response(data, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="kuafu-jobs-{stamp}.zip"'})


def _criteria(body: Selection) -> dict[str, Any]:
    out = body.model_dump(exclude_none=True)
    if "status" in out:
        out["status"] = str(out["status"])
    return out
