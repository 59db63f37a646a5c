"""Chip sessions: a user holds a chip for a run of related jobs (a VQE or QAOA loop).

While a session is open its jobs run ahead of the general queue on its chip
(`picking`), so each step of a loop does not queue again behind everyone. It ends when
its user closes it, after `idle_seconds` with no job of it waiting or running and none
submitted, or at `max_seconds` (the scheduler ends those: `picking.load_rules`). Its
jobs are charged to its project like any other, so its use counts against the
allocation and in the fair share.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ...schemas.projects import ChipSessionCreate, ChipSessionPublic
from ..errors import Conflict, InvalidRequest, NotFound, QuotaExceeded
from ..models import ChipSession, Job, User, utcnow
from . import execution, projects

MAX_OPEN_PER_USER = 3


def open_session(session: Session, user: User, body: ChipSessionCreate,
                 *, commit: bool = True) -> ChipSession:
    """Open a session on `body.backend`, charged to `body.project` (default: the user's).

    Raises:
        NotFound: no such backend, or not the user's project. Forbidden: a backend the
            project may not use. QuotaExceeded: too many open sessions.
    """
    execution.get_backend(body.backend)
    project = projects.resolve(session, user, body.project)
    refusal = projects.Charge(project, 0, 0, 0.0, projects.usage(session, project.id)) \
        .refusal(body.backend)
    if refusal is not None:
        raise refusal
    open_now = session.scalar(select(func.count()).select_from(ChipSession).where(
        ChipSession.user_id == user.id, ChipSession.status == "open")) or 0
    if open_now >= MAX_OPEN_PER_USER:
        raise QuotaExceeded(f"you have {open_now} open sessions; the limit is "
                            f"{MAX_OPEN_PER_USER}: close one first")
    now = utcnow()
    row = ChipSession(id=f"s{uuid.uuid4().hex[:24]}", user_id=user.id, project_id=project.id,
                      backend=body.backend, status="open", max_seconds=body.max_seconds,
                      idle_seconds=body.idle_seconds, created_at=now, last_activity_at=now)
    session.add(row)
    session.flush()
    if commit:
        session.commit()
    return row


def get(session: Session, user: User, session_id: str) -> ChipSession:
    row = session.get(ChipSession, session_id) if len(session_id) <= 32 else None
    if row is None or (row.user_id != user.id and not user.is_admin):
        raise NotFound(f"no session {session_id!r}")
    return row


def close(session: Session, user: User, session_id: str, reason: str = "closed",
          *, commit: bool = True) -> ChipSession:
    row = get(session, user, session_id)
    if row.status == "open":
        row.status, row.ended_at, row.end_reason = "closed", utcnow(), reason
        session.flush()
    if commit:
        session.commit()
    return row


def for_submission(session: Session, user: User, session_id: str, backend: str,
                   project: str | None) -> ChipSession:
    """The open session a submission names, its activity noted.

    Raises:
        NotFound: not the user's session. Conflict: it has ended (saying why), or is on
            another chip. InvalidRequest: the submission names another project.
    """
    row = session.get(ChipSession, session_id) if len(session_id) <= 32 else None
    if row is None or row.user_id != user.id:
        raise NotFound(f"no session {session_id!r}")
    now = utcnow()
    if row.status == "open" and (now - row.created_at).total_seconds() >= row.max_seconds:
        row.status, row.ended_at, row.end_reason = "closed", now, "maximum length reached"
    if row.status != "open":
        raise Conflict(f"session {session_id} has ended ({row.end_reason}); open a new one",
                       code="session_ended")
    if row.backend != backend:
        raise Conflict(f"session {session_id} is on {row.backend}, not {backend}")
    if project is not None and projects.name_of(session, row.project_id) != project:
        raise InvalidRequest(f"session {session_id} is charged to project "
                             f"{projects.name_of(session, row.project_id)!r}; its jobs go "
                             "there")
    session.execute(update(ChipSession).where(ChipSession.id == row.id)
                    .values(last_activity_at=now).execution_options(synchronize_session=False))
    return row


def to_public(session: Session, row: ChipSession) -> ChipSessionPublic:
    jobs, seconds = session.execute(
        select(func.count(), func.coalesce(func.sum(Job.chip_seconds), 0.0))
        .where(Job.session_id == row.id, projects.CHARGED)).one()
    user = session.get(User, row.user_id)
    return ChipSessionPublic(
        id=row.id, user=user.name if user else "?",
        project=projects.name_of(session, row.project_id) or "?", backend=row.backend,
        status=row.status, max_seconds=row.max_seconds, idle_seconds=row.idle_seconds,
        created_at=row.created_at, last_activity_at=row.last_activity_at,
        ended_at=row.ended_at, end_reason=row.end_reason, jobs=int(jobs),
        chip_seconds=float(seconds))


# ----- quafu-sdk's iterative jobs -------------------------------------------------------
GROUP_IDLE_SECONDS = 600.0
GROUP_MAX_SECONDS = 8 * 3600.0


def open_for_group(session: Session, user: User, group_id: str, backend: str, *,
                   commit: bool = True) -> bool:
    """A session for a quafu-sdk iterative job, under the job's own id: its rounds run
    ahead of the general queue, so an optimiser's loop does not queue again at each
    step. It ends with the job (`end_for_group`), after `GROUP_IDLE_SECONDS` without a
    round, or at `GROUP_MAX_SECONDS`. Returns False, and opens none, when the user holds
    `MAX_OPEN_PER_USER` sessions or their default project may not use the chip: the
    rounds then queue as usual."""
    if len(group_id) > 32 or session.get(ChipSession, group_id) is not None:
        return False
    project = projects.resolve(session, user, None)
    if project.backends is not None and backend not in project.backends:
        return False
    open_now = session.scalar(select(func.count()).select_from(ChipSession).where(
        ChipSession.user_id == user.id, ChipSession.status == "open")) or 0
    if open_now >= MAX_OPEN_PER_USER:
        return False
    now = utcnow()
    session.add(ChipSession(id=group_id, user_id=user.id, project_id=project.id,
                            backend=backend, status="open", max_seconds=GROUP_MAX_SECONDS,
                            idle_seconds=GROUP_IDLE_SECONDS, created_at=now,
                            last_activity_at=now))
    if commit:
        session.commit()
    return True


def open_id(session: Session, session_id: str) -> str | None:
    """`session_id` if that session is open and within its length, else None."""
    row = session.get(ChipSession, session_id) if len(session_id) <= 32 else None
    if row is None or row.status != "open":
        return None
    if (utcnow() - row.created_at).total_seconds() >= row.max_seconds:
        return None
    return row.id


def end_for_group(session: Session, group_id: str, reason: str = "job closed", *,
                  commit: bool = True) -> None:
    """End the session of a quafu-sdk iterative job, if it has one still open."""
    session.execute(update(ChipSession).where(ChipSession.id == group_id,
                                              ChipSession.status == "open")
                    .values(status="closed", ended_at=utcnow(), end_reason=reason)
                    .execution_options(synchronize_session=False))
    if commit:
        session.commit()
