"""Projects: members and roles, allocations, allowed backends, and the charge of a job.

Who may do what:
- an administrator creates projects, sets allocations and backends, and manages any;
- a project's owner adds and removes members and sets their roles;
- a member submits jobs charged to it and reads its usage.
A project the caller is not a member of is `NotFound` to them (as if it did not exist),
unless they are an administrator.

Every user has a personal project `~name` (made with the user), their default until
they choose another (`set_default`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from ...schemas import JobStatus
from ...schemas.projects import (
    ALLOCATION_WINDOW_DAYS,
    PROJECT_NAME_PATTERN,
    MemberPublic,
    ProjectPublic,
    ProjectRole,
    Usage,
)
from ..errors import Conflict, Forbidden, InvalidRequest, NotFound, QuotaExceeded
from ..models import Job, Project, ProjectMember, User, utcnow
from . import execution
from .audit import record_event

WINDOW = timedelta(days=ALLOCATION_WINDOW_DAYS)
_NAME = re.compile(PROJECT_NAME_PATTERN)


def personal_name(user: User) -> str:
    return f"~{user.name}"


def ensure_personal(session: Session, user: User) -> Project:
    """The user's personal project, made (as their default) if they have none."""
    project = session.scalar(select(Project).where(Project.name == personal_name(user)))
    if project is None:
        project = Project(name=personal_name(user), personal=True, created_at=utcnow())
        session.add(project)
        session.flush()
        has_default = session.scalar(select(func.count()).select_from(ProjectMember).where(
            ProjectMember.user_id == user.id, ProjectMember.is_default.is_(True)))
        session.add(ProjectMember(project_id=project.id, user_id=user.id,
                                  role=ProjectRole.OWNER.value, is_default=not has_default,
                                  added_at=utcnow()))
        session.flush()
    return project


# ----- reading -------------------------------------------------------------------------
_NAMES: dict[int, str] = {}
"""Project names by id (a name never changes), for the wire form of every job."""


def name_of(session: Session | None, project_id: int | None) -> str | None:
    """The name of project `project_id` (None when it has none, or when unknown and no
    session can look it up)."""
    if project_id is None:
        return None
    name = _NAMES.get(project_id)
    if name is None and session is not None:
        name = session.scalar(select(Project.name).where(Project.id == project_id))
        if name is not None:
            _NAMES[project_id] = name
    return name


def get_project(session: Session, name: str) -> Project:
    project = session.scalar(select(Project).where(Project.name == name)) \
        if isinstance(name, str) and len(name) <= 80 else None
    if project is None:
        raise NotFound(f"no project {name!r}")
    return project


def membership(session: Session, project: Project, user: User) -> ProjectMember | None:
    return session.get(ProjectMember, (project.id, user.id))


def visible_project(session: Session, user: User, name: str) -> Project:
    """A project the caller may read: theirs, or any for an administrator.

    Raises:
        NotFound: no such project, or the caller is not a member (the same answer).
    """
    project = get_project(session, name)
    if not user.is_admin and membership(session, project, user) is None:
        raise NotFound(f"no project {name!r}")
    return project


def require_owner(session: Session, user: User, project: Project) -> None:
    """Raises Forbidden unless the caller owns the project or is an administrator."""
    if user.is_admin:
        return
    member = membership(session, project, user)
    if member is None or member.role != ProjectRole.OWNER:
        raise Forbidden(f"only an owner of project {project.name!r} or an administrator "
                        "may do this")


def list_projects(session: Session, user: User, every: bool = False) -> list[Project]:
    """The caller's projects; with `every` (administrators), all of them."""
    if every and user.is_admin:
        return list(session.scalars(select(Project).order_by(Project.name)))
    return list(session.scalars(
        select(Project).join(ProjectMember, ProjectMember.project_id == Project.id)
        .where(ProjectMember.user_id == user.id).order_by(Project.name)))


def members(session: Session, project: Project) -> list[MemberPublic]:
    rows = session.execute(
        select(User.name, ProjectMember.role, ProjectMember.is_default)
        .join(User, User.id == ProjectMember.user_id)
        .where(ProjectMember.project_id == project.id).order_by(User.name)).all()
    return [MemberPublic(user=r.name, role=ProjectRole(r.role), default=r.is_default)
            for r in rows]


CHARGED = or_(Job.status.in_((JobStatus.QUEUED.value, JobStatus.RUNNING.value,
                              JobStatus.DONE.value)),
              and_(Job.status == JobStatus.CANCELLED.value, Job.started_at.is_not(None)))
"""Jobs that count against an allocation: waiting, running or done, and those
cancelled after they started (failed jobs and jobs cancelled before they ran do not)."""


def usage(session: Session, project_id: int, now: datetime | None = None) -> Usage:
    """What the project used in the rolling window ending `now`."""
    since = (now or utcnow()) - WINDOW
    jobs, shots, seconds = session.execute(
        select(func.count(), func.coalesce(func.sum(Job.shots), 0),
               func.coalesce(func.sum(Job.chip_seconds), 0.0))
        .where(Job.project_id == project_id, Job.created_at >= since, CHARGED)).one()
    return Usage(shots=int(shots), chip_seconds=float(seconds), jobs=int(jobs))


def to_public(session: Session, project: Project, user: User, *, detail: bool = False,
              fair_share: float | None = None) -> ProjectPublic:
    member = membership(session, project, user)
    return ProjectPublic(
        name=project.name, title=project.title, personal=project.personal,
        shots_allocation=project.shots_allocation,
        seconds_allocation=project.seconds_allocation, backends=project.backends,
        created_at=project.created_at,
        role=ProjectRole(member.role) if member is not None else None,
        default=bool(member is not None and member.is_default),
        usage=usage(session, project.id), fair_share=fair_share,
        members=members(session, project) if detail else None)


# ----- changing ------------------------------------------------------------------------
def _check_backends(backends: list[str] | None) -> list[str] | None:
    if backends is None:
        return None
    known = set(execution.backend_names())
    unknown = [b for b in backends if b not in known]
    if unknown:
        raise InvalidRequest(f"unknown backend(s) {', '.join(map(repr, unknown))}; "
                             f"available: {', '.join(sorted(known))}")
    return sorted(set(backends))


def create_project(session: Session, actor: User, name: str, *, title: str | None = None,
                   shots_allocation: int | None = None,
                   seconds_allocation: float | None = None,
                   backends: list[str] | None = None, owner: str | None = None,
                   commit: bool = True) -> Project:
    """A new project (administrators); `owner` becomes its first owner.

    Raises:
        InvalidRequest: a bad name or an unknown backend. Conflict: the name is taken.
        NotFound: no such owner.
    """
    if not _NAME.match(name or ""):
        raise InvalidRequest(f"invalid project name {name!r}: use 1 to 64 letters, digits, "
                             "'.', '_' or '-', starting with a letter or digit")
    if session.scalar(select(Project.id).where(Project.name == name)) is not None:
        raise Conflict(f"a project named {name!r} exists already")
    owner_user = _user(session, owner) if owner else None
    project = Project(name=name, title=title, shots_allocation=shots_allocation,
                      seconds_allocation=seconds_allocation,
                      backends=_check_backends(backends), created_at=utcnow())
    session.add(project)
    session.flush()
    if owner_user is not None:
        session.add(ProjectMember(project_id=project.id, user_id=owner_user.id,
                                  role=ProjectRole.OWNER.value, added_at=utcnow()))
        session.flush()
    audit(session, actor, "project.create", project.name,
          {"shots_allocation": shots_allocation, "seconds_allocation": seconds_allocation,
           "backends": project.backends, "owner": owner})
    if commit:
        session.commit()
    return project


def update_project(session: Session, actor: User, project: Project,
                   changes: dict[str, Any], *, commit: bool = True) -> Project:
    """Change a project's title (owners), allocations and backends (administrators).

    Raises:
        Forbidden: a member, or an owner changing an allocation or the backends.
    """
    require_owner(session, actor, project)
    granted = {k: v for k, v in changes.items() if k != "title"}
    if granted and not actor.is_admin:
        raise Forbidden("only an administrator may change a project's allocation or "
                        "backends")
    if "backends" in granted:
        granted["backends"] = _check_backends(granted["backends"])
    before = {k: getattr(project, k) for k in granted}
    for key, value in {**changes, **granted}.items():
        setattr(project, key, value)
    session.flush()
    if granted:
        audit(session, actor, "allocation.change", project.name,
              {"before": before, "after": granted})
    if commit:
        session.commit()
    return project


def delete_project(session: Session, actor: User, project: Project, *, commit: bool = True) -> None:
    """Remove a project (administrators); its jobs stay, charged to no project."""
    if not actor.is_admin:
        raise Forbidden("only an administrator may delete a project")
    if project.personal:
        raise Conflict("a personal project goes with its user")
    session.execute(update(Job).where(Job.project_id == project.id).values(project_id=None)
                    .execution_options(synchronize_session=False))
    session.delete(project)
    session.flush()
    audit(session, actor, "project.delete", project.name)
    if commit:
        session.commit()


def _user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound(f"no user {name!r}")
    return user


def add_member(session: Session, actor: User, project: Project, user_name: str,
               role: ProjectRole = ProjectRole.MEMBER, *, commit: bool = True) -> ProjectMember:
    """Add a user to the project, or change their role (owners and administrators)."""
    require_owner(session, actor, project)
    if project.personal:
        raise Conflict("a personal project has no other members")
    user = _user(session, user_name)
    member = membership(session, project, user)
    if member is None:
        member = ProjectMember(project_id=project.id, user_id=user.id, added_at=utcnow())
        session.add(member)
    member.role = ProjectRole(role).value
    session.flush()
    audit(session, actor, "project.member", project.name, {"user": user.name,
                                                            "role": member.role})
    if commit:
        session.commit()
    return member


def remove_member(session: Session, actor: User, project: Project, user_name: str,
                  *, commit: bool = True) -> None:
    """Take a user out of the project (owners, administrators, or the user themself);
    if it was their default, their personal project becomes it again."""
    user = _user(session, user_name)
    if user.id != actor.id:
        require_owner(session, actor, project)
    member = membership(session, project, user)
    if member is None:
        raise NotFound(f"{user.name} is not a member of project {project.name!r}")
    if project.personal:
        raise Conflict("a personal project keeps its user")
    owners = session.scalar(select(func.count()).select_from(ProjectMember).where(
        ProjectMember.project_id == project.id, ProjectMember.role == ProjectRole.OWNER))
    if member.role == ProjectRole.OWNER and owners == 1 and not actor.is_admin:
        raise Conflict("the last owner cannot leave; make another member owner first")
    was_default = member.is_default
    session.delete(member)
    session.flush()
    if was_default:
        personal = ensure_personal(session, user)
        membership(session, personal, user).is_default = True
        session.flush()
    audit(session, actor, "project.member_removed", project.name, {"user": user.name})
    if commit:
        session.commit()


def set_default(session: Session, user: User, project: Project, *, commit: bool = True) -> None:
    """Make `project` (one of the user's) the one their jobs go to by default."""
    if membership(session, project, user) is None:
        raise NotFound(f"no project {project.name!r}")
    for member in session.scalars(select(ProjectMember).where(
            ProjectMember.user_id == user.id)):
        member.is_default = member.project_id == project.id
    session.flush()
    if commit:
        session.commit()


def accept_invitation_grants(session: Session, user: User, grants: dict[str, Any]) -> None:
    """What a project owner's invitation gives its new user (called by
    `identity.accept_invitation`): membership of the project with the role it names,
    made their default project."""
    project = session.get(Project, grants.get("project"))
    if project is None:  # deleted since: the account stands, without the membership
        return
    role = ProjectRole(grants.get("role", ProjectRole.MEMBER))
    session.add(ProjectMember(project_id=project.id, user_id=user.id, role=role.value,
                              added_at=utcnow()))
    session.flush()
    set_default(session, user, project, commit=False)
    audit(session, user, "project.member", project.name,
          {"user": user.name, "role": role.value, "by": "invitation"})


# ----- the charge of a submission ------------------------------------------------------
@dataclass(frozen=True)
class Charge:
    """What a submission costs its project (`used`: the window's usage, read only when
    the project has an allocation to check it against)."""

    project: Project
    jobs: int
    shots: int
    chip_seconds: float
    used: Usage

    def refusal(self, backend: str) -> QuotaExceeded | Forbidden | None:
        """Why the project may not take this submission, or None."""
        p = self.project
        if p.backends is not None and backend not in p.backends:
            return Forbidden(f"project {p.name!r} may not use {backend}; it may use "
                             f"{', '.join(p.backends) or 'no backend'}",
                             code="backend_not_allowed")
        days = ALLOCATION_WINDOW_DAYS
        if p.shots_allocation is not None and self.used.shots + self.shots > p.shots_allocation:
            return QuotaExceeded(
                f"project {p.name!r} has used {self.used.shots} of its {p.shots_allocation} "
                f"shots in the last {days} days; this submission needs {self.shots}",
                code="allocation_exceeded")
        if (p.seconds_allocation is not None
                and self.used.chip_seconds + self.chip_seconds > p.seconds_allocation):
            return QuotaExceeded(
                f"project {p.name!r} has used {self.used.chip_seconds:.2f} of its "
                f"{p.seconds_allocation:g} chip-seconds in the last {days} days; this "
                f"submission needs {self.chip_seconds:.2f}", code="allocation_exceeded")
        return None


def resolve(session: Session, user: User, name: str | None) -> Project:
    """The project a submission of `user` is charged to: `name`, or their default.

    Raises:
        NotFound: `name` is not one of the user's projects (naming theirs).
    """
    if name is None:
        project = session.scalar(
            select(Project).join(ProjectMember, ProjectMember.project_id == Project.id)
            .where(ProjectMember.user_id == user.id, ProjectMember.is_default.is_(True)))
        return project if project is not None else ensure_personal(session, user)
    project = session.scalar(select(Project).where(Project.name == name)) \
        if len(name) <= 80 else None
    if project is None or membership(session, project, user) is None:
        yours = ", ".join(p.name for p in list_projects(session, user)) or "none"
        raise NotFound(f"you are not a member of a project {name!r}; yours: {yours}",
                       code="unknown_project")
    return project


def charge(session: Session, user: User, name: str | None, backend: str, shots: int,
           seconds: list[float]) -> Charge:
    """The charge of a submission of `len(seconds)` jobs of `shots` shots each, checked.

    Raises:
        NotFound: not the user's project. Forbidden: a backend the project may not use.
        QuotaExceeded: beyond the allocation (code `allocation_exceeded`).
    """
    project = resolve(session, user, name)
    _NAMES[project.id] = project.name
    limited = project.shots_allocation is not None or project.seconds_allocation is not None
    used = usage(session, project.id) if limited else Usage(shots=0, chip_seconds=0.0, jobs=0)
    result = Charge(project, len(seconds), shots * len(seconds), sum(seconds), used)
    if (refusal := result.refusal(backend)) is not None:
        raise refusal
    return result


def recheck(session: Session, charge_: Charge, backend: str) -> None:
    """Check the allocation again just before the jobs are written, against what other
    submissions committed since `charge`: under the store's write lock (SQLite,
    `Database.writing`) or the project's row lock (PostgreSQL, held to the commit), so
    that concurrent submissions cannot together pass the allocation.

    Raises:
        QuotaExceeded: the allocation no longer has room.
    """
    p = charge_.project
    if p.shots_allocation is None and p.seconds_allocation is None:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(Project.id).where(Project.id == p.id).with_for_update())
    fresh = Charge(p, charge_.jobs, charge_.shots, charge_.chip_seconds,
                   usage(session, p.id))
    if (refusal := fresh.refusal(backend)) is not None:
        raise refusal


def audit(session: Session, actor: User, action: str, subject: str,
          details: dict[str, Any] | None = None) -> None:
    """A line in the audit log, in the transaction of the change it records."""
    record_event(session, actor_id=actor.id, action=action, subject=f"project {subject}",
                 details=_jsonable(details) if details else None)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
