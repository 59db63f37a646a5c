"""Projects: list, create (administrators), read, change, members, default; their jobs
and usage; the usage of the caller and the estimate of a submission."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from ....schemas import JobList
from ....schemas.identity import LinkCreated
from ....schemas.projects import (
    Estimate,
    EstimateRequest,
    MemberAdd,
    MemberPublic,
    ProjectCreate,
    ProjectInvitation,
    ProjectPublic,
    ProjectRole,
    ProjectUpdate,
    UsageReport,
)
from ...errors import Forbidden
from ...models import Job, Project, User
from ...services import identity, jobs, projects, usage
from ...services.platform import Platform
from ..deps import CurrentUser, PlatformDep, SessionDep
from ..handlers import described

router = APIRouter(tags=["projects"])


def _public(platform: Platform, session, project: Project, user: User,
            detail: bool = False) -> ProjectPublic:
    share = getattr(platform.scheduler, "fair_share", None)
    factor = share.factor(project.id) if share is not None else None
    return projects.to_public(session, project, user, detail=detail, fair_share=factor)


@router.get("/projects")
def list_projects(platform: PlatformDep, session: SessionDep, user: CurrentUser,
                  all: bool = False) -> list[ProjectPublic]:
    """Your projects (with `all`, an administrator sees every project), each with its
    allocation, usage in the rolling 28 days and fair-share factor."""
    projects.ensure_personal(session, user)
    return [_public(platform, session, p, user)
            for p in projects.list_projects(session, user, every=all)]


@router.post("/projects", status_code=201, responses=described(403, 404, 409))
def create_project(body: ProjectCreate, platform: PlatformDep, session: SessionDep,
                   user: CurrentUser) -> ProjectPublic:
    """A new project (administrators): allocation, allowed backends, first owner."""
    if not user.is_admin:
        raise Forbidden("only an administrator may create a project")
    project = projects.create_project(
        session, user, body.name, title=body.title, shots_allocation=body.shots_allocation,
        seconds_allocation=body.seconds_allocation, backends=body.backends, owner=body.owner)
    return _public(platform, session, project, user, detail=True)


@router.get("/projects/{name}")
def get_project(name: str, platform: PlatformDep, session: SessionDep,
                user: CurrentUser) -> ProjectPublic:
    """A project of yours with its members."""
    project = projects.visible_project(session, user, name)
    return _public(platform, session, project, user, detail=True)


@router.patch("/projects/{name}", responses=described(403))
def update_project(name: str, body: ProjectUpdate, platform: PlatformDep,
                   session: SessionDep, user: CurrentUser) -> ProjectPublic:
    """Change the title (owners), the allocations or the backends (administrators);
    fields left out stay, null clears (unlimited, every backend)."""
    project = projects.visible_project(session, user, name)
    projects.update_project(session, user, project, body.model_dump(include=body.model_fields_set))
    platform.scheduler.rules_changed()  # the shares follow the allocations
    return _public(platform, session, project, user, detail=True)


@router.delete("/projects/{name}", status_code=204, responses=described(403, 409))
def delete_project(name: str, session: SessionDep, user: CurrentUser) -> Response:
    """Remove a project (administrators); its jobs stay, charged to no project."""
    project = projects.visible_project(session, user, name)
    projects.delete_project(session, user, project)
    return Response(status_code=204)


@router.post("/projects/{name}/members", status_code=201, responses=described(403, 409))
def add_member(name: str, body: MemberAdd, session: SessionDep,
               user: CurrentUser) -> list[MemberPublic]:
    """Add a member or change a member's role (owners and administrators)."""
    project = projects.visible_project(session, user, name)
    projects.add_member(session, user, project, body.user, ProjectRole(body.role))
    return projects.members(session, project)


@router.delete("/projects/{name}/members/{member}", responses=described(403, 409))
def remove_member(name: str, member: str, session: SessionDep,
                  user: CurrentUser) -> list[MemberPublic]:
    """Take a member out (owners, administrators, or members leaving themselves)."""
    project = projects.visible_project(session, user, name)
    projects.remove_member(session, user, project, member)
    return projects.members(session, project)


@router.post("/projects/{name}/default")
def make_default(name: str, platform: PlatformDep, session: SessionDep,
                 user: CurrentUser) -> ProjectPublic:
    """Charge your jobs to this project when you name none."""
    project = projects.visible_project(session, user, name)
    projects.set_default(session, user, project)
    return _public(platform, session, project, user)


@router.post("/projects/{name}/invitations", status_code=201, responses=described(403))
def invite(name: str, body: ProjectInvitation, request: Request, platform: PlatformDep,
           session: SessionDep, user: CurrentUser) -> LinkCreated:
    """An invitation link (shown once) to a new account that joins this project with
    `role` (owners and administrators); the project becomes the new user's default."""
    project = projects.visible_project(session, user, name)
    projects.require_owner(session, user, project)
    if project.personal:
        raise Forbidden("a personal project takes no other members")
    secret = identity.create_link(session, "invite", user, email=body.email,
                                  days=body.days or platform.settings.link_days,
                                  grants={"project": project.id, "role": body.role.value})
    link = identity.open_link(session, "invite", secret)
    base = str(request.base_url).rstrip("/")
    return LinkCreated(url=f"{base}/console/invite?code={secret}", expires_at=link.expires_at)


@router.get("/projects/{name}/jobs")
def project_jobs(name: str, platform: PlatformDep, session: SessionDep, user: CurrentUser,
                 limit: Annotated[int, Query(ge=1, le=500)] = 50) -> JobList:
    """The project's newest jobs: every member's for owners and administrators, your
    own for members."""
    project = projects.visible_project(session, user, name)
    stmt = select(Job).where(Job.project_id == project.id)
    member = projects.membership(session, project, user)
    if not user.is_admin and (member is None or member.role != ProjectRole.OWNER):
        stmt = stmt.where(Job.user_id == user.id)
    rows = session.scalars(stmt.order_by(Job.created_at.desc(), Job.id.desc()).limit(limit))
    queues = jobs.Queues(session)
    return JobList(items=[jobs.to_public(platform, session, j, queues=queues) for j in rows])


def _report(report: UsageReport, format: str) -> UsageReport | Response:
    if format == "csv":
        return Response(usage.to_csv(report), media_type="text/csv",
                        headers={"Content-Disposition": "attachment; filename=usage.csv"})
    return report


ReportFormat = Annotated[str, Query(pattern="^(json|csv)$")]


CSV = {200: {"content": {"text/csv": {"schema": {"type": "string"}}},
             "description": "the report; CSV with `format=csv`"}}


@router.get("/projects/{name}/usage", response_model=UsageReport, responses=CSV)
def project_usage(name: str, session: SessionDep, user: CurrentUser,
                  start: date | None = None, end: date | None = None,
                  format: ReportFormat = "json"):
    """The project's usage by day, backend and user (`format=csv` for a spreadsheet):
    every member's for owners and administrators, your own for members."""
    project = projects.visible_project(session, user, name)
    member = projects.membership(session, project, user)
    everyone = user.is_admin or (member is not None and member.role == ProjectRole.OWNER)
    return _report(usage.report(session, start=start, end=end, project_id=project.id,
                                user_id=None if everyone else user.id), format)


@router.get("/usage", response_model=UsageReport, responses={**CSV, **described(403)})
def my_usage(session: SessionDep, user: CurrentUser, start: date | None = None,
             end: date | None = None, all: bool = False,
             format: ReportFormat = "json"):
    """Your usage by day, backend and project (`all`: everyone's, administrators)."""
    if all and not user.is_admin:
        raise Forbidden("only an administrator may read everyone's usage")
    return _report(usage.report(session, start=start, end=end,
                                user_id=None if all else user.id), format)


@router.post("/estimate", responses=described(404))
def estimate(body: EstimateRequest, platform: PlatformDep, session: SessionDep,
             user: CurrentUser) -> Estimate:
    """What a submission would cost its project (shots, emulated chip-seconds), what is
    left of the allocation after it, and whether it would be taken (and if not, why)."""
    return usage.estimate(session, user, body, platform.settings.max_operations)
