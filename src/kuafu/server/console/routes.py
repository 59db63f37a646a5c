"""The console's pages under `/console`: server-rendered HTML on top of the services.

Every page is a GET that reads; every change is a POST form carrying the session's CSRF
token and answered with a redirect (or the page again, with the problem named). A page
asked for by the console's script (`X-Requested-With: kuafu-live`) gets only its live
part, the fragment the script swaps in.
"""

from __future__ import annotations

import contextlib
import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from pydantic import BaseModel, Field, ValidationError

from ...schemas import BackendStatus, JobCreate, JobStatus
from ..api.deps import PlatformDep, SessionDep
from ..errors import (
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    PayloadTooLarge,
    ServiceError,
)
from ..services import accounts, audit, catalog, execution, groups, jobs, metrics
from . import session as auth
from .drawing import circuit_svg
from .examples import EXAMPLES
from .pages import ConsoleRoute, error_page, is_live, render
from .views import chip_of, counts_chart, counts_csv, counts_rows, draw_qasm

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)
JOBS_PER_PAGE = 20
_WHERE = re.compile(r"^invalid OpenQASM: line \d+, column \d+: ")


def current_viewer(request: Request, session: SessionDep) -> auth.Viewer:
    viewer = auth.viewer_of(session, request)
    request.state.viewer = viewer
    return viewer


def current_admin(viewer: Annotated[auth.Viewer, Depends(current_viewer)]) -> auth.Viewer:
    if not viewer.is_admin:
        raise Forbidden("this page is for administrators only")
    return viewer


ViewerDep = Annotated[auth.Viewer, Depends(current_viewer)]
AdminDep = Annotated[auth.Viewer, Depends(current_admin)]
CsrfField = Annotated[str | None, Form(alias=auth.CSRF_FIELD)]


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# ----- signing in -------------------------------------------------------------------------
@router.get("")
@router.get("/")
def home() -> RedirectResponse:
    return see_other("/console/backends")


def _safe_next(target: str) -> str:
    """Only a console path may follow sign-in (no open redirect to another site)."""
    ok = target.startswith("/console/") and not target.startswith("/console//") \
        and "\\" not in target
    return target if ok else ""


@router.post("/logout")
def logout(session: SessionDep, viewer: ViewerDep, csrf_token: CsrfField = None):
    auth.check_csrf(viewer, csrf_token)
    audit.record_event(session, actor_id=viewer.user.id, action="sign_out",
                       subject=f"user {viewer.user.name}")
    auth.sign_out(session, viewer)  # commits the audit line with it
    response = see_other("/console/login")
    auth.clear_cookie(response, auth.SESSION_COOKIE)
    return response


# ----- chips ------------------------------------------------------------------------------
@router.get("/backends")
def backends_page(request: Request, session: SessionDep, platform: PlatformDep,
                  viewer: ViewerDep) -> HTMLResponse:
    """Every chip with status, size, queue, median fidelities; the table refreshes live."""
    rows = []
    for summary in catalog.list_backends(session, platform.settings):
        chip = (chip_of(catalog.backend_detail(session, summary.name, platform.settings))
                if summary.qubits else None)
        rows.append({"summary": summary, "medians": chip.medians if chip else None})
    template = "_backends_table.html" if is_live(request) else "backends.html"
    return render(request, template, rows=rows)


@router.get("/backends/{name}")
def chip_page(request: Request, name: str, session: SessionDep, platform: PlatformDep,
              viewer: ViewerDep) -> HTMLResponse:
    detail = catalog.backend_detail(session, name, platform.settings)
    return render(request, "chip.html", detail=detail, chip=chip_of(detail))


# ----- composer ---------------------------------------------------------------------------
class CheckRequest(BaseModel):
    """What the composer's script sends as the user types."""

    qasm: str
    backend: str = "ScQ-P10"
    compile: bool = True


def check_program(platform, text: str, backend: str, compile: bool) -> dict[str, Any]:
    """Parse and check a program with the server's limits, as a submission would be."""
    size = len(text.encode("utf-8", "surrogatepass"))
    try:
        if size > platform.settings.max_qasm_bytes:
            raise PayloadTooLarge(f"the program is {size} bytes; the limit is "
                                  f"{platform.settings.max_qasm_bytes} bytes (max_qasm_bytes)")
        circuit = execution.validate(text, backend, compile, platform.settings.max_operations)
    except InvalidRequest as exc:  # the page says where; the message need not repeat it
        message = _WHERE.sub("", exc.message) if exc.line else exc.message
        return {"ok": False, "message": message, "line": exc.line, "column": exc.column}
    except ServiceError as exc:
        return {"ok": False, "message": exc.message, "line": None, "column": None}
    return {"ok": True, "message": f"{circuit.num_qubits} qubits, "
            f"{len(circuit.instructions)} operations", "line": None, "column": None,
            "svg": str(circuit_svg(circuit))}


@router.post("/composer/check")
def composer_check(request: Request, body: CheckRequest, platform: PlatformDep,
                   viewer: ViewerDep) -> JSONResponse:
    """The composer's live check: errors with line and column, and the circuit drawn."""
    auth.check_csrf(viewer, request.headers.get(auth.CSRF_HEADER))
    return JSONResponse(check_program(platform, body.qasm, body.backend, body.compile))


@router.get("/composer")
def composer_page(request: Request, session: SessionDep, platform: PlatformDep,
                  viewer: ViewerDep, example: str = "Bell", backend: str = "ScQ-P10"):
    text = EXAMPLES.get(example, EXAMPLES["Bell"])
    form = {"qasm": text, "backend": backend, "shots": 1000, "compile": True, "priority": 0,
            "name": "", "group": ""}
    return _composer(request, session, platform, form)


def _composer(request: Request, session, platform, form: dict[str, Any], status: int = 200,
              error: str | None = None) -> HTMLResponse:
    check = check_program(platform, form["qasm"], form["backend"], form["compile"])
    return render(request, "composer.html", status=status, form=form, error=error,
                  check=check, examples=list(EXAMPLES),
                  backends=[b for b in catalog.list_backends(session)],
                  max_shots=platform.settings.max_shots)


@router.post("/composer")
def submit(request: Request, session: SessionDep, platform: PlatformDep, viewer: ViewerDep,
           qasm: Annotated[str, Form()] = "", backend: Annotated[str, Form()] = "",
           shots: Annotated[str, Form()] = "1000", compile: Annotated[str, Form()] = "",
           priority: Annotated[str, Form()] = "0", name: Annotated[str, Form()] = "",
           group: Annotated[str, Form()] = "", csrf_token: CsrfField = None):
    """Submit the composer's program; on success, the new job's page."""
    auth.check_csrf(viewer, csrf_token)
    qasm = qasm.replace("\r\n", "\n").replace("\r", "\n")  # a browser's form sends CRLF
    form = {"qasm": qasm, "backend": backend, "shots": shots, "compile": bool(compile),
            "priority": priority, "name": name, "group": group}
    try:
        body = JobCreate(qasm=qasm, backend=backend, shots=shots, compile=bool(compile),
                         priority=priority, name=name.strip() or None,
                         group=group.strip() or None)
        ids, _replayed = jobs.submit(platform, session, viewer.user, body)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return _composer(request, session, platform, form, 400, problems)
    except ServiceError as exc:
        return _composer(request, session, platform, form, exc.status, exc.message)
    platform.scheduler.wake()
    return see_other(f"/console/jobs/{ids[0]}")


# ----- jobs -------------------------------------------------------------------------------
@router.get("/jobs")
def jobs_page(request: Request, session: SessionDep, platform: PlatformDep, viewer: ViewerDep,
              status: str = "", backend: str = "", group: str = "", name: str = "",
              cursor: str = "", back: str = "", tag: str = "", since: str = "",
              until: str = "") -> HTMLResponse:
    """Your jobs, newest first, filtered and paginated; unfinished ones update live.

    The pages are cursor-paginated (a cursor leads only forward), so each link to the
    next page carries the cursors of the pages before it (`back`), for "Previous page".
    """
    try:
        wanted = JobStatus(status) if status else None
    except ValueError:
        raise InvalidRequest(f"unknown status {status!r}; one of "
                             f"{', '.join(s.value for s in JobStatus)}") from None
    page = jobs.list_jobs(platform, session, viewer.user, status=wanted,
                          backend=backend or None, group=group or None, name=name or None,
                          limit=JOBS_PER_PAGE, cursor=cursor or None, tag=tag or None,
                          since=_day(since), until=_day(until))
    filters = {"status": status, "backend": backend, "group": group, "name": name,
               "tag": tag, "since": since, "until": until}
    summary = None
    if group:
        with contextlib.suppress(NotFound):
            summary = groups.get_group(session, viewer.user, group)
    query = {k: v for k, v in filters.items() if v}
    trail = [c for c in back.split(_TRAIL_SEP) if c][-_MAX_TRAIL:] if cursor else []
    next_url = (_jobs_url(query, page.next_cursor, [*trail, cursor or _FIRST])
                if page.next_cursor else None)
    prev_url = None
    if cursor:
        previous = trail[-1] if trail else _FIRST
        prev_url = _jobs_url(query, "" if previous == _FIRST else previous, trail[:-1])
    live = any(not job.status.final for job in page.items)
    template = "_jobs_table.html" if is_live(request) else "jobs.html"
    return render(request, template, page=page, filters=filters, next_url=next_url,
                  prev_url=prev_url, group=summary,
                  first_url="/console/jobs?" + urlencode(query) if cursor else None,
                  live=live, statuses=[s.value for s in JobStatus],
                  export_url="/console/jobs-export?" + urlencode(query),
                  backends=execution.backend_names(),
                  self_url=str(request.url.path) + (f"?{request.url.query}"
                                                    if request.url.query else ""))


def _day(text: str) -> Any:
    """A date of the filter form (issue 18), UTC."""
    from .jobdata import day

    return day(text)


_FIRST, _TRAIL_SEP, _MAX_TRAIL = "first", ".", 50  # cursors are base64url: no "."


def _jobs_url(query: dict[str, str], cursor: str, trail: list[str]) -> str:
    params = dict(query)
    if cursor:
        params["cursor"] = cursor
        if trail:
            params["back"] = _TRAIL_SEP.join(trail)
    return "/console/jobs?" + urlencode(params)


def _job_context(platform, session, viewer: auth.Viewer, job_id: str) -> dict[str, Any]:
    job = jobs.get_job(session, viewer.user, job_id)
    public = jobs.to_public(platform, session, job, include_qasm=True)
    context: dict[str, Any] = {"job": public}
    if public.replay_of and public.status.final:  # issue 18: how it compares
        from ..services.jobdata import replay_report

        context["replay"] = replay_report(session, viewer.user, job_id)
    result = public.result
    if result is not None:
        chip = chip_of(catalog.backend_detail(session, public.backend, platform.settings))
        mapping = {physical: int(logical) for logical, physical in result.initial_mapping.items()}
        context.update(
            counts=counts_rows(result), chart=counts_chart(result),
            compiled_svg=draw_qasm(result.compiled_qasm, only_used=True),
            chip_svg=chip.svg(mapping) if chip and mapping else None)
    return context


@router.get("/jobs/{job_id}")
def job_page(request: Request, job_id: str, session: SessionDep, platform: PlatformDep,
             viewer: ViewerDep) -> HTMLResponse:
    """One of your jobs (anyone else's is 404): circuits, status, result, downloads."""
    context = _job_context(platform, session, viewer, job_id)
    if is_live(request):
        return render(request, "_job_live.html", **context)
    return render(request, "job.html", submitted_svg=draw_qasm(context["job"].qasm),
                  **context)


def _result_of(platform, session, viewer, job_id: str):
    public = jobs.to_public(platform, session, jobs.get_job(session, viewer.user, job_id),
                            include_qasm=True)
    if public.result is None:
        raise Conflict(f"job {job_id} is {public.status}; it has no result")
    return public


@router.get("/jobs/{job_id}/result.json")
def result_json(job_id: str, session: SessionDep, platform: PlatformDep, viewer: ViewerDep):
    public = _result_of(platform, session, viewer, job_id)
    return PlainTextResponse(public.model_dump_json(indent=2), media_type="application/json",
                             headers=_attachment(f"kuafu-{job_id}.json"))


@router.get("/jobs/{job_id}/result.csv")
def result_csv(job_id: str, session: SessionDep, platform: PlatformDep, viewer: ViewerDep):
    public = _result_of(platform, session, viewer, job_id)
    return PlainTextResponse(counts_csv(public.result), media_type="text/csv",
                             headers=_attachment(f"kuafu-{job_id}.csv"))


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


@router.post("/jobs/{job_id}/cancel")
def cancel(job_id: str, session: SessionDep, platform: PlatformDep, viewer: ViewerDep,
           csrf_token: CsrfField = None) -> RedirectResponse:
    auth.check_csrf(viewer, csrf_token)
    jobs.cancel(platform, session, viewer.user, job_id)
    platform.events.notify([job_id])
    return see_other(f"/console/jobs/{job_id}")


# ----- account ----------------------------------------------------------------------------
def _account(request: Request, session, platform, viewer: auth.Viewer, status: int = 200,
             **extra: Any) -> HTMLResponse:
    s = platform.settings
    return render(request, "account.html", status=status,
                  tokens=accounts.list_tokens(session, viewer.user),
                  session_token_id=viewer.token_id,
                  usage=metrics.usage(session, viewer.user),
                  quotas={"queued": s.max_queued_per_user, "shots_today": s.max_shots_per_day,
                          "shots_per_job": s.max_shots},
                  **extra)


@router.get("/account")
def account_page(request: Request, session: SessionDep, platform: PlatformDep,
                 viewer: ViewerDep) -> HTMLResponse:
    """Usage, quotas and tokens; a token just created is shown here once (its flash)."""
    flash = auth.pop_flash(session, viewer, request)
    return _account(request, session, platform, viewer, new_token=flash.get("new_token"),
                    new_token_name=flash.get("new_token_name"),
                    notice=flash.get("notice"),
                    password_notice=flash.get("password_notice"),  # console/identity.py
                    password_error=flash.get("password_error"))


class _TokenForm(BaseModel):
    name: str = Field("console", min_length=1, max_length=100)
    expires_in_days: float | None = Field(None, gt=0, le=3650)


@router.post("/account/tokens")
def create_token(request: Request, session: SessionDep, platform: PlatformDep,
                 viewer: ViewerDep, name: Annotated[str, Form()] = "console",
                 expires_in_days: Annotated[str, Form()] = "",
                 csrf_token: CsrfField = None) -> Response:
    """A new token; the account page it redirects to shows it once (so a reload of that
    page neither shows it again nor creates another)."""
    auth.check_csrf(viewer, csrf_token)
    try:
        form = _TokenForm(name=name.strip() or "console",
                          expires_in_days=expires_in_days.strip() or None)
    except ValidationError as exc:
        return _account(request, session, platform, viewer, 400,
                        error="; ".join(e["msg"] for e in exc.errors()))
    token, secret = accounts.create_token(session, viewer.user, form.name,
                                          form.expires_in_days)
    auth.set_flash(session, viewer, request, {"new_token": secret,
                                              "new_token_name": token.name})
    return see_other("/console/account#tokens")


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: int, session: SessionDep, viewer: ViewerDep,
                 csrf_token: CsrfField = None) -> RedirectResponse:
    """Revoke one of your tokens; revoking this session's own token signs you out, and
    the sign-in form says why."""
    auth.check_csrf(viewer, csrf_token)
    accounts.revoke_token(session, viewer.user, token_id)
    if token_id == viewer.token_id:
        auth.sign_out(session, viewer)
        response = see_other("/console/login?why=revoked-here")
        auth.clear_cookie(response, auth.SESSION_COOKIE)
        return response
    auth.set_flash(session, viewer, request, {"notice": "Token revoked."})
    return see_other("/console/account#tokens")


# ----- administration ---------------------------------------------------------------------
def _admin(request: Request, session, status: int = 200, **extra: Any) -> HTMLResponse:
    return render(request, "admin.html", status=status, users=accounts.list_users(session),
                  backends=catalog.list_backends(session),
                  overrides=catalog.status_overrides(session),
                  statuses=[s.value for s in BackendStatus], **extra)


@router.get("/admin")
def admin_page(request: Request, session: SessionDep, admin: AdminDep) -> HTMLResponse:
    """Users, and each backend's status (administrators only); a user just created is
    shown with their first token once (the flash)."""
    flash = auth.pop_flash(session, admin, request)
    return _admin(request, session, new_user=flash.get("new_user"),
                  new_token=flash.get("new_token"))


@router.post("/admin/backends/{name}/status")
def set_backend_status(name: str, session: SessionDep, platform: PlatformDep, admin: AdminDep,
                       status: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "",
                       csrf_token: CsrfField = None) -> RedirectResponse:
    auth.check_csrf(admin, csrf_token)
    try:
        wanted = BackendStatus(status)
    except ValueError:
        raise InvalidRequest(f"unknown status {status!r}; one of online, maintenance, "
                             "offline") from None
    catalog.set_backend_status(session, name, wanted, admin.user, reason.strip()[:500] or None)
    platform.scheduler.wake()
    return see_other("/console/admin")


@router.post("/admin/users")
def create_user(request: Request, session: SessionDep, admin: AdminDep,
                name: Annotated[str, Form()] = "", is_admin: Annotated[str, Form()] = "",
                csrf_token: CsrfField = None) -> Response:
    """A new user and their first token (shown once, by the page this redirects to)."""
    auth.check_csrf(admin, csrf_token)
    from ...schemas import UserCreate

    try:
        body = UserCreate(name=name.strip(), admin=bool(is_admin))
        user = accounts.create_user(session, body.name, body.admin, actor=admin.user,
                                    commit=False)
    except ValidationError:
        return _admin(request, session, 400, error="a user name is 1-100 letters, digits "
                      "or . _ @ -")
    except ServiceError as exc:
        return _admin(request, session, exc.status, error=exc.message)
    _token, secret = accounts.create_token(session, user, "first", actor=admin.user)
    auth.set_flash(session, admin, request, {"new_user": user.name, "new_token": secret})
    return see_other("/console/admin#users")


# ----- anything else ----------------------------------------------------------------------
@router.get("/{unknown:path}")
def not_found(request: Request, unknown: str, session: SessionDep) -> HTMLResponse:
    """An unknown console address: a page saying so (with the menu when signed in)."""
    with contextlib.suppress(auth.SignInRequired):
        current_viewer(request, session)
    return error_page(request, 404, f"there is no console page /console/{unknown}")
