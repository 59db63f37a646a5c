"""Console pages of issue 18: delete (with confirmation), replay and export of jobs, and
a chip's calibration history drawn over the last 30 days."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape

from ...schemas import JobStatus
from ..api.deps import PlatformDep, SessionDep
from ..errors import InvalidRequest
from ..services import calibration, jobdata
from . import session as auth
from .pages import ConsoleRoute, render
from .routes import CsrfField, ViewerDep, see_other

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)


@router.post("/jobs/delete")
def delete_jobs(session: SessionDep, viewer: ViewerDep,
                ids: Annotated[list[str], Form()] = (),  # type: ignore[assignment]
                csrf_token: CsrfField = None) -> RedirectResponse:
    """Delete the jobs ticked on the jobs page (the page asked to confirm first)."""
    auth.check_csrf(viewer, csrf_token)
    if not ids:
        raise InvalidRequest("tick the jobs to delete first")
    jobdata.delete(session, viewer.user, list(ids))
    return see_other("/console/jobs")


@router.post("/jobs/{job_id}/delete")
def delete_job(job_id: str, session: SessionDep, viewer: ViewerDep,
               csrf_token: CsrfField = None) -> RedirectResponse:
    auth.check_csrf(viewer, csrf_token)
    jobdata.delete(session, viewer.user, [job_id])
    return see_other("/console/jobs")


@router.post("/jobs/{job_id}/replay")
def replay_job(job_id: str, session: SessionDep, platform: PlatformDep, viewer: ViewerDep,
               csrf_token: CsrfField = None) -> RedirectResponse:
    """Replay a finished job; its page opens on the replay."""
    auth.check_csrf(viewer, csrf_token)
    created = jobdata.replay(platform, session, viewer.user, job_id)
    platform.events.submitted(created.ids, viewer.user.id)
    platform.scheduler.wake()
    return see_other(f"/console/jobs/{created.ids[0]}")


@router.get("/jobs-export")
def export_jobs(session: SessionDep, platform: PlatformDep, viewer: ViewerDep,
                status: str = "", backend: str = "", group: str = "", name: str = "",
                tag: str = "", since: str = "", until: str = "") -> Response:
    """The jobs of the current filter as one archive (README inside)."""
    if status and status not in {s.value for s in JobStatus}:
        raise InvalidRequest(f"unknown status {status!r}")
    rows = jobdata.select_jobs(session, viewer.user, status=status or None,
                               backend=backend or None, group=group or None,
                               name=name or None, tag=tag or None, since=day(since),
                               until=day(until))
    data = jobdata.export(session, platform.settings, viewer.user, rows)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return Response(data, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="kuafu-jobs-{stamp}.zip"'})


def day(text: str) -> datetime | None:
    """A date (or date and time) of a filter form, UTC."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(f"{text!r} is not a date (YYYY-MM-DD)") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


# ----- calibration history -------------------------------------------------------------

METRICS = (("t1_us", "T1 (µs)", "{:.0f}"), ("t2_us", "T2 (µs)", "{:.0f}"),
           ("fidelity_1q", "1q gate fidelity (%)", "{:.3f}"),
           ("readout_fidelity", "Readout fidelity (%)", "{:.2f}"))


@router.get("/backends/{name}/history")
def history_page(request: Request, name: str, session: SessionDep, platform: PlatformDep,
                 viewer: ViewerDep, qubit: str = "", coupler: str = "",
                 days: float = 30.0) -> HTMLResponse:
    """A chip's calibration over the last `days`: the chip's median of each figure, and
    one qubit's or coupler's own, with the recalibrations marked; the snapshots below."""
    base = calibration.chip_device(name)
    if not 1 <= days <= 90:
        raise InvalidRequest("days must be between 1 and 90")
    series = calibration.series(session, platform.settings, name, days=days,
                                step_hours=max(1.0, days / 30 * 2))
    qubit = qubit if qubit in series.qubits else base.qubits[0]
    coupler = coupler if coupler in series.couplers else next(iter(series.couplers), "")
    charts = []
    for key, title, fmt in METRICS:
        scale = 100 if "fidelity" in key else 1
        median = [scale * _median([series.qubits[q][key][i] for q in series.qubits])
                  for i in range(len(series.times))]
        own = [scale * v for v in series.qubits[qubit][key]]
        charts.append((title, line_chart(series.times, {"chip median": median, qubit: own},
                                         series.recalibrations, title=title, fmt=fmt)))
    if coupler:
        cz = [100 * v for v in series.couplers[coupler]]
        median = [100 * _median([series.couplers[c][i] for c in series.couplers])
                  for i in range(len(series.times))]
        charts.append(("CZ fidelity (%)", line_chart(
            series.times, {"chip median": median, coupler: cz}, series.recalibrations,
            title="CZ fidelity (%)", fmt="{:.2f}")))
    snaps = calibration.recalibrations(session, name)[-20:]
    in_force = calibration.snapshot_in_force(session, platform.settings, name)
    return render(request, "history.html", chip=name, charts=charts, qubit=qubit,
                  coupler=coupler, qubits=list(series.qubits), couplers=list(series.couplers),
                  days=days, snapshots=list(reversed(snaps)), in_force=in_force,
                  recalibrations=len(series.recalibrations))


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def line_chart(times: list[datetime], lines: dict[str, list[float]],
               marks: list[datetime], *, title: str, fmt: str = "{:.2f}",
               width: int = 640, height: int = 200) -> Markup:
    """Lines over time (SVG); `marks` are drawn as dashed verticals (recalibrations)."""
    left, right, top, bottom = 56, 12, 10, 28
    if not times:
        return Markup("<p>No data.</p>")
    t0, t1 = times[0].timestamp(), times[-1].timestamp() or 1
    values = [v for line in lines.values() for v in line]
    lo, hi = min(values), max(values)
    if hi - lo < 1e-12:
        lo, hi = lo - 1, hi + 1
    pad = (hi - lo) * 0.08
    lo, hi = lo - pad, hi + pad

    def x(t: float) -> float:
        return left + (width - left - right) * ((t - t0) / ((t1 - t0) or 1))

    def y(v: float) -> float:
        return top + (height - top - bottom) * (1 - (v - lo) / (hi - lo))

    body = [f'<rect x="{left}" y="{top}" width="{width - left - right}" '
            f'height="{height - top - bottom}" class="plot-area"/>']
    for k in range(5):
        v = lo + (hi - lo) * k / 4
        body.append(f'<text x="{left - 4}" y="{y(v) + 4:.1f}" text-anchor="end" '
                    f'class="tick">{escape(fmt.format(v))}</text>')
    for k in range(5):
        t = t0 + (t1 - t0) * k / 4
        label = datetime.fromtimestamp(t, UTC).strftime("%m-%d")
        body.append(f'<text x="{x(t):.1f}" y="{height - 8}" text-anchor="middle" '
                    f'class="tick">{label}</text>')
    for m in marks:
        xm = x(m.timestamp())
        body.append(f'<line x1="{xm:.1f}" x2="{xm:.1f}" y1="{top}" y2="{height - bottom}" '
                    'class="recal" stroke-dasharray="3 3"><title>recalibration '
                    f'{m:%Y-%m-%d %H:%M} UTC</title></line>')
    for index, (label, line) in enumerate(lines.items()):
        points = " ".join(f"{x(t.timestamp()):.1f},{y(v):.1f}"
                          for t, v in zip(times, line, strict=True))
        body.append(f'<polyline points="{points}" class="series s{index}" fill="none">'
                    f'<title>{escape(label)}</title></polyline>')
    legend = "".join(f'<span class="key s{i}">{escape(label)}</span>'
                     for i, label in enumerate(lines))
    svg = (f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
           f'role="img" aria-label="{escape(title)} over time" class="timeline">'
           + "".join(body) + "</svg>")
    return Markup(f'<div class="legend-keys">{legend}</div>{svg}')
