"""Usage reports (jobs, shots, emulated chip-seconds by day, backend, project and user)
and the estimate of what a submission would cost against its project's allocation.

The figures are the charges (`projects.CHARGED`: what counts against an allocation), so
a report, the estimate and a refusal never disagree.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...schemas.projects import Estimate, EstimateRequest, Usage, UsageReport, UsageRow
from ..errors import InvalidRequest
from ..models import Job, Project, User, utcnow
from . import charges, execution, projects

MAX_REPORT_DAYS = 366


def report(session: Session, *, start: date | None, end: date | None,
           user_id: int | None = None, project_id: int | None = None) -> UsageReport:
    """Usage from `start` to `end` (UTC days, inclusive; default: the last 28 days) of
    one user, one project, or (neither) everyone."""
    end = end or utcnow().date()
    start = start or end - timedelta(days=projects.ALLOCATION_WINDOW_DAYS - 1)
    if start > end:
        raise InvalidRequest(f"start ({start}) is after end ({end})")
    if (end - start).days >= MAX_REPORT_DAYS:
        raise InvalidRequest(f"a report covers at most {MAX_REPORT_DAYS} days")
    since = datetime.combine(start, time(), UTC)
    until = datetime.combine(end + timedelta(days=1), time(), UTC)
    stmt = (select(Job.created_at, Job.backend, Project.name.label("project"),
                   User.name.label("user"), Job.shots, Job.chip_seconds)
            .join(User, User.id == Job.user_id)
            .outerjoin(Project, Project.id == Job.project_id)
            .where(Job.created_at >= since, Job.created_at < until, projects.CHARGED))
    if user_id is not None:
        stmt = stmt.where(Job.user_id == user_id)
    if project_id is not None:
        stmt = stmt.where(Job.project_id == project_id)
    sums: dict[tuple, list] = defaultdict(lambda: [0, 0, 0.0])
    for r in session.execute(stmt):
        row = sums[(r.created_at.date(), r.backend, r.project, r.user)]
        row[0] += 1
        row[1] += r.shots
        row[2] += r.chip_seconds or 0.0
    rows = [UsageRow(day=k[0], backend=k[1], project=k[2], user=k[3], jobs=v[0],
                     shots=v[1], chip_seconds=round(v[2], 6))
            for k, v in sorted(sums.items(), key=lambda kv: (kv[0][0], *map(str, kv[0][1:])))]
    total = Usage(jobs=sum(r.jobs for r in rows), shots=sum(r.shots for r in rows),
                  chip_seconds=round(sum(r.chip_seconds for r in rows), 6))
    return UsageReport(start=start, end=end, rows=rows, total=total)


def to_csv(report_: UsageReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["day", "backend", "project", "user", "jobs", "shots", "chip_seconds"])
    for r in report_.rows:
        writer.writerow([r.day.isoformat(), r.backend, r.project or "", r.user, r.jobs,
                         r.shots, f"{r.chip_seconds:.6f}"])
    return out.getvalue()


def program_seconds(programs: list[str], backend: str, shots: int, compile: bool,
                    max_operations: int) -> list[float]:
    """The chip-seconds of each program (parsed and checked as a submission is)."""
    out = []
    for text in programs:
        circuit = execution.validate(text, backend, compile, max_operations)
        out.append(charges.chip_seconds(circuit, backend, shots))
    return out


def estimate(session: Session, user: User, body: EstimateRequest,
             max_operations: int) -> Estimate:
    """What submitting `body` would cost the project, and whether it would be taken.

    Raises:
        InvalidRequest: a program that a submission would refuse. NotFound: not the
            caller's project, or no such backend.
    """
    programs = [body.qasm] if isinstance(body.qasm, str) else list(body.qasm)
    if not programs:
        raise InvalidRequest("the batch holds no program")
    project = projects.resolve(session, user, body.project)
    seconds = program_seconds(programs, body.backend, body.shots, body.compile,
                              max_operations)
    charge = projects.Charge(project, len(programs), body.shots * len(programs),
                             sum(seconds), projects.usage(session, project.id))
    refusal = charge.refusal(body.backend)
    p, used = project, charge.used
    return Estimate(
        project=p.name, backend=body.backend, jobs=charge.jobs, shots=charge.shots,
        chip_seconds=round(charge.chip_seconds, 6), used=used,
        shots_allocation=p.shots_allocation, seconds_allocation=p.seconds_allocation,
        shots_left_after=None if p.shots_allocation is None
        else p.shots_allocation - used.shots - charge.shots,
        seconds_left_after=None if p.seconds_allocation is None
        else round(p.seconds_allocation - used.chip_seconds - charge.chip_seconds, 6),
        allowed=refusal is None, reason=refusal.message if refusal is not None else None)
