"""The console's project pages (issue 17): projects and their administration, usage
reports, the calendar of reservations and maintenance, webhooks and their deliveries.

The same rules as the API (`services.projects`): administrators create projects and set
allocations; owners manage members; a project the viewer is not in is not found.
Every change is a POST form with the CSRF token, answered with a redirect carrying a
one-time message (`session.set_flash`), or the page again naming the problem.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request, Response
from fastapi.responses import PlainTextResponse
from pydantic import ValidationError
from sqlalchemy import select

from ...schemas.projects import ProjectRole, ReservationCreate, WebhookCreate
from ..api.deps import PlatformDep, SessionDep
from ..errors import InvalidRequest, ServiceError
from ..models import BackendStatusOverride
from ..services import execution, identity, projects, reservations, usage, webhooks
from . import session as auth
from .pages import ConsoleRoute, render
from .routes import AdminDep, CsrfField, ViewerDep, see_other

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
CALENDAR_DAYS = 14


def _flash(request: Request, session, viewer, **message: str) -> None:
    auth.set_flash(session, viewer, request, message)


def _number(text: str, kind: type, what: str):
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = kind(text)
    except ValueError:
        raise InvalidRequest(f"{what} must be a number, or empty for unlimited") from None
    if value < 0:
        raise InvalidRequest(f"{what} must not be negative")
    return value


# ----- projects ---------------------------------------------------------------------------
@router.get("/projects")
def project_list(request: Request, session: SessionDep, platform: PlatformDep,
                 viewer: ViewerDep) -> Response:
    """The viewer's projects (an administrator's: all), with allocation and usage."""
    projects.ensure_personal(session, viewer.user)
    share = platform.scheduler.fair_share
    rows = [projects.to_public(session, p, viewer.user, fair_share=share.factor(p.id))
            for p in projects.list_projects(session, viewer.user, every=viewer.is_admin)]
    flash = auth.pop_flash(session, viewer, request)
    return render(request, "projects.html", projects=rows, notice=flash.get("notice"),
                  backends=execution.backend_names())


@router.post("/projects")
def project_create(request: Request, session: SessionDep, platform: PlatformDep,
                   viewer: AdminDep, name: Annotated[str, Form()],
                   title: Annotated[str, Form()] = "", shots: Annotated[str, Form()] = "",
                   seconds: Annotated[str, Form()] = "", owner: Annotated[str, Form()] = "",
                   backends: Annotated[list[str] | None, Form()] = None,
                   csrf_token: CsrfField = None) -> Response:
    """A new project (administrators)."""
    auth.check_csrf(viewer, csrf_token)
    try:
        project = projects.create_project(
            session, viewer.user, name.strip(), title=title.strip() or None,
            shots_allocation=_number(shots, int, "the shot allocation"),
            seconds_allocation=_number(seconds, float, "the chip-second allocation"),
            backends=backends or None, owner=owner.strip() or None)
    except ServiceError as exc:
        session.rollback()
        return render(request, "projects.html", status=exc.status, error=exc.message,
                      projects=[projects.to_public(session, p, viewer.user) for p in
                                projects.list_projects(session, viewer.user, every=True)],
                      backends=execution.backend_names())
    _flash(request, session, viewer, notice=f"Project {project.name} created.")
    platform.scheduler.rules_changed()
    return see_other(f"/console/projects/{project.name}")


def _project_page(request: Request, session, platform, viewer, name: str, status: int = 200,
                  error: str | None = None, notice: str | None = None,
                  link: str | None = None) -> Response:
    project = projects.visible_project(session, viewer.user, name)
    member = projects.membership(session, project, viewer.user)
    is_owner = viewer.is_admin or (member is not None and member.role == ProjectRole.OWNER)
    public = projects.to_public(session, project, viewer.user, detail=True,
                                fair_share=platform.scheduler.fair_share.factor(project.id))
    return render(request, "project.html", status=status, project=public, error=error,
                  notice=notice, link=link, is_owner=is_owner,
                  backends=execution.backend_names(),
                  is_member=member is not None)


@router.get("/projects/{name}")
def project_page(request: Request, name: str, session: SessionDep, platform: PlatformDep,
                 viewer: ViewerDep) -> Response:
    flash = auth.pop_flash(session, viewer, request)
    return _project_page(request, session, platform, viewer, name,
                         notice=flash.get("notice"), link=flash.get("link"))


def _act(request, session, platform, viewer, name: str, change, notice: str) -> Response:
    """Run `change(project)`; on success a redirect with `notice`, else the page with
    the problem."""
    project = projects.visible_project(session, viewer.user, name)
    try:
        change(project)
    except ServiceError as exc:
        session.rollback()
        return _project_page(request, session, platform, viewer, name, exc.status,
                             error=exc.message)
    _flash(request, session, viewer, notice=notice)
    platform.scheduler.rules_changed()
    return see_other(f"/console/projects/{project.name}")


@router.post("/projects/{name}/members")
def member_add(request: Request, name: str, session: SessionDep, platform: PlatformDep,
               viewer: ViewerDep, user: Annotated[str, Form()],
               role: Annotated[str, Form()] = "member",
               csrf_token: CsrfField = None) -> Response:
    auth.check_csrf(viewer, csrf_token)
    if role not in ("member", "owner"):
        role = "member"
    return _act(request, session, platform, viewer, name,
                lambda p: projects.add_member(session, viewer.user, p, user.strip(),
                                              ProjectRole(role)),
                f"{user.strip()} is now {role} of {name}.")


@router.post("/projects/{name}/members/{user}/remove")
def member_remove(request: Request, name: str, user: str, session: SessionDep,
                  platform: PlatformDep, viewer: ViewerDep,
                  csrf_token: CsrfField = None) -> Response:
    auth.check_csrf(viewer, csrf_token)
    return _act(request, session, platform, viewer, name,
                lambda p: projects.remove_member(session, viewer.user, p, user),
                f"{user} left {name}.")


@router.post("/projects/{name}/allocation")
def allocation_set(request: Request, name: str, session: SessionDep, platform: PlatformDep,
                   viewer: ViewerDep, shots: Annotated[str, Form()] = "",
                   seconds: Annotated[str, Form()] = "",
                   backends: Annotated[list[str] | None, Form()] = None,
                   csrf_token: CsrfField = None) -> Response:
    """Allocations and backends (administrators; the service refuses anyone else)."""
    auth.check_csrf(viewer, csrf_token)

    def change(project):
        projects.update_project(session, viewer.user, project, {
            "shots_allocation": _number(shots, int, "the shot allocation"),
            "seconds_allocation": _number(seconds, float, "the chip-second allocation"),
            "backends": backends or None})

    return _act(request, session, platform, viewer, name, change,
                f"Allocation of {name} saved.")


@router.post("/projects/{name}/invite")
def invite(request: Request, name: str, session: SessionDep, platform: PlatformDep,
           viewer: ViewerDep, email: Annotated[str, Form()] = "",
           role: Annotated[str, Form()] = "member", csrf_token: CsrfField = None) -> Response:
    """An invitation link to a new account joining the project (owners); shown once."""
    auth.check_csrf(viewer, csrf_token)
    project = projects.visible_project(session, viewer.user, name)
    try:
        projects.require_owner(session, viewer.user, project)
        if project.personal:
            raise InvalidRequest("a personal project takes no other members")
        secret = identity.create_link(
            session, "invite", viewer.user, email=email.strip() or None,
            days=platform.settings.link_days,
            grants={"project": project.id, "role": "owner" if role == "owner" else "member"})
    except ServiceError as exc:
        session.rollback()
        return _project_page(request, session, platform, viewer, name, exc.status,
                             error=exc.message)
    base = str(request.base_url).rstrip("/")
    _flash(request, session, viewer, notice="Invitation link made; it is shown only once.",
           link=f"{base}/console/invite?code={secret}")
    return see_other(f"/console/projects/{project.name}")


@router.post("/projects/{name}/default")
def default_set(request: Request, name: str, session: SessionDep, platform: PlatformDep,
                viewer: ViewerDep, csrf_token: CsrfField = None) -> Response:
    auth.check_csrf(viewer, csrf_token)
    return _act(request, session, platform, viewer, name,
                lambda p: projects.set_default(session, viewer.user, p),
                f"Your jobs now go to {name} by default.")


# ----- usage ------------------------------------------------------------------------------
def _report(session, viewer, project: str | None, start: date | None, end: date | None,
            every: bool):
    if project:
        p = projects.visible_project(session, viewer.user, project)
        member = projects.membership(session, p, viewer.user)
        everyone = viewer.is_admin or (member is not None and member.role == ProjectRole.OWNER)
        return usage.report(session, start=start, end=end, project_id=p.id,
                            user_id=None if everyone else viewer.user.id)
    return usage.report(session, start=start, end=end,
                        user_id=None if every and viewer.is_admin else viewer.user.id)


@router.get("/usage")
def usage_page(request: Request, session: SessionDep, viewer: ViewerDep,
               project: str | None = None, start: date | None = None,
               end: date | None = None, all: bool = False) -> Response:
    """Jobs, shots and chip-seconds by day, backend, project and user, with a chart of
    chip-seconds per day and a CSV download."""
    report = _report(session, viewer, project or None, start, end, all)
    days: dict[date, float] = {}
    d = report.start
    while d <= report.end:
        days[d] = 0.0
        d += timedelta(days=1)
    for r in report.rows:
        days[r.day] = days.get(r.day, 0.0) + r.chip_seconds
    peak = max(days.values(), default=0.0) or 1.0
    query = request.url.query
    return render(request, "usage.html", report=report, days=days, peak=peak,
                  project=project or "", every=all,
                  mine=[p.name for p in projects.list_projects(session, viewer.user,
                                                               every=viewer.is_admin)],
                  csv_href="/console/usage.csv" + (f"?{query}" if query else ""))


@router.get("/usage.csv")
def usage_csv(session: SessionDep, viewer: ViewerDep, project: str | None = None,
              start: date | None = None, end: date | None = None,
              all: bool = False) -> Response:
    report = _report(session, viewer, project or None, start, end, all)
    return PlainTextResponse(usage.to_csv(report), media_type="text/csv", headers={
        "Content-Disposition": "attachment; filename=kuafu-usage.csv"})


# ----- calendar ---------------------------------------------------------------------------
def _calendar(request: Request, session, viewer, status: int = 200,
              error: str | None = None, notice: str | None = None) -> Response:
    today = datetime.now(UTC).date()
    start = datetime.combine(today, time(), UTC)
    end = start + timedelta(days=CALENDAR_DAYS)
    booked = reservations.listing(session, start, end)
    windows = [o for o in session.scalars(select(BackendStatusOverride).where(
        BackendStatusOverride.status != "online"))]
    names = execution.backend_names()
    days = [today + timedelta(days=i) for i in range(CALENDAR_DAYS)]
    cells: dict[tuple[str, date], list[dict]] = {}
    for r in booked:
        for day in days:
            lo = datetime.combine(day, time(), UTC)
            if r.starts_at < lo + timedelta(days=1) and r.ends_at > lo:
                cells.setdefault((r.backend, day), []).append(
                    {"kind": "reservation", "label": r.project, "title":
                     f"reserved for {r.project}: {r.starts_at:%m-%d %H:%M} to "
                     f"{r.ends_at:%m-%d %H:%M} UTC" + (f" ({r.reason})" if r.reason else "")})
    for o in windows:
        for day in days:
            lo = datetime.combine(day, time(), UTC)
            if lo < (o.until or end) and (o.updated_at or start) < lo + timedelta(days=1):
                cells.setdefault((o.backend, day), []).append(
                    {"kind": o.status, "label": o.status, "title":
                     f"{o.status}" + (f" ({o.reason})" if o.reason else "")
                     + (f" until {o.until:%m-%d %H:%M} UTC" if o.until else ", no end given")})
    return render(request, "calendar.html", status=status, days=days, backends=names,
                  cells=cells, reservations=booked, windows=windows, error=error,
                  notice=notice,
                  projects=[p.name for p in projects.list_projects(session, viewer.user,
                                                                   every=True)]
                  if viewer.is_admin else [])


@router.get("/calendar")
def calendar_page(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    """Reservations and maintenance of every chip over the next two weeks."""
    flash = auth.pop_flash(session, viewer, request)
    return _calendar(request, session, viewer, notice=flash.get("notice"))


@router.post("/calendar/reservations")
def reservation_create(request: Request, session: SessionDep, platform: PlatformDep,
                       viewer: AdminDep, backend: Annotated[str, Form()],
                       project: Annotated[str, Form()], starts_at: Annotated[str, Form()],
                       ends_at: Annotated[str, Form()], reason: Annotated[str, Form()] = "",
                       csrf_token: CsrfField = None) -> Response:
    """Book a chip (administrators); times are UTC (`datetime-local` fields)."""
    auth.check_csrf(viewer, csrf_token)
    try:
        body = ReservationCreate(backend=backend, project=project, starts_at=starts_at,
                                 ends_at=ends_at, reason=reason.strip() or None)
        row = reservations.create(session, viewer.user, body)
    except ValidationError as exc:
        return _calendar(request, session, viewer, 400,
                         error="; ".join(f"{e['loc'][-1]}: {e['msg']}" for e in exc.errors()))
    except ServiceError as exc:
        session.rollback()
        return _calendar(request, session, viewer, exc.status, error=exc.message)
    _flash(request, session, viewer,
           notice=f"{row.backend} reserved for {project} from {row.starts_at:%Y-%m-%d %H:%M}"
                  f" to {row.ends_at:%Y-%m-%d %H:%M} UTC.")
    platform.scheduler.rules_changed()
    return see_other("/console/calendar")


@router.post("/calendar/reservations/{reservation_id}/cancel")
def reservation_cancel(request: Request, reservation_id: RowId, session: SessionDep,
                       platform: PlatformDep, viewer: AdminDep,
                       csrf_token: CsrfField = None) -> Response:
    auth.check_csrf(viewer, csrf_token)
    reservations.cancel(session, viewer.user, reservation_id)
    _flash(request, session, viewer, notice="Reservation cancelled.")
    platform.scheduler.rules_changed()
    return see_other("/console/calendar")


# ----- webhooks ---------------------------------------------------------------------------
def _webhooks_page(request: Request, session, viewer, status: int = 200,
                   error: str | None = None, secret: str | None = None,
                   notice: str | None = None) -> Response:
    hooks = [webhooks.to_public(session, w) for w in webhooks.listing(session, viewer.user)]
    return render(request, "webhooks.html", status=status, hooks=hooks,
                  deliveries=webhooks.deliveries(session, viewer.user, limit=50),
                  error=error, secret=secret, notice=notice, events=webhooks.EVENTS,
                  owned=[p.name for p in projects.list_projects(session, viewer.user)
                         if viewer.is_admin or ((m := projects.membership(
                             session, p, viewer.user)) is not None and m.role == "owner")])


@router.get("/webhooks")
def webhooks_page(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    """Your webhooks and their latest deliveries (status, tries, last answer)."""
    flash = auth.pop_flash(session, viewer, request)
    return _webhooks_page(request, session, viewer, secret=flash.get("secret"),
                          notice=flash.get("notice"))


@router.post("/webhooks")
def webhook_create(request: Request, session: SessionDep, platform: PlatformDep,
                   viewer: ViewerDep, url: Annotated[str, Form()],
                   project: Annotated[str, Form()] = "",
                   events: Annotated[list[str] | None, Form()] = None,
                   csrf_token: CsrfField = None) -> Response:
    auth.check_csrf(viewer, csrf_token)
    try:
        body = WebhookCreate(url=url.strip(), project=project or None,
                             events=events or list(webhooks.EVENTS))
        row, secret = webhooks.create(session, viewer.user, body)
    except ValidationError as exc:
        return _webhooks_page(request, session, viewer, 400,
                              error="; ".join(f"{e['loc'][-1]}: {e['msg']}"
                                              for e in exc.errors()))
    except ServiceError as exc:
        session.rollback()
        return _webhooks_page(request, session, viewer, exc.status, error=exc.message)
    _flash(request, session, viewer, secret=secret,
           notice=f"Webhook {row.id} created; copy its secret now, it is shown only once.")
    if platform.webhooks is not None:
        platform.webhooks.wake()
    return see_other("/console/webhooks")


@router.post("/webhooks/{webhook_id}/delete")
def webhook_delete(request: Request, webhook_id: RowId, session: SessionDep, viewer: ViewerDep,
                   csrf_token: CsrfField = None) -> Response:
    auth.check_csrf(viewer, csrf_token)
    webhooks.delete(session, viewer.user, webhook_id)
    _flash(request, session, viewer, notice=f"Webhook {webhook_id} deleted.")
    return see_other("/console/webhooks")
