"""Reservations: an administrator books a chip for a project over a time window.

While one is in force only the project's jobs run on the chip (`picking`); the others
wait, and say why and until when (`blocking`, `notice`), the way a chip in maintenance
does. The calendar (`calendar`) lists reservations beside maintenance windows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...schemas.projects import ReservationCreate, ReservationPublic
from ..errors import Conflict, InvalidRequest, NotFound
from ..models import Project, Reservation, User, utcnow
from . import execution, projects
from .audit import record_event

MAX_DAYS = 31
"""Longest reservation."""


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def create(session: Session, admin: User, body: ReservationCreate,
           *, commit: bool = True) -> Reservation:
    """Book `body.backend` for `body.project` (administrators; the route checks).

    Raises:
        NotFound: no such backend or project. InvalidRequest: an empty, past or too long
            window. Conflict: it overlaps another reservation of the chip.
    """
    execution.get_backend(body.backend)
    project = projects.get_project(session, body.project)
    starts, ends = _utc(body.starts_at), _utc(body.ends_at)
    if ends <= starts:
        raise InvalidRequest("ends_at must be after starts_at")
    if ends <= utcnow():
        raise InvalidRequest("the window is over already")
    if ends - starts > timedelta(days=MAX_DAYS):
        raise InvalidRequest(f"a reservation lasts at most {MAX_DAYS} days")
    clash = session.scalar(select(Reservation).where(
        Reservation.backend == body.backend, Reservation.starts_at < ends,
        Reservation.ends_at > starts))
    if clash is not None:
        span = f"{clash.starts_at:%Y-%m-%d %H:%M} to {clash.ends_at:%Y-%m-%d %H:%M}"
        raise Conflict(f"{body.backend} is reserved already from {span} UTC (reservation "
                       f"{clash.id})")
    row = Reservation(backend=body.backend, project_id=project.id, starts_at=starts,
                      ends_at=ends, reason=body.reason, created_by=admin.name,
                      created_at=utcnow())
    session.add(row)
    session.flush()
    record_event(session, actor_id=admin.id, action="reservation.create",
                 subject=f"backend {body.backend}",
                 details={"project": project.name, "starts_at": starts.isoformat(),
                          "ends_at": ends.isoformat(), "reason": body.reason})
    if commit:
        session.commit()
    return row


def cancel(session: Session, admin: User, reservation_id: int,
           *, commit: bool = True) -> Reservation:
    row = session.get(Reservation, reservation_id)
    if row is None:
        raise NotFound(f"no reservation {reservation_id}")
    session.delete(row)
    session.flush()
    record_event(session, actor_id=admin.id, action="reservation.cancel",
                 subject=f"backend {row.backend}", details={"reservation": reservation_id})
    if commit:
        session.commit()
    return row


def listing(session: Session, since: datetime | None = None,
            until: datetime | None = None) -> list[ReservationPublic]:
    """Reservations that end after `since` (default: now), soonest first."""
    stmt = (select(Reservation, Project.name).join(Project, Project.id == Reservation.project_id)
            .where(Reservation.ends_at > (since or utcnow())))
    if until is not None:
        stmt = stmt.where(Reservation.starts_at < until)
    return [to_public(r, name) for r, name in session.execute(
        stmt.order_by(Reservation.starts_at, Reservation.id))]


def to_public(row: Reservation, project: str) -> ReservationPublic:
    return ReservationPublic(id=row.id, backend=row.backend, project=project,
                             starts_at=row.starts_at, ends_at=row.ends_at, reason=row.reason,
                             created_by=row.created_by)


def in_force(session: Session, now: datetime | None = None) -> dict[str, tuple[str, datetime]]:
    """The reservations in force: backend -> (project name, end)."""
    now = now or utcnow()
    rows = session.execute(
        select(Reservation.backend, Project.name, Reservation.ends_at)
        .join(Project, Project.id == Reservation.project_id)
        .where(Reservation.starts_at <= now, Reservation.ends_at > now))
    return {r.backend: (r.name, r.ends_at) for r in rows}


def blocking(session: Session, backend: str, project_id: int | None,
             now: datetime | None = None) -> tuple[Reservation, str] | None:
    """The reservation in force on `backend` for another project than `project_id`, and
    that project's name; None when the chip is not reserved against it."""
    now = now or utcnow()
    found = session.execute(
        select(Reservation, Project.name).join(Project, Project.id == Reservation.project_id)
        .where(Reservation.backend == backend, Reservation.starts_at <= now,
               Reservation.ends_at > now).limit(1)).first()
    if found is None or found[0].project_id == project_id:
        return None
    return found[0], found[1]


def notice(found: tuple[Reservation, str]) -> str:
    """Why a job waits on a reserved chip, and until when."""
    row, project = found
    why = f" ({row.reason})" if row.reason else ""
    return (f"{row.backend} is reserved for project {project}{why} until "
            f"{row.ends_at:%Y-%m-%d %H:%M} UTC: jobs of other projects wait until then")
